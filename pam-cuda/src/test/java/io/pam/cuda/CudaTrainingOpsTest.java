package io.pam.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pam.net.Activation;
import io.pam.net.Op;
import io.pam.net.Tensor;
import io.pam.ref.RefTrainingOps;
import io.pam.spi.TrainingOps;
import io.pam.spi.TrainingOps.AdamStep;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every op of {@link CudaTrainingOps}, forward and backward, against the plain-Java oracle
 * {@link RefTrainingOps} on small random inputs; the memory discipline (scopes, pool, close).
 * Skipped where there is no GPU.
 *
 * <p>Errors are measured relative to the largest magnitude of the reference result: cuDNN and the
 * reductions accumulate in float or in a different order than the double loops of the oracle.
 */
class CudaTrainingOpsTest {
    /** Max abs error / max |reference|. FP32 sums of up to a few thousand terms stay well below. */
    static final double TOL = 1e-4;

    static final RefTrainingOps REF = new RefTrainingOps();
    static CudaTrainingOps ops;

    /** Per test (so a machine without a GPU reports every test as skipped); the shared ops open once. */
    @BeforeEach
    void needsGpu() {
        CudaTrainingBackend b = new CudaTrainingBackend();
        assumeTrue(b.isAvailable(), () -> "no usable CUDA GPU: " + b.unavailableReason());
        // every kernel and cuDNN call synchronised: a device fault fails the test naming its op
        if (ops == null) ops = new CudaTrainingOps(CudaContext.open(0), true);
    }

    @AfterAll
    static void closeOps() {
        if (ops != null) ops.close();
        ops = null;
    }

    static Tensor rand(int n, int c, int h, int w, long seed) {
        Random r = new Random(seed);
        Tensor t = Tensor.zeros(n, c, h, w);
        for (int i = 0; i < t.data().length; i++) t.data()[i] = r.nextFloat() * 2 - 1;
        return t;
    }

    static float[] randVec(int len, long seed, float lo, float hi) {
        Random r = new Random(seed);
        float[] v = new float[len];
        for (int i = 0; i < len; i++) v[i] = lo + r.nextFloat() * (hi - lo);
        return v;
    }

    static void close(String what, float[] got, float[] want, double tol) {
        assertThat(got).as(what + ": length").hasSize(want.length);
        double scale = 1e-12, err = 0;
        for (int i = 0; i < want.length; i++) {
            scale = Math.max(scale, Math.abs(want[i]));
            err = Math.max(err, Math.abs(got[i] - want[i]));
        }
        assertThat(err / scale).as("%s: max abs error %g relative to max |ref| %g", what, err, scale).isLessThanOrEqualTo(tol);
    }

    static void close(String what, Tensor got, Tensor want) {
        assertThat(new int[] {got.n(), got.c(), got.h(), got.w()}).as(what + ": shape")
                .containsExactly(want.n(), want.c(), want.h(), want.w());
        close(what, got.data(), want.data(), TOL);
    }

    Tensor down(DeviceTensor t) {
        return ops.download(t);
    }

    // ---- convolution ----------------------------------------------------------------------

    static Op.Conv conv(int inC, int outC, int k, int stride, int pad, int groups, boolean bias) {
        return new Op.Conv(inC, outC, k, stride, pad, groups, bias, false, Activation.NONE, false);
    }

    void checkConv(String what, Op.Conv c, int n, int h, int w, long seed) {
        try (TrainingOps.Scope s = ops.scope()) {
            Tensor x = rand(n, c.inC(), h, w, seed);
            int wl = c.outC() * (c.inC() / c.groups()) * c.kernel() * c.kernel();
            float[] wt = randVec(wl, seed + 1, -0.5f, 0.5f);
            float[] b = c.bias() ? randVec(c.outC(), seed + 2, -1, 1) : null;
            DeviceTensor dx = ops.upload(x);
            DeviceVector dw = ops.fromHost(wt), db = b == null ? null : ops.fromHost(b);
            Tensor want = REF.conv(x, c, wt, b);
            close(what + " forward", down(ops.conv(dx, c, dw, db)), want);
            Tensor dy = rand(want.n(), want.c(), want.h(), want.w(), seed + 3);
            var rg = REF.convBackward(x, c, wt, dy, true);
            var g = ops.convBackward(dx, c, dw, ops.upload(dy), true);
            close(what + " dx", down(g.dx()), rg.dx());
            close(what + " dw", ops.toHost(g.dw()), rg.dw(), TOL);
            close(what + " db", ops.toHost(g.db()), rg.db(), TOL);
            var g2 = ops.convBackward(dx, c, dw, ops.upload(dy), false);
            assertThat(g2.dx()).as(what + ": needDx=false").isNull();
            close(what + " dw without dx", ops.toHost(g2.dw()), rg.dw(), TOL);
            ops.release(dw);
            if (db != null) ops.release(db);
        }
    }

    @Test
    void convolutionsMatchForwardAndBackward() {
        checkConv("3x3", conv(4, 6, 3, 1, 1, 1, true), 2, 9, 11, 1);
        checkConv("3x3 stride 2", conv(4, 8, 3, 2, 1, 1, true), 3, 13, 10, 2);
        checkConv("7x7 stride 2 stem", conv(6, 8, 7, 2, 3, 1, false), 2, 20, 18, 3);
        checkConv("depthwise 3x3", conv(8, 8, 3, 1, 1, 8, false), 2, 12, 12, 4);
        checkConv("depthwise 5x5 stride 2", conv(8, 8, 5, 2, 2, 8, false), 2, 15, 17, 5);
        checkConv("depthwise 7x7", conv(6, 6, 7, 1, 3, 6, true), 3, 9, 8, 6);
        checkConv("2 groups", conv(8, 4, 3, 1, 1, 2, true), 2, 10, 9, 7);
        checkConv("1x1", conv(6, 5, 1, 1, 0, 1, false), 2, 7, 7, 8);
        checkConv("linear (1x1 on a 1x1 map)", conv(16, 10, 1, 1, 0, 1, true), 3, 1, 1, 9);
        checkConv("wide 3x3, batch 1", conv(32, 16, 3, 1, 1, 1, false), 1, 16, 16, 10);
    }

    @Test
    void convolutionRejectsBadShapes() {
        try (TrainingOps.Scope s = ops.scope()) {
            Op.Conv c = conv(4, 6, 3, 1, 1, 1, true);
            DeviceTensor x = ops.upload(rand(1, 3, 8, 8, 1));
            DeviceVector w = ops.zeros(6 * 4 * 9), b = ops.zeros(6);
            assertThatThrownBy(() -> ops.conv(x, c, w, b)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("4 input channels");
            DeviceTensor x4 = ops.upload(rand(1, 4, 8, 8, 1));
            assertThatThrownBy(() -> ops.conv(x4, c, b, b)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weights");
            assertThatThrownBy(() -> ops.convBackward(x4, c, w, x4, true)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("does not match");
            ops.release(w);
            ops.release(b);
        }
    }

    // ---- BatchNorm ------------------------------------------------------------------------

    void checkBatchNorm(String what, int n, int c, int h, int w, float offset, long seed) {
        try (TrainingOps.Scope s = ops.scope()) {
            Tensor x = rand(n, c, h, w, seed);
            for (int i = 0; i < x.data().length; i++) x.data()[i] = x.data()[i] * 2 + offset;
            float[] gamma = randVec(c, seed + 1, 0.5f, 1.5f), beta = randVec(c, seed + 2, -1, 1);
            float[] rm = randVec(c, seed + 3, -1, 1), rv = randVec(c, seed + 4, 0.5f, 2);
            DeviceVector dGamma = ops.fromHost(gamma), dBeta = ops.fromHost(beta), dRm = ops.fromHost(rm), dRv = ops.fromHost(rv);
            DeviceTensor dx = ops.upload(x);
            var want = REF.batchNormTrain(x, gamma, beta, rm, rv, 0.1f, 1e-5f); // updates rm, rv in place
            var got = ops.batchNormTrain(dx, dGamma, dBeta, dRm, dRv, 0.1f, 1e-5f);
            close(what + " y", down(got.y()), want.y());
            close(what + " mean", ops.toHost(got.mean()), want.mean(), TOL);
            close(what + " invStd", ops.toHost(got.invStd()), want.invStd(), TOL);
            close(what + " running mean", ops.toHost(dRm), rm, TOL);
            close(what + " running var", ops.toHost(dRv), rv, TOL);

            float[] rmAfter = ops.toHost(dRm), rvAfter = ops.toHost(dRv);
            var noRunning = ops.batchNormTrain(dx, dGamma, dBeta, null, null, 0.1f, 1e-5f);
            close(what + " y without running stats", down(noRunning.y()), want.y());
            assertThat(ops.toHost(dRm)).as(what + " running mean untouched without running stats").containsExactly(rmAfter);
            assertThat(ops.toHost(dRv)).as(what + " running var untouched").containsExactly(rvAfter);

            Tensor dy = rand(n, c, h, w, seed + 5);
            var rg = REF.batchNormBackward(x, want.mean(), want.invStd(), gamma, dy);
            var g = ops.batchNormBackward(dx, ops.fromHost(want.mean()), ops.fromHost(want.invStd()), dGamma, ops.upload(dy));
            close(what + " dx", down(g.dx()), rg.dx());
            close(what + " dGamma", ops.toHost(g.dGamma()), rg.dGamma(), TOL);
            close(what + " dBeta", ops.toHost(g.dBeta()), rg.dBeta(), TOL);

            Tensor wantEval = REF.batchNormEval(x, gamma, beta, rm, rv, 1e-5f);
            close(what + " eval", down(ops.batchNormEval(dx, dGamma, dBeta, dRm, dRv, 1e-5f)), wantEval);
        }
    }

    @Test
    void batchNormMatchesTrainingBackwardAndEval() {
        checkBatchNorm("small", 2, 5, 6, 7, 0, 1);
        checkBatchNorm("offset mean, odd plane", 3, 4, 9, 5, 3, 2);
        // many elements per thread of the per-channel reduction
        checkBatchNorm("large plane", 4, 3, 128, 96, -2, 3);
        checkBatchNorm("1x1 maps", 8, 6, 1, 1, 1, 4);
        // the two-stage reductions: one block per channel at the edge, then several, with slices
        // that start and end inside an item's plane, and planes smaller than a block
        assertThat(TrainingKernels.split(64 * 128).blocks()).isEqualTo(1);
        checkBatchNorm("exactly one block per channel", 1, 2, 64, 128, 0.5f, 5);
        assertThat(TrainingKernels.split(3 * 2731).blocks()).isEqualTo(2);
        checkBatchNorm("one value over one block", 3, 2, 1, 2731, -1, 6);
        assertThat(TrainingKernels.split(2L * 300 * 301).blocks()).isGreaterThan(16);
        checkBatchNorm("many blocks per channel", 2, 3, 300, 301, 4, 7);
        assertThat(TrainingKernels.split(600 * 16).blocks()).isEqualTo(2);
        checkBatchNorm("4x4 planes, many items, two blocks", 600, 2, 4, 4, 2, 8);
    }

    @Test
    void batchNormRejectsWrongLengths() {
        try (TrainingOps.Scope s = ops.scope()) {
            DeviceTensor x = ops.upload(rand(2, 3, 4, 4, 1));
            DeviceVector three = ops.zeros(3), two = ops.zeros(2);
            assertThatThrownBy(() -> ops.batchNormTrain(x, two, three, null, null, 0.1f, 1e-5f))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gamma");
            assertThatThrownBy(() -> ops.batchNormTrain(x, three, three, three, null, 0.1f, 1e-5f))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("both");
            ops.release(three);
            ops.release(two);
        }
    }

    @Test
    void sumsWithSeveralBlocksPerChannelOrPlane() {
        try (TrainingOps.Scope s = ops.scope()) {
            // bias gradient: 2 x 300 x 301 values per channel
            assertThat(TrainingKernels.split(2L * 300 * 301).blocks()).isGreaterThan(1);
            Op.Conv c = conv(2, 3, 1, 1, 0, 1, true);
            Tensor x = rand(2, 2, 300, 301, 1);
            float[] wt = randVec(6, 2, -0.5f, 0.5f), b = randVec(3, 3, -1, 1);
            Tensor dy = rand(2, 3, 300, 301, 4);
            var rg = REF.convBackward(x, c, wt, dy, false);
            DeviceVector dw = ops.fromHost(wt);
            var g = ops.convBackward(ops.upload(x), c, dw, ops.upload(dy), false);
            close("bias gradient over 2 x 300 x 301", ops.toHost(g.db()), rg.db(), TOL);
            // cuDNN's float sums of 180600 terms: looser than the double reductions under test
            close("1x1 weight gradient over 2 x 300 x 301", ops.toHost(g.dw()), rg.dw(), 1e-3);
            ops.release(dw);

            // global pooling and the gate gradient split each large plane
            assertThat(TrainingKernels.splitPlanes(300 * 301).blocks()).isGreaterThan(1);
            Tensor big = rand(2, 3, 300, 301, 5), dBig = rand(2, 3, 300, 301, 6);
            DeviceTensor dBigX = ops.upload(big);
            close("global pool of 300 x 301 planes", down(ops.globalAvgPool(dBigX)), REF.globalAvgPool(big));
            Tensor gate = rand(2, 3, 1, 1, 7);
            List<Tensor> want = REF.channelMulBackward(big, gate, dBig);
            List<DeviceTensor> got = ops.channelMulBackward(dBigX, ops.upload(gate), ops.upload(dBig));
            close("channelMul gate gradient of 300 x 301 planes", down(got.get(1)), want.get(1));
            // small planes stay one block per plane
            assertThat(TrainingKernels.splitPlanes(64 * 64).blocks()).isEqualTo(1);
            Tensor mid = rand(3, 5, 64, 64, 8);
            close("global pool of 64 x 64 planes", down(ops.globalAvgPool(ops.upload(mid))), REF.globalAvgPool(mid));

            // embedding gradient: 1 x 1 "planes", a batch large enough for two blocks per channel
            Op.CostEmbedding e = new Op.CostEmbedding(10, 80, 8);
            assertThat(TrainingKernels.split(9000).blocks()).isEqualTo(2);
            Tensor de = rand(9000, e.dim(), 1, 1, 9);
            close("embedding gradient over a batch of 9000", ops.toHost(ops.embeddingBackward(ops.upload(de), e, 40)),
                    REF.embeddingBackward(de, e, 40), TOL);
        }
    }

    // ---- elementwise ----------------------------------------------------------------------

    @Test
    void activationsAddAccumulateAndChannelMulMatch() {
        try (TrainingOps.Scope s = ops.scope()) {
            Tensor x = rand(2, 3, 5, 7, 1), dy = rand(2, 3, 5, 7, 2);
            DeviceTensor dx = ops.upload(x), ddy = ops.upload(dy);
            assertThat(ops.activation(dx, Activation.NONE)).isSameAs(dx);
            assertThat(ops.activationBackward(dx, Activation.NONE, ddy)).isSameAs(ddy);
            for (Activation a : new Activation[] {Activation.RELU, Activation.SIGMOID}) {
                Tensor y = REF.activation(x, a);
                DeviceTensor gy = ops.activation(dx, a);
                close(a + " forward", down(gy), y);
                close(a + " backward", down(ops.activationBackward(gy, a, ddy)), REF.activationBackward(y, a, dy));
            }
            close("add", down(ops.add(dx, ddy)), REF.add(x, dy));
            DeviceTensor acc = ops.upload(x);
            ops.accumulate(acc, ddy);
            ops.accumulate(acc, ddy);
            Tensor accWant = new Tensor(x.n(), x.c(), x.h(), x.w(), x.data().clone());
            REF.accumulate(accWant, dy);
            REF.accumulate(accWant, dy);
            close("accumulate twice", down(acc), accWant);

            Tensor g = rand(2, 3, 1, 1, 3);
            DeviceTensor dg = ops.upload(g);
            close("channelMul", down(ops.channelMul(dx, dg)), REF.channelMul(x, g));
            List<Tensor> want = REF.channelMulBackward(x, g, dy);
            List<DeviceTensor> got = ops.channelMulBackward(dx, dg, ddy);
            close("channelMul dx", down(got.get(0)), want.get(0));
            close("channelMul dg", down(got.get(1)), want.get(1));

            assertThatThrownBy(() -> ops.add(dx, dg)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ops.channelMul(dx, dx)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gate");
        }
    }

    // ---- layout and resampling ------------------------------------------------------------

    @Test
    void concatAndSplitAreInverse() {
        try (TrainingOps.Scope s = ops.scope()) {
            Tensor a = rand(3, 2, 4, 5, 1), b = rand(3, 3, 4, 5, 2), c = rand(3, 1, 4, 5, 3);
            Tensor want = REF.concat(List.of(a, b, c));
            DeviceTensor cat = ops.concat(List.of(ops.upload(a), ops.upload(b), ops.upload(c)));
            close("concat", down(cat), want);
            List<DeviceTensor> parts = ops.split(cat, new int[] {2, 3, 1});
            close("split 0", down(parts.get(0)), a);
            close("split 1", down(parts.get(1)), b);
            close("split 2", down(parts.get(2)), c);
            List<Tensor> refParts = REF.split(want, new int[] {4, 2});
            List<DeviceTensor> parts2 = ops.split(cat, new int[] {4, 2});
            close("uneven split 0", down(parts2.get(0)), refParts.get(0));
            close("uneven split 1", down(parts2.get(1)), refParts.get(1));
            assertThatThrownBy(() -> ops.split(cat, new int[] {4, 1})).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("sum to 6");
            assertThatThrownBy(() -> ops.concat(List.of(cat, ops.upload(rand(3, 1, 4, 6, 1)))))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void resizeAndItsAdjointMatchAtOddSizes() {
        int[][] cases = {{5, 7, 12, 9}, {13, 11, 4, 6}, {1, 1, 6, 5}, {8, 8, 8, 8}, {3, 9, 7, 2}, {16, 16, 32, 32}};
        try (TrainingOps.Scope s = ops.scope()) {
            for (int[] k : cases) {
                String what = "resize " + k[0] + "x" + k[1] + " -> " + k[2] + "x" + k[3];
                Tensor x = rand(2, 3, k[0], k[1], k[0] * 100 + k[2]);
                close(what, down(ops.resize(ops.upload(x), k[2], k[3])), REF.resize(x, k[2], k[3]));
                Tensor dy = rand(2, 3, k[2], k[3], k[1] * 100 + k[3]);
                close(what + " backward", down(ops.resizeBackward(ops.upload(dy), k[0], k[1])), REF.resizeBackward(dy, k[0], k[1]));
            }
        }
    }

    @Test
    void poolingMatchesWhereTheWindowFitsAndWhereItIsGlobal() {
        try (TrainingOps.Scope s = ops.scope()) {
            Object[][] cases = {{new Op.AvgPool(4), 9, 10}, {new Op.AvgPool(2), 7, 6}, {new Op.AvgPool(8), 16, 13},
                    {new Op.AvgPool(4), 1, 5}, {new Op.AvgPool(16), 1, 1}};
            for (Object[] k : cases) {
                Op.AvgPool p = (Op.AvgPool) k[0];
                int h = (int) k[1], w = (int) k[2];
                String what = "avgPool " + p.window() + " on " + h + "x" + w + (p.fits(h, w) ? "" : " (global)");
                Tensor x = rand(2, 3, h, w, h * 31 + w);
                Tensor y = REF.avgPool(x, p);
                close(what, down(ops.avgPool(ops.upload(x), p)), y);
                Tensor dy = rand(y.n(), y.c(), y.h(), y.w(), h * 7 + w);
                close(what + " backward", down(ops.avgPoolBackward(ops.upload(dy), p, h, w)), REF.avgPoolBackward(dy, p, h, w));
            }
            Tensor x = rand(3, 4, 6, 9, 5);
            close("global pool", down(ops.globalAvgPool(ops.upload(x))), REF.globalAvgPool(x));
            Tensor dy = rand(3, 4, 1, 1, 6);
            close("global pool backward", down(ops.globalAvgPoolBackward(ops.upload(dy), 6, 9)), REF.globalAvgPoolBackward(dy, 6, 9));
        }
    }

    // ---- the network's special ops --------------------------------------------------------

    @Test
    void embeddingRowsAndGradients() {
        Op.CostEmbedding e = new Op.CostEmbedding(10, 80, 8);
        float[] table = randVec(e.rows() * e.dim(), 1, -1, 1);
        try (TrainingOps.Scope s = ops.scope()) {
            DeviceVector t = ops.fromHost(table);
            for (double budget : new double[] {33.7, 5, 200, 10, 80}) {
                close("embedding at " + budget, down(ops.embedding(t, e, 3, budget)), REF.embedding(table, e, 3, budget));
                Tensor dy = rand(3, e.dim(), 1, 1, (long) budget);
                close("embedding gradient at " + budget, ops.toHost(ops.embeddingBackward(ops.upload(dy), e, budget)),
                        REF.embeddingBackward(dy, e, budget), TOL);
            }
            ops.release(t);
        }
    }

    @Test
    void compositeAndItsRestoringGradient() {
        int n = 2, h = 5, w = 6, plane = h * w;
        Tensor pred = rand(n, 1, h, w, 1);
        Random r = new Random(2);
        for (int i = 0; i < pred.data().length; i++) pred.data()[i] = -0.5f + 2 * r.nextFloat(); // in [-0.5, 1.5]
        pred.data()[0] = 0f;
        pred.data()[1] = 1f;
        pred.data()[2] = 0f;
        pred.data()[3] = 1f;
        Tensor input = rand(n, 6, h, w, 3);
        Tensor dy = rand(n, 1, h, w, 4);
        dy.data()[0] = -0.5f; // at 0, pushed up: passes
        dy.data()[1] = 0.5f; // at 1, pushed down: passes
        dy.data()[2] = 0.5f; // at 0, pushed further down: blocked
        dy.data()[3] = -0.5f; // at 1, pushed further up: blocked
        try (TrainingOps.Scope s = ops.scope()) {
            DeviceTensor dp = ops.upload(pred), di = ops.upload(input);
            close("composite", down(ops.composite(dp, di)), REF.composite(pred, input));
            Tensor want = REF.compositeBackward(pred, input, dy);
            Tensor got = down(ops.compositeBackward(dp, di, ops.upload(dy)));
            close("composite backward", got, want);
            // both directions of the restoring rule occur in the data, and the blocked ones are exact zeros
            int passedOut = 0, blocked = 0;
            for (int i = 0; i < n * plane; i++) {
                float v = pred.data()[i];
                if (v <= 0 || v >= 1) {
                    if (want.data()[i] == 0) blocked++;
                    else passedOut++;
                    assertThat(got.data()[i] == 0).as("pixel %d", i).isEqualTo(want.data()[i] == 0);
                }
            }
            assertThat(passedOut).isGreaterThan(0);
            assertThat(blocked).isGreaterThan(0);
            assertThatThrownBy(() -> ops.composite(di, di)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 channel");
        }
    }

    // ---- data, parameters and the optimiser ------------------------------------------------

    @Test
    void dataAndParameterVectorsRoundTripExactly() {
        try (TrainingOps.Scope s = ops.scope()) {
            Tensor x = rand(2, 3, 4, 5, 1);
            Tensor back = down(ops.upload(x));
            assertThat(back.data()).containsExactly(x.data());
            // more than one HostCopy chunk: the staging buffer grows, chunks overlap their transfers
            Tensor large = rand(1, 3, 700, 700, 9);
            assertThat(large.data().length).isGreaterThan(HostCopy.CHUNK_FLOATS);
            // isEqualTo compares arrays element by element; containsExactly first builds a diff of
            // the two as lists, quadratic in their length (minutes for 1.5 M floats)
            assertThat(down(ops.upload(large)).data()).isEqualTo(large.data());
            assertThat(down(ops.upload(x)).data()).as("a small copy after a large one").containsExactly(x.data());
            float[] v = randVec(1000, 2, -5, 5);
            DeviceVector p = ops.fromHost(v);
            assertThat(ops.length(p)).isEqualTo(1000);
            assertThat(ops.toHost(p)).containsExactly(v);
            float[] v2 = randVec(1000, 3, -5, 5);
            ops.write(p, v2);
            assertThat(ops.toHost(p)).containsExactly(v2);
            assertThatThrownBy(() -> ops.write(p, new float[3])).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1000");
            DeviceVector z = ops.zeros(77);
            assertThat(ops.toHost(z)).containsOnly(0f).hasSize(77);
            DeviceVector empty = ops.zeros(0);
            assertThat(ops.toHost(empty)).isEmpty();
            ops.release(p);
            ops.release(z);
            ops.release(empty);
            assertThatThrownBy(() -> ops.release(z)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already released");
        }
    }

    @Test
    void accumulateScaleAndAdamMatchTheHostOverSeveralSteps() {
        int len = 5000;
        float[] p = randVec(len, 1, -1, 1), m = new float[len], v = new float[len];
        DeviceVector dp = ops.fromHost(p), dm = ops.zeros(len), dv = ops.zeros(len);
        try {
            for (int step = 1; step <= 6; step++) {
                try (TrainingOps.Scope s = ops.scope()) {
                    float[] g1 = randVec(len, 10 + step, -2, 2), g2 = randVec(len, 20 + step, -2, 2);
                    DeviceVector dg = ops.fromHost(g1), dg2 = ops.fromHost(g2);
                    ops.accumulateParam(dg, dg2);
                    ops.scaleParam(dg, 0.5f);
                    REF.accumulateParam(g1, g2);
                    REF.scaleParam(g1, 0.5f);
                    close("accumulated and scaled gradient", ops.toHost(dg), g1, 1e-6);
                    boolean adaptive = step != 4; // one plain momentum step (RAdam's unrectified phase)
                    AdamStep a = new AdamStep(0.9, 0.999, 1 - 1e-4, 1e-3 * step, adaptive, 1e-8);
                    REF.adamUpdate(p, g1, m, v, a);
                    ops.adamUpdate(dp, dg, dm, dv, a);
                    // the same double formula per element: only the last rounding may differ
                    close("adam p, step " + step, ops.toHost(dp), p, 1e-6);
                    close("adam m, step " + step, ops.toHost(dm), m, 1e-6);
                    close("adam v, step " + step, ops.toHost(dv), v, 1e-6);
                    ops.release(dg);
                    ops.release(dg2);
                }
            }
            DeviceVector shorter = ops.zeros(3);
            assertThatThrownBy(() -> ops.adamUpdate(dp, shorter, dm, dv, new AdamStep(0.9, 0.999, 1, 1e-3, true, 1e-8)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lengths");
            assertThatThrownBy(() -> ops.accumulateParam(dp, shorter)).isInstanceOf(IllegalArgumentException.class);
            ops.release(shorter);
        } finally {
            ops.release(dp);
            ops.release(dm);
            ops.release(dv);
        }
    }

    // ---- memory -------------------------------------------------------------------------------

    @Test
    void scopesReturnMemoryThePoolReachesASteadyStateAndCloseFreesEverything() {
        long baseline = Cudart.liveDeviceBytes(), pinnedBaseline = Cudart.livePinnedBytes();
        CudaTrainingOps own = (CudaTrainingOps) new CudaTrainingBackend().open(1);
        try {
            Op.Conv c = conv(8, 16, 3, 2, 1, 1, true);
            Op.Conv dw = conv(16, 16, 3, 1, 1, 16, false);
            DeviceVector w = own.fromHost(randVec(16 * 8 * 9, 1, -0.3f, 0.3f)), b = own.zeros(16);
            DeviceVector w2 = own.fromHost(randVec(16 * 9, 2, -0.3f, 0.3f));
            DeviceVector gamma = own.fromHost(randVec(16, 3, 0.5f, 1.5f)), beta = own.zeros(16);
            Tensor hostX = rand(2, 8, 32, 32, 4);
            long persistentOnly = own.inUseBytes();
            long afterWarmup = -1, mallocsAfterWarmup = -1;
            for (int i = 0; i < 300; i++) {
                try (TrainingOps.Scope s = own.scope()) {
                    DeviceTensor x = own.upload(hostX);
                    DeviceTensor y = own.conv(x, c, w, b);
                    var bn = own.batchNormTrain(y, gamma, beta, null, null, 0.1f, 1e-5f);
                    DeviceTensor z = own.activation(own.conv(bn.y(), dw, w2, null), Activation.RELU);
                    DeviceTensor dz = own.activationBackward(z, Activation.RELU, z);
                    var g2 = own.convBackward(bn.y(), dw, w2, dz, true);
                    var gb = own.batchNormBackward(y, bn.mean(), bn.invStd(), gamma, g2.dx());
                    var g1 = own.convBackward(x, c, w, gb.dx(), false);
                    own.accumulateParam(w, g1.dw());
                    try (TrainingOps.Scope inner = own.scope()) {
                        own.add(y, y);
                        assertThat(own.inUseBytes()).isGreaterThan(persistentOnly);
                    }
                    assertThat(own.inUseBytes()).isGreaterThan(persistentOnly);
                }
                assertThat(own.inUseBytes()).as("after scope %d", i).isEqualTo(persistentOnly);
                if (i == 4) {
                    afterWarmup = Cudart.liveDeviceBytes();
                    mallocsAfterWarmup = own.mallocs();
                }
            }
            Cudart.synchronize();
            assertThat(own.mallocs()).as("cudaMalloc calls after the warm-up steps").isEqualTo(mallocsAfterWarmup);
            assertThat(Cudart.liveDeviceBytes()).as("device bytes after 300 steps").isEqualTo(afterWarmup);
            assertThat(afterWarmup).isGreaterThan(baseline);
            own.release(w);
            assertThat(own.inUseBytes()).isLessThan(persistentOnly);
        } finally {
            own.close();
        }
        assertThat(Cudart.liveDeviceBytes()).as("device bytes after close").isEqualTo(baseline);
        assertThat(Cudart.livePinnedBytes()).as("pinned staging bytes after close").isEqualTo(pinnedBaseline);
        own.close();
        assertThatThrownBy(() -> own.zeros(3)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void resultsWithoutAScopeLiveUntilClose() {
        long baseline = Cudart.liveDeviceBytes();
        CudaTrainingOps own = (CudaTrainingOps) new CudaTrainingBackend().open(1);
        DeviceTensor x = own.upload(rand(1, 2, 3, 3, 1));
        own.add(x, x);
        TrainingOps.Scope outer = own.scope();
        own.add(x, x);
        own.scope(); // left open: closing the outer scope closes it too
        own.add(x, x);
        long before = own.inUseBytes();
        outer.close();
        assertThat(own.inUseBytes()).isLessThan(before).isGreaterThan(0);
        assertThat(own.download(x).data()).containsExactly(rand(1, 2, 3, 3, 1).data());
        own.close();
        assertThat(Cudart.liveDeviceBytes()).isEqualTo(baseline);
    }
}
