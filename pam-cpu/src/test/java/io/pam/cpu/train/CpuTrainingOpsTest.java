package io.pam.cpu.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pam.net.Activation;
import io.pam.net.Op;
import io.pam.net.Tensor;
import io.pam.ref.RefTrainingOps;
import io.pam.spi.TrainingBackends;
import io.pam.spi.TrainingOps;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Parity of every accelerated kernel with {@link RefTrainingOps} (double accumulation). Tolerance:
 * max |fast - ref| <= 1e-4 * max(|ref|) + 1e-6 per output tensor (float GEMMs and lane sums).
 * Runs with two worker threads so that the sample-parallel paths and their reductions are used.
 */
class CpuTrainingOpsTest {
    static final double REL = 1e-4;
    static TrainingOps<Tensor, float[]> fast;
    static final RefTrainingOps ref = new RefTrainingOps();

    @BeforeAll
    static void open() {
        fast = new CpuTrainingBackend().open(2);
    }

    @AfterAll
    static void close() {
        fast.close();
    }

    static Tensor random(Random r, int n, int c, int h, int w) {
        Tensor t = Tensor.zeros(n, c, h, w);
        for (int i = 0; i < t.data().length; i++) t.data()[i] = (float) r.nextGaussian();
        return t;
    }

    static float[] random(Random r, int len, double scale, double offset) {
        float[] a = new float[len];
        for (int i = 0; i < len; i++) a[i] = (float) (offset + scale * r.nextGaussian());
        return a;
    }

    static void close(String what, float[] got, float[] want) {
        assertThat(got).as(what + " length").hasSize(want.length);
        double max = 0, err = 0;
        for (int i = 0; i < want.length; i++) {
            max = Math.max(max, Math.abs(want[i]));
            err = Math.max(err, Math.abs(got[i] - want[i]));
        }
        assertThat(err).as(what + ": max error vs reference (max |ref| " + max + ")").isLessThanOrEqualTo(REL * max + 1e-6);
    }

    static void close(String what, Tensor got, Tensor want) {
        assertThat(got.shape()).as(what).isEqualTo(want.shape());
        assertThat(got.n()).isEqualTo(want.n());
        close(what, got.data(), want.data());
    }

    void checkConv(long seed, int n, int inC, int outC, int k, int stride, int pad, int groups, int h, int w, boolean bias) {
        Random r = new Random(seed);
        Op.Conv c = new Op.Conv(inC, outC, k, stride, pad, groups, bias, !bias, Activation.NONE, false);
        String what = "conv " + inC + "->" + outC + " k" + k + " s" + stride + " p" + pad + " g" + groups + " " + h + "x" + w + " n" + n;
        Tensor x = random(r, n, inC, h, w);
        float[] wt = random(r, outC * (inC / groups) * k * k, 0.3, 0);
        float[] b = bias ? random(r, outC, 1, 0) : null;
        Tensor y = fast.conv(x, c, wt, b);
        close(what + " forward", y, ref.conv(x, c, wt, b));
        Tensor dy = random(r, n, outC, y.h(), y.w());
        TrainingOps.ConvGrads<Tensor, float[]> gf = fast.convBackward(x, c, wt, dy, true), gr = ref.convBackward(x, c, wt, dy, true);
        close(what + " dx", gf.dx(), gr.dx());
        close(what + " dw", gf.dw(), gr.dw());
        close(what + " db", gf.db(), gr.db());
        TrainingOps.ConvGrads<Tensor, float[]> noDx = fast.convBackward(x, c, wt, dy, false);
        assertThat(noDx.dx()).isNull();
        close(what + " dw without dx", noDx.dw(), gr.dw());
    }

    @Test
    void pointwiseConvolutions() {
        checkConv(1, 2, 8, 12, 1, 1, 0, 1, 5, 7, true);
        checkConv(2, 3, 16, 5, 1, 1, 0, 1, 9, 20, false);
        checkConv(3, 2, 24, 10, 1, 1, 0, 1, 1, 1, true); // linear layer on 1x1 maps
        checkConv(4, 1, 6, 4, 1, 2, 0, 1, 8, 8, false); // strided 1x1 goes through im2col
    }

    @Test
    void denseConvolutions() {
        checkConv(5, 2, 6, 5, 3, 1, 1, 1, 9, 11, false);
        checkConv(6, 2, 4, 6, 3, 2, 1, 1, 10, 9, true);
        checkConv(7, 2, 6, 8, 2, 2, 0, 1, 8, 8, false);
        checkConv(8, 3, 3, 4, 5, 1, 2, 1, 6, 17, false);
        checkConv(9, 2, 5, 3, 3, 1, 0, 1, 7, 7, true); // valid padding
    }

    @Test
    void denseConvolutionsInSeveralRowBands() {
        // im2col runs in bands of CpuTrainingOps.BAND_FLOATS column values: these need 3 bands each,
        // the last one shorter (144 x 64 per row: 28 + 28 + 8 rows; 288 x 40: 22 + 22 + 4 rows)
        checkConv(18, 2, 16, 8, 3, 1, 1, 1, 64, 64, true);
        checkConv(19, 2, 32, 6, 3, 2, 1, 1, 96, 80, false);
        checkConv(20, 2, 32, 6, 3, 2, 1, 2, 96, 80, false); // grouped, 144 x 40: 45 + 3 rows
    }

    @Test
    void groupedConvolutions() {
        checkConv(10, 2, 8, 6, 3, 1, 1, 2, 7, 7, false);
        checkConv(11, 2, 6, 6, 3, 2, 1, 6, 9, 9, false); // strided depthwise: GEMM path
        checkConv(12, 2, 4, 4, 4, 1, 1, 4, 8, 8, true); // even kernel depthwise: GEMM path
    }

    @Test
    void depthwiseConvolutions() {
        checkConv(13, 2, 5, 5, 3, 1, 1, 5, 7, 19, false);
        checkConv(14, 2, 4, 4, 5, 1, 2, 4, 20, 33, true);
        checkConv(15, 2, 3, 3, 13, 1, 6, 3, 16, 16, false);
        checkConv(16, 1, 6, 6, 13, 1, 6, 6, 8, 8, false);
        checkConv(17, 2, 3, 3, 7, 1, 3, 3, 5, 40, false);
    }

    @Test
    void batchNorm() {
        Random r = new Random(20);
        for (int[] s : new int[][] {{2, 5, 7, 9}, {4, 3, 64, 70}, {2, 4, 1, 1}}) {
            Tensor x = random(r, s[0], s[1], s[2], s[3]);
            for (int i = 0; i < x.data().length; i++) x.data()[i] = x.data()[i] * 3 + 5; // offset mean
            float[] gamma = random(r, s[1], 0.5, 1), beta = random(r, s[1], 0.5, 0);
            float[] rmF = random(r, s[1], 0.1, 0), rvF = random(r, s[1], 0.1, 1);
            float[] rmR = rmF.clone(), rvR = rvF.clone();
            var f = fast.batchNormTrain(x, gamma, beta, rmF, rvF, 0.1f, 1e-5f);
            var g = ref.batchNormTrain(x, gamma, beta, rmR, rvR, 0.1f, 1e-5f);
            close("bn y", f.y(), g.y());
            close("bn mean", f.mean(), g.mean());
            close("bn invStd", f.invStd(), g.invStd());
            close("bn running mean", rmF, rmR);
            close("bn running var", rvF, rvR);
            Tensor dy = random(r, s[0], s[1], s[2], s[3]);
            var bf = fast.batchNormBackward(x, g.mean(), g.invStd(), gamma, dy);
            var br = ref.batchNormBackward(x, g.mean(), g.invStd(), gamma, dy);
            close("bn dx", bf.dx(), br.dx());
            close("bn dGamma", bf.dGamma(), br.dGamma());
            close("bn dBeta", bf.dBeta(), br.dBeta());
        }
    }

    @Test
    void elementwise() {
        Random r = new Random(30);
        Tensor x = random(r, 2, 3, 17, 23), b = random(r, 2, 3, 17, 23), dy = random(r, 2, 3, 17, 23);
        for (Activation a : Activation.values()) {
            Tensor yf = fast.activation(x, a), yr = ref.activation(x, a);
            close("activation " + a, yf, yr);
            close("activation backward " + a, fast.activationBackward(yr, a, dy), ref.activationBackward(yr, a, dy));
        }
        close("add", fast.add(x, b), ref.add(x, b));
        Tensor accF = new Tensor(2, 3, 17, 23, x.data().clone()), accR = new Tensor(2, 3, 17, 23, x.data().clone());
        fast.accumulate(accF, b);
        ref.accumulate(accR, b);
        close("accumulate", accF, accR);
        Tensor gate = random(r, 2, 3, 1, 1);
        close("channelMul", fast.channelMul(x, gate), ref.channelMul(x, gate));
        Tensor[] cf = fast.channelMulBackward(x, gate, dy).toArray(Tensor[]::new), cr = ref.channelMulBackward(x, gate, dy).toArray(Tensor[]::new);
        close("channelMul dx", cf[0], cr[0]);
        close("channelMul dg", cf[1], cr[1]);
        // inherited ops still answer through the fast object
        assertThat(fast.split(fast.concat(List.of(x, b)), new int[] {3, 3}).get(1).data()).containsExactly(b.data());
    }

    @Test
    void largeElementwiseRangesUseAllChunks() {
        Random r = new Random(31);
        Tensor x = random(r, 1, 3, 200, 300), b = random(r, 1, 3, 200, 300); // 180000 values: 3 chunks
        close("add large", fast.add(x, b), ref.add(x, b));
        close("relu large", fast.activation(x, Activation.RELU), ref.activation(x, Activation.RELU));
    }

    @Test
    void resizeAndItsAdjoint() {
        Random r = new Random(40);
        // up 2x / 4x / 8x (decoder, pyramid pool), down, non-integer ratios, to and from 1x1
        int[][] cases = {{8, 8, 16, 16}, {4, 6, 16, 24}, {8, 8, 64, 64}, {32, 20, 16, 10}, {7, 9, 20, 13},
                {13, 11, 5, 17}, {6, 5, 1, 1}, {1, 1, 6, 5}, {3, 40, 3, 40}};
        for (int[] cs : cases) {
            String what = "resize " + cs[0] + "x" + cs[1] + " -> " + cs[2] + "x" + cs[3];
            Tensor x = random(r, 2, 3, cs[0], cs[1]);
            close(what, fast.resize(x, cs[2], cs[3]), ref.resize(x, cs[2], cs[3]));
            Tensor dy = random(r, 2, 3, cs[2], cs[3]);
            close(what + " adjoint", fast.resizeBackward(dy, cs[0], cs[1]), ref.resizeBackward(dy, cs[0], cs[1]));
        }
        assertThatThrownBy(() -> fast.resize(Tensor.zeros(1, 1, 4, 4), 0, 3)).hasMessageContaining(">= 1x1");
    }

    @Test
    void poolsAndTheirAdjoints() {
        Random r = new Random(41);
        // windows as in the pyramid pool module, maps that divide evenly and ones that do not
        int[][] cases = {{2, 16, 16}, {4, 16, 16}, {8, 32, 24}, {16, 32, 32}, {3, 9, 11}, {6, 13, 7}, {16, 8, 8}, {4, 2, 9}};
        for (int[] cs : cases) {
            Op.AvgPool p = new Op.AvgPool(cs[0]);
            String what = "avgPool w" + cs[0] + " on " + cs[1] + "x" + cs[2] + (p.fits(cs[1], cs[2]) ? "" : " (global)");
            Tensor x = random(r, 2, 3, cs[1], cs[2]);
            Tensor yf = fast.avgPool(x, p), yr = ref.avgPool(x, p);
            close(what, yf, yr);
            Tensor dy = random(r, 2, 3, yr.h(), yr.w());
            close(what + " adjoint", fast.avgPoolBackward(dy, p, cs[1], cs[2]), ref.avgPoolBackward(dy, p, cs[1], cs[2]));
        }
        Tensor x = random(r, 3, 5, 17, 29), g = random(r, 3, 5, 1, 1);
        close("globalAvgPool", fast.globalAvgPool(x), ref.globalAvgPool(x));
        close("globalAvgPool adjoint", fast.globalAvgPoolBackward(g, 17, 29), ref.globalAvgPoolBackward(g, 17, 29));
        assertThatThrownBy(() -> fast.avgPoolBackward(Tensor.zeros(1, 1, 3, 3), new Op.AvgPool(4), 16, 16))
                .hasMessageContaining("does not match");
    }

    @Test
    void concatSplitAndComposite() {
        Random r = new Random(42);
        Tensor a = random(r, 3, 2, 5, 7), b = random(r, 3, 5, 5, 7), c = random(r, 3, 1, 5, 7);
        Tensor cat = fast.concat(List.of(a, b, c));
        assertThat(cat.shape()).isEqualTo(ref.concat(List.of(a, b, c)).shape());
        assertThat(cat.data()).containsExactly(ref.concat(List.of(a, b, c)).data());
        List<Tensor> parts = fast.split(cat, new int[] {2, 5, 1}), want = ref.split(cat, new int[] {2, 5, 1});
        for (int i = 0; i < 3; i++) {
            assertThat(parts.get(i).shape()).isEqualTo(want.get(i).shape());
            assertThat(parts.get(i).data()).containsExactly(want.get(i).data());
        }
        assertThatThrownBy(() -> fast.split(cat, new int[] {2, 5})).hasMessageContaining("must sum to 8");
        assertThatThrownBy(() -> fast.concat(List.of(a, random(r, 2, 2, 5, 7)))).hasMessageContaining("does not match");

        // prediction spread over [-0.5, 1.5] with exact 0 and 1 (the clamp's edges) mixed in
        Tensor pred = random(r, 3, 1, 9, 13), input = random(r, 3, 6, 9, 13), dy = random(r, 3, 1, 9, 13);
        for (int i = 0; i < pred.data().length; i++)
            pred.data()[i] = i % 7 == 0 ? (i % 2) : (float) (0.5 + 0.5 * pred.data()[i]);
        assertThat(fast.composite(pred, input).data()).containsExactly(ref.composite(pred, input).data());
        assertThat(fast.compositeBackward(pred, input, dy).data()).containsExactly(ref.compositeBackward(pred, input, dy).data());
    }

    @Test
    void badInputIsRejectedWithAMessage() {
        Op.Conv c = new Op.Conv(4, 4, 3, 1, 1, 1, false, true, Activation.NONE, false);
        Tensor x = Tensor.zeros(1, 4, 5, 5);
        assertThatThrownBy(() -> fast.conv(x, c, new float[10], null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected 144");
        assertThatThrownBy(() -> fast.conv(Tensor.zeros(1, 3, 5, 5), c, new float[144], null))
                .hasMessageContaining("input channels");
        assertThatThrownBy(() -> fast.convBackward(x, c, new float[144], Tensor.zeros(1, 4, 4, 4), true))
                .hasMessageContaining("does not match");
        assertThatThrownBy(() -> fast.add(x, Tensor.zeros(1, 4, 5, 6))).hasMessageContaining("shapes differ");
    }

    @Test
    void registeredAboveTheReference() {
        assertThat(TrainingBackends.resolve("auto").name()).isEqualTo("cpu");
        var cpu = TrainingBackends.resolve("cpu");
        assertThat(cpu.isAvailable()).isTrue();
        assertThat(cpu.unavailableReason()).isEmpty();
        try (CpuTrainingOps ops = (CpuTrainingOps) cpu.open(1)) {
            assertThat(ops.name()).isEqualTo("cpu");
            Tensor x = Tensor.zeros(1, 2, 3, 3);
            assertThat(ops.add(x, x).data()).containsOnly(0f);
        }
        CpuTrainingOps closed = (CpuTrainingOps) cpu.open(1);
        closed.close();
        assertThatThrownBy(() -> closed.add(Tensor.zeros(1, 1, 1, 1), Tensor.zeros(1, 1, 1, 1)))
                .isInstanceOf(IllegalStateException.class);
    }
}
