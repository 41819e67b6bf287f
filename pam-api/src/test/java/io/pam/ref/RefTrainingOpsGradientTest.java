package io.pam.ref;

import static org.assertj.core.api.Assertions.assertThat;

import io.pam.net.Activation;
import io.pam.net.Op;
import io.pam.net.Tensor;
import io.pam.spi.TrainingOps;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Finite-difference checks of every backward of the reference training kernels. Each check
 * uses the scalar {@code L = sum(op(x) * r)} for a random r, so the analytic gradient is the
 * op's backward applied to r. Central differences in float: linear ops with a large step (exact
 * up to rounding), nonlinear ones with a small step; tolerance: norm-wise relative error over the
 * checked entries below 1e-3 (2e-3 for BatchNorm and sigmoid, where the float forward limits it).
 */
class RefTrainingOpsGradientTest {
    private final TrainingOps<Tensor, float[]> ops = new RefTrainingOps();
    private final Random rnd = new Random(42);

    private Tensor random(int n, int c, int h, int w) {
        Tensor t = Tensor.zeros(n, c, h, w);
        for (int i = 0; i < t.data().length; i++) t.data()[i] = (float) rnd.nextGaussian();
        return t;
    }

    private float[] random(int len) {
        float[] a = new float[len];
        for (int i = 0; i < len; i++) a[i] = (float) rnd.nextGaussian();
        return a;
    }

    static double dot(Tensor y, Tensor r) {
        double s = 0;
        for (int i = 0; i < y.data().length; i++) s += (double) y.data()[i] * r.data()[i];
        return s;
    }

    /** Compares an analytic gradient with central differences on up to {@code samples} entries. */
    static void check(String what, float[] x, float[] analytic, Supplier<Double> loss, double eps, double tol, Random rnd) {
        int samples = Math.min(x.length, 40);
        double num = 0, den = 0;
        for (int s = 0; s < samples; s++) {
            int i = x.length <= 40 ? s : rnd.nextInt(x.length);
            float keep = x[i];
            x[i] = (float) (keep + eps);
            double up = loss.get();
            x[i] = (float) (keep - eps);
            double down = loss.get();
            x[i] = keep;
            double fd = (up - down) / ((double) (float) (keep + eps) - (float) (keep - eps));
            num += (fd - analytic[i]) * (fd - analytic[i]);
            den += analytic[i] * analytic[i];
        }
        double rel = Math.sqrt(num / Math.max(den, 1e-30));
        assertThat(rel).as("%s: relative gradient error (reference ops, finite differences, eps %s)", what, eps).isLessThan(tol);
    }

    private void checkConv(Op.Conv c, int h, int w) {
        Tensor x = random(2, c.inC(), h, w);
        float[] wt = random(c.outC() * c.inC() / c.groups() * c.kernel() * c.kernel());
        float[] b = c.bias() ? random(c.outC()) : null;
        Tensor r = random(2, c.outC(), c.outSize(h), c.outSize(w));
        TrainingOps.ConvGrads<Tensor, float[]> g = ops.convBackward(x, c, wt, r, true);
        Supplier<Double> loss = () -> dot(ops.conv(x, c, wt, b), r);
        check(c + " dx", x.data(), g.dx().data(), loss, 0.1, 1e-3, rnd);
        check(c + " dw", wt, g.dw(), loss, 0.1, 1e-3, rnd);
        if (b != null) check(c + " db", b, g.db(), loss, 0.1, 1e-3, rnd);
    }

    @Test
    void convolutions() {
        checkConv(new Op.Conv(3, 4, 3, 1, 1, 1, true, false, Activation.NONE, false), 7, 6);   // regular
        checkConv(new Op.Conv(3, 5, 3, 2, 1, 1, false, true, Activation.NONE, false), 8, 7);   // strided
        checkConv(new Op.Conv(4, 6, 2, 2, 0, 1, false, true, Activation.NONE, false), 8, 8);   // 2x2 down
        checkConv(new Op.Conv(6, 6, 5, 1, 2, 6, false, true, Activation.NONE, false), 7, 9);   // depthwise
        checkConv(new Op.Conv(5, 7, 1, 1, 0, 1, true, false, Activation.NONE, false), 4, 5);   // 1x1
        checkConv(new Op.Conv(8, 2, 1, 1, 0, 1, true, false, Activation.NONE, false), 1, 1);   // linear
    }

    @Test
    void batchNormTraining() {
        Tensor x = random(3, 4, 5, 6);
        for (int i = 0; i < x.data().length; i++) x.data()[i] = x.data()[i] * 2 + 1;
        float[] gamma = random(4), beta = random(4);
        Tensor r = random(3, 4, 5, 6);
        TrainingOps.BatchNormResult<Tensor, float[]> f = ops.batchNormTrain(x, gamma, beta, null, null, 0.1f, 1e-5f);
        TrainingOps.BatchNormGrads<Tensor, float[]> g = ops.batchNormBackward(x, f.mean(), f.invStd(), gamma, r);
        Supplier<Double> loss = () -> dot(ops.batchNormTrain(x, gamma, beta, null, null, 0.1f, 1e-5f).y(), r);
        check("bn dx", x.data(), g.dx().data(), loss, 1e-2, 2e-3, rnd);
        check("bn dgamma", gamma, g.dGamma(), loss, 1e-2, 1e-3, rnd);
        check("bn dbeta", beta, g.dBeta(), loss, 1e-1, 1e-3, rnd);
    }

    @Test
    void batchNormRunningStatistics() {
        Tensor x = Tensor.zeros(2, 1, 1, 2);
        System.arraycopy(new float[] {1, 2, 3, 6}, 0, x.data(), 0, 4);
        float[] rm = {1}, rv = {2};
        TrainingOps.BatchNormResult<Tensor, float[]> f = ops.batchNormTrain(x, new float[] {1}, new float[] {0}, rm, rv, 0.1f, 1e-5f);
        // mean 3, biased var (4+1+0+9)/4 = 3.5, unbiased 14/3
        assertThat(f.mean()[0]).isEqualTo(3f);
        assertThat((double) f.invStd()[0]).isCloseTo(1 / Math.sqrt(3.5 + 1e-5), org.assertj.core.data.Offset.offset(1e-6));
        assertThat((double) rm[0]).isCloseTo(0.9 * 1 + 0.1 * 3, org.assertj.core.data.Offset.offset(1e-6));
        assertThat((double) rv[0]).isCloseTo(0.9 * 2 + 0.1 * 14 / 3.0, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void activations() {
        Tensor x = random(2, 3, 4, 5);
        for (int i = 0; i < x.data().length; i++) if (Math.abs(x.data()[i]) < 0.05f) x.data()[i] = 0.3f; // away from the kink
        Tensor r = random(2, 3, 4, 5);
        for (Activation a : new Activation[] {Activation.RELU, Activation.SIGMOID}) {
            Tensor g = ops.activationBackward(ops.activation(x, a), a, r);
            check(a + " dx", x.data(), g.data(), () -> dot(ops.activation(x, a), r), 1e-2, 2e-3, rnd);
        }
    }

    @Test
    void pooling() {
        for (int[] hw : new int[][] {{8, 8}, {9, 7}, {2, 2}, {3, 40}}) {
            for (int win : new int[] {5, 13}) {
                Op.AvgPool p = new Op.AvgPool(win);
                Tensor x = random(2, 3, hw[0], hw[1]);
                Tensor y = ops.avgPool(x, p);
                Tensor r = random(y.n(), y.c(), y.h(), y.w());
                Tensor g = ops.avgPoolBackward(r, p, hw[0], hw[1]);
                check("avgPool " + win + " on " + hw[0] + "x" + hw[1] + (p.fits(hw[0], hw[1]) ? "" : " (global)"),
                        x.data(), g.data(), () -> dot(ops.avgPool(x, p), r), 0.1, 1e-3, rnd);
            }
        }
        Tensor x = random(2, 3, 5, 4);
        Tensor r = random(2, 3, 1, 1);
        check("globalAvgPool", x.data(), ops.globalAvgPoolBackward(r, 5, 4).data(), () -> dot(ops.globalAvgPool(x), r), 0.1, 1e-3, rnd);
    }

    @Test
    void resize() {
        for (int[] s : new int[][] {{4, 5, 8, 10}, {8, 8, 4, 4}, {1, 1, 6, 6}, {3, 7, 6, 14}}) {
            Tensor x = random(2, 2, s[0], s[1]);
            Tensor r = random(2, 2, s[2], s[3]);
            check("resize " + s[0] + "x" + s[1] + " -> " + s[2] + "x" + s[3], x.data(), ops.resizeBackward(r, s[0], s[1]).data(),
                    () -> dot(ops.resize(x, s[2], s[3]), r), 0.1, 1e-3, rnd);
        }
    }

    @Test
    void channelMulConcatSplitEmbeddingComposite() {
        Tensor x = random(2, 3, 4, 4), gate = random(2, 3, 1, 1), r = random(2, 3, 4, 4);
        Tensor[] g = ops.channelMulBackward(x, gate, r).toArray(Tensor[]::new);
        check("channelMul dx", x.data(), g[0].data(), () -> dot(ops.channelMul(x, gate), r), 0.1, 1e-3, rnd);
        check("channelMul dg", gate.data(), g[1].data(), () -> dot(ops.channelMul(x, gate), r), 0.1, 1e-3, rnd);

        Tensor a = random(2, 2, 3, 3), b = random(2, 3, 3, 3), rc = random(2, 5, 3, 3);
        List<Tensor> parts = ops.split(rc, new int[] {2, 3});
        check("concat da", a.data(), parts.get(0).data(), () -> dot(ops.concat(List.of(a, b)), rc), 0.1, 1e-3, rnd);
        check("concat db", b.data(), parts.get(1).data(), () -> dot(ops.concat(List.of(a, b)), rc), 0.1, 1e-3, rnd);

        Op.CostEmbedding e = new Op.CostEmbedding(57, 75, 4);
        float[] table = random(e.rows() * e.dim());
        Tensor re = random(3, 4, 1, 1);
        check("embedding", table, ops.embeddingBackward(re, e, 69.6), () -> dot(ops.embedding(table, e, 3, 69.6), re), 0.1, 1e-3, rnd);

        Tensor pred = Tensor.zeros(2, 1, 4, 4), input = random(2, 6, 4, 4), rp = random(2, 1, 4, 4);
        for (int i = 0; i < pred.data().length; i++) pred.data()[i] = 0.1f + 0.8f * rnd.nextFloat();
        pred.data()[0] = -0.5f; // clamped, and the loss pushes further out: no gradient
        pred.data()[1] = 1.5f;
        rp.data()[0] = Math.abs(rp.data()[0]) + 0.1f;
        rp.data()[1] = -Math.abs(rp.data()[1]) - 0.1f;
        pred.data()[2] = -0.25f; // clamped, and the loss pulls it back: restoring pass-through
        pred.data()[3] = 1.25f;
        rp.data()[2] = -0.5f;
        rp.data()[3] = 0.5f;
        Tensor gp = ops.compositeBackward(pred, input, rp);
        assertThat(gp.data()[0]).isZero();
        assertThat(gp.data()[1]).isZero();
        assertThat(gp.data()[2]).isEqualTo(-0.5f * input.get(0, 4, 0, 2));
        assertThat(gp.data()[3]).isEqualTo(0.5f * input.get(0, 4, 0, 3));
        // the finite-difference check sees the exact clamp (zero slope) at the restored entries
        pred.data()[2] = 0.3f;
        pred.data()[3] = 0.7f;
        gp = ops.compositeBackward(pred, input, rp);
        check("composite", pred.data(), gp.data(), () -> dot(ops.composite(pred, input), rp), 1e-2, 1e-3, rnd);
    }
}
