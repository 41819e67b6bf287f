package io.pam.train;

import io.pam.net.Tensor;

/**
 * The training losses, each on the trimap's unknown pixels (input channel 4), with its gradient
 * w.r.t. the composed alpha. Values are means over the unknown pixels of the whole batch
 * ({@code sum / (count + 1e-8)}); sums are taken in double.
 */
public final class Losses {
    private Losses() {}

    public static final double EPS = 1e-8;
    /** ImageNet standard deviations: the composition loss divides each channel's error by them. */
    static final double[] RGB_STD = {0.229, 0.224, 0.225};
    /** Pyramid levels of the Laplacian loss. */
    public static final int LAP_LEVELS = 5;

    /** A loss value and its gradient w.r.t. the alpha it was computed on. */
    public record Value(double loss, Tensor grad) {}

    /** Number of unknown pixels in the batch. */
    static double unknownCount(Tensor input) {
        double c = 0;
        int plane = input.plane();
        for (int n = 0; n < input.n(); n++) {
            int b = input.index(n, 4, 0, 0);
            for (int i = 0; i < plane; i++) c += input.data()[b + i];
        }
        return c;
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
                return Math.sqrt(d * d + 1e-12);
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
        double cnt = unknownCount(input) + EPS, sum = 0;
        Tensor grad = Tensor.zeros(alpha.n(), 1, alpha.h(), alpha.w());
        int plane = alpha.plane();
        for (int n = 0; n < alpha.n(); n++) {
            int ab = alpha.index(n, 0, 0, 0), ub = input.index(n, 4, 0, 0);
            for (int i = 0; i < plane; i++) {
                float u = input.data()[ub + i];
                if (u == 0) continue;
                double d = alpha.data()[ab + i] - target.data()[ab + i];
                double r = rho.of(d);
                sum += u * r;
                grad.data()[ab + i] = (float) (rho.weightedSlope(u, d, r) / cnt);
            }
        }
        return new Value(sum / cnt, grad);
    }

    /**
     * Composition loss: the image re-composed from the predicted alpha,
     * {@code F a + B (1 - a)}, against the input image, L1 per channel divided by the channel's
     * ImageNet std, over unknown pixels, normalised by {@code 3 * count}.
     */
    public static Value composition(Tensor alpha, Tensor fg, Tensor bg, Tensor input) {
        double cnt = 3 * unknownCount(input) + EPS, sum = 0;
        Tensor grad = Tensor.zeros(alpha.n(), 1, alpha.h(), alpha.w());
        int plane = alpha.plane();
        for (int n = 0; n < alpha.n(); n++) {
            int ab = alpha.index(n, 0, 0, 0), ub = input.index(n, 4, 0, 0);
            for (int ch = 0; ch < 3; ch++) {
                int cb = fg.index(n, ch, 0, 0), ib = input.index(n, ch, 0, 0);
                double inv = 1 / RGB_STD[ch];
                for (int i = 0; i < plane; i++) {
                    float u = input.data()[ub + i];
                    if (u == 0) continue;
                    double a = alpha.data()[ab + i], f = fg.data()[cb + i], b = bg.data()[cb + i];
                    double d = (f * a + b * (1 - a) - input.data()[ib + i]) * inv;
                    sum += u * Math.abs(d);
                    grad.data()[ab + i] += (float) (u * Math.signum(d) * inv * (f - b) / cnt);
                }
            }
        }
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
        // the normalisation is over the whole batch per level: sum the masks first
        double[] maskSums = new double[LAP_LEVELS];
        double[][] masks = new double[alpha.n()][];
        for (int n = 0; n < alpha.n(); n++) {
            masks[n] = new double[plane];
            int ub = input.index(n, 4, 0, 0);
            for (int i = 0; i < plane; i++) masks[n][i] = input.data()[ub + i];
            int lh = h, lw = w;
            double[] m = masks[n];
            for (int l = 0; l < LAP_LEVELS; l++) {
                for (double v : m) maskSums[l] += v;
                m = Pyramid.down(m, lh, lw);
                lh /= 2;
                lw /= 2;
            }
        }
        // images are independent: one task each (the per-image sums are added in order, so the
        // result does not depend on the thread count)
        double[] perImage = new double[alpha.n()];
        java.util.stream.IntStream.range(0, alpha.n()).parallel().forEach(n -> {
            double[] d = new double[plane];
            int ab = alpha.index(n, 0, 0, 0);
            for (int i = 0; i < plane; i++) d[i] = alpha.data()[ab + i] - gt.data()[ab + i];
            double[] g = new double[plane];
            perImage[n] = Pyramid.maskedLoss(d, masks[n], h, w, maskSums, g);
            for (int i = 0; i < plane; i++) grad.data()[ab + i] = (float) g[i];
        });
        double total = 0;
        for (double v : perImage) total += v;
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
