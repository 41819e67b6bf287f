package io.pam.train;

import io.pam.net.Tensor;
import io.pam.spi.TrainingOps;
import io.pam.train.data.Batch;

/**
 * The training losses, each on the trimap's unknown pixels (input channel 4), with its gradient
 * w.r.t. the composed alpha. Values are means over the unknown pixels of the whole batch
 * ({@code sum / (count + 1e-8)}); sums are taken in double.
 */
public final class Losses {
    private Losses() {}

    public static final double EPS = 1e-8;
    /** Inside the Charbonnier square root: keeps its slope finite at zero. */
    static final double CHARBONNIER_EPS = 1e-12;
    /** ImageNet standard deviations: the composition loss divides each channel's error by them. */
    static final double[] RGB_STD = {0.229, 0.224, 0.225};
    /** Pyramid levels of the Laplacian loss. */
    public static final int LAP_LEVELS = 5;

    /**
     * These losses as data, with the trainer's weights, for a backend that computes them itself
     * ({@link TrainingOps#mattingLosses}).
     */
    public static TrainingOps.LossSpec spec(double compositionWeight, double laplacianWeight, double distillationWeight) {
        return new TrainingOps.LossSpec(compositionWeight, laplacianWeight, distillationWeight, LAP_LEVELS, EPS, CHARBONNIER_EPS,
                RGB_STD[0], RGB_STD[1], RGB_STD[2]);
    }

    /**
     * The matting losses of a batch on the host: L1, composition, Laplacian and, when
     * {@code teacher} is not null, the Charbonnier distance to it, with the gradient of
     * {@code l1 + wc comp + wl lap + wd ds} w.r.t. alpha (the spec's weights). What
     * {@link TrainingOps#mattingLosses} computes on a backend that has it.
     */
    public static TrainingOps.LossValues<Tensor> total(Tensor alpha, Batch b, Tensor teacher, TrainingOps.LossSpec s) {
        Value l1 = l1(alpha, b.alpha(), b.input());
        Value comp = composition(alpha, b.fg(), b.bg(), b.input());
        Value lap = laplacian(alpha, b.alpha(), b.input());
        Tensor g = axpy(axpy(l1.grad(), s.compositionWeight(), comp.grad()), s.laplacianWeight(), lap.grad());
        double ds = 0;
        if (teacher != null) {
            Value d = charbonnier(alpha, teacher, b.input());
            g = axpy(g, s.distillationWeight(), d.grad());
            ds = d.loss();
        }
        return new TrainingOps.LossValues<>(l1.loss(), comp.loss(), lap.loss(), ds, g);
    }

    /** The targets of {@link TrainingOps#mattingLosses} in one tensor: N x 7, ground-truth alpha, foreground RGB, background RGB. */
    public static Tensor targets(Batch b) {
        int n = b.alpha().n(), h = b.alpha().h(), w = b.alpha().w(), plane = h * w;
        Tensor t = Tensor.zeros(n, 7, h, w);
        for (int i = 0; i < n; i++) {
            System.arraycopy(b.alpha().data(), i * plane, t.data(), t.index(i, 0, 0, 0), plane);
            System.arraycopy(b.fg().data(), b.fg().index(i, 0, 0, 0), t.data(), t.index(i, 1, 0, 0), 3 * plane);
            System.arraycopy(b.bg().data(), b.bg().index(i, 0, 0, 0), t.data(), t.index(i, 4, 0, 0), 3 * plane);
        }
        return t;
    }

    /** A loss value and its gradient w.r.t. the alpha it was computed on. */
    public record Value(double loss, Tensor grad) {}

    /** Number of unknown pixels in the batch (per-image sums, added in image order). */
    static double unknownCount(Tensor input) {
        int plane = input.plane();
        return sumInOrder(input.n(), n -> {
            double c = 0;
            int b = input.index(n, 4, 0, 0);
            for (int i = 0; i < plane; i++) c += input.data()[b + i];
            return c;
        });
    }

    /**
     * {@code sum_n perImage(n)} with the images computed in parallel and their results added in
     * image order, so the value does not depend on the thread count.
     */
    static double sumInOrder(int images, java.util.function.IntToDoubleFunction perImage) {
        double[] parts = new double[images];
        java.util.stream.IntStream.range(0, images).parallel().forEach(n -> parts[n] = perImage.applyAsDouble(n));
        double total = 0;
        for (double v : parts) total += v;
        return total;
    }

    /** {@code L1 = sum u |a - gt| / (sum u + 1e-8)}. */
    public static Value l1(Tensor alpha, Tensor gt, Tensor input) {
        return unknownWeighted(alpha, gt, input, Distance.L1);
    }

    /** Charbonnier distance {@code sum u sqrt((a - t)^2 + 1e-12) / (sum u + 1e-8)} (paper eq. 11). */
    public static Value charbonnier(Tensor alpha, Tensor teacher, Tensor input) {
        return unknownWeighted(alpha, teacher, input, Distance.CHARBONNIER);
    }

    /** A per-pixel distance {@code rho(d)} of the difference {@code d = a - target}. */
    private enum Distance {
        L1 {
            double of(double d) {
                return Math.abs(d);
            }

            double weightedSlope(float u, double d, double rho) {
                return u * Math.signum(d);
            }
        },
        CHARBONNIER {
            double of(double d) {
                return Math.sqrt(d * d + CHARBONNIER_EPS);
            }

            double weightedSlope(float u, double d, double rho) {
                return u * d / rho;
            }
        };

        abstract double of(double d);

        /** {@code u * rho'(d)}, given {@code rho = rho(d)}. */
        abstract double weightedSlope(float u, double d, double rho);
    }

    /** {@code sum u rho(a - target) / (sum u + 1e-8)} and its gradient w.r.t. {@code a}. */
    private static Value unknownWeighted(Tensor alpha, Tensor target, Tensor input, Distance rho) {
        double cnt = unknownCount(input) + EPS;
        Tensor grad = Tensor.zeros(alpha.n(), 1, alpha.h(), alpha.w());
        int plane = alpha.plane();
        float[] a = alpha.data(), t = target.data(), in = input.data(), g = grad.data();
        double sum = sumInOrder(alpha.n(), n -> {
            int ab = alpha.index(n, 0, 0, 0), ub = input.index(n, 4, 0, 0);
            double s = 0;
            for (int i = 0; i < plane; i++) {
                float u = in[ub + i];
                if (u == 0) continue;
                double d = a[ab + i] - t[ab + i];
                double r = rho.of(d);
                s += u * r;
                g[ab + i] = (float) (rho.weightedSlope(u, d, r) / cnt);
            }
            return s;
        });
        return new Value(sum / cnt, grad);
    }

    /**
     * Composition loss: the image re-composed from the predicted alpha,
     * {@code F a + B (1 - a)}, against the input image, L1 per channel divided by the channel's
     * ImageNet std, over unknown pixels, normalised by {@code 3 * count}.
     */
    public static Value composition(Tensor alpha, Tensor fg, Tensor bg, Tensor input) {
        double cnt = 3 * unknownCount(input) + EPS;
        Tensor grad = Tensor.zeros(alpha.n(), 1, alpha.h(), alpha.w());
        int plane = alpha.plane();
        float[] al = alpha.data(), f = fg.data(), bk = bg.data(), in = input.data(), g = grad.data();
        double i0 = 1 / RGB_STD[0], i1 = 1 / RGB_STD[1], i2 = 1 / RGB_STD[2];
        double sum = sumInOrder(alpha.n(), n -> {
            int ab = alpha.index(n, 0, 0, 0), ub = input.index(n, 4, 0, 0);
            int c0 = fg.index(n, 0, 0, 0), c1 = c0 + plane, c2 = c1 + plane;
            int x0 = input.index(n, 0, 0, 0), x1 = x0 + plane, x2 = x1 + plane;
            // one pass over the pixels, the three channels' sums kept apart and added at the end
            double s0 = 0, s1 = 0, s2 = 0;
            for (int i = 0; i < plane; i++) {
                float u = in[ub + i];
                if (u == 0) continue;
                double a = al[ab + i];
                double f0 = f[c0 + i], b0 = bk[c0 + i], d0 = (f0 * a + b0 * (1 - a) - in[x0 + i]) * i0;
                double f1 = f[c1 + i], b1 = bk[c1 + i], d1 = (f1 * a + b1 * (1 - a) - in[x1 + i]) * i1;
                double f2 = f[c2 + i], b2 = bk[c2 + i], d2 = (f2 * a + b2 * (1 - a) - in[x2 + i]) * i2;
                s0 += u * Math.abs(d0);
                s1 += u * Math.abs(d1);
                s2 += u * Math.abs(d2);
                // the gradient summed over the channels in float, in channel order (as before)
                float gi = 0f;
                gi += (float) (u * Math.signum(d0) * i0 * (f0 - b0) / cnt);
                gi += (float) (u * Math.signum(d1) * i1 * (f1 - b1) / cnt);
                gi += (float) (u * Math.signum(d2) * i2 * (f2 - b2) / cnt);
                g[ab + i] = gi;
            }
            return s0 + s1 + s2;
        });
        return new Value(sum / cnt, grad);
    }

    /**
     * Laplacian loss: {@code sum_i 2^i * L1_masked(lap_i(a) - lap_i(gt))} over 5 levels, with
     * the Gaussian 5x5 kernel {@code outer([1,4,6,4,1])/256}, reflect padding, the mask
     * subsampled ({@code [::2, ::2]}) alongside, each level normalised by its mask's sum.
     * H and W must be divisible by 32 (so every level halves evenly).
     */
    public static Value laplacian(Tensor alpha, Tensor gt, Tensor input) {
        int h = alpha.h(), w = alpha.w(), plane = h * w;
        if (h % (1 << LAP_LEVELS) != 0 || w % (1 << LAP_LEVELS) != 0)
            throw new IllegalArgumentException("Laplacian loss needs H and W divisible by 32, got " + h + "x" + w);
        Tensor grad = Tensor.zeros(alpha.n(), 1, h, w);
        float[] in = input.data(), a = alpha.data(), t = gt.data(), g = grad.data();
        // the normalisation is over the whole batch per level: the sums of the subsampled masks
        // ([::2^l, ::2^l] of the unknown channel), per image in parallel, added in image order
        double[][] perImageSums = new double[alpha.n()][LAP_LEVELS];
        java.util.stream.IntStream.range(0, alpha.n()).parallel().forEach(n -> {
            int ub = input.index(n, 4, 0, 0);
            for (int l = 0; l < LAP_LEVELS; l++) {
                double s = 0;
                for (int r = 0; r < h >> l; r++)
                    for (int c = 0; c < w >> l; c++) s += in[ub + (r << l) * w + (c << l)];
                perImageSums[n][l] = s;
            }
        });
        double[] maskSums = new double[LAP_LEVELS];
        for (double[] s : perImageSums) for (int l = 0; l < LAP_LEVELS; l++) maskSums[l] += s[l];
        // images are independent: one task each, in the thread's reused workspace
        double total = sumInOrder(alpha.n(), n -> {
            Pyramid.Workspace ws = Pyramid.Workspace.forThread(h, w, LAP_LEVELS);
            int ab = alpha.index(n, 0, 0, 0);
            double[] d = ws.c[0];
            for (int i = 0; i < plane; i++) d[i] = a[ab + i] - t[ab + i];
            double loss = Pyramid.maskedLoss(ws, in, input.index(n, 4, 0, 0), maskSums);
            for (int i = 0; i < plane; i++) g[ab + i] = (float) d[i];
            return loss;
        });
        return new Value(total, grad);
    }

    /**
     * Path cross-entropy (paper eq. 12): for each selection layer, the 2-way cross-entropy of
     * its logits (N x 2: compute, bypass) against the label route, averaged over the batch and
     * summed over layers.
     *
     * @param logits  logits of groups 1..4 (index g-1)
     * @param dLogits receives the gradients (same indexing)
     */
    public static double pathCrossEntropy(Tensor[] logits, io.pam.Route label, Tensor[] dLogits) {
        double loss = 0;
        for (int gi = 0; gi < logits.length; gi++) {
            Tensor l = logits[gi];
            int target = label.computes(gi + 1) ? 0 : 1;
            Tensor d = Tensor.zeros(l.n(), 2, 1, 1);
            for (int n = 0; n < l.n(); n++) {
                double a = l.data()[2 * n], b = l.data()[2 * n + 1], mx = Math.max(a, b);
                double ea = Math.exp(a - mx), eb = Math.exp(b - mx), z = ea + eb;
                double pa = ea / z, pb = eb / z;
                loss += -Math.log(target == 0 ? pa : pb) / l.n();
                d.data()[2 * n] = (float) ((pa - (target == 0 ? 1 : 0)) / l.n());
                d.data()[2 * n + 1] = (float) ((pb - (target == 1 ? 1 : 0)) / l.n());
            }
            dLogits[gi] = d;
        }
        return loss;
    }

    /** {@code a + s * b} on gradients of equal shape (a fresh tensor). */
    static Tensor axpy(Tensor a, double s, Tensor b) {
        float[] o = new float[a.data().length];
        for (int i = 0; i < o.length; i++) o[i] = (float) (a.data()[i] + s * b.data()[i]);
        return new Tensor(a.n(), a.c(), a.h(), a.w(), o);
    }
}
