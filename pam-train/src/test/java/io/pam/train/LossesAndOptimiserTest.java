package io.pam.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pam.Route;
import io.pam.net.Tensor;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Losses and RAdam against hand-computed values; the Laplacian pyramid's gradient by finite differences. */
class LossesAndOptimiserTest {

    /** 1 x 6 x 1 x 2 input: pixel 0 unknown, pixel 1 foreground. */
    static Tensor input(float r0, float r1) {
        Tensor x = Tensor.zeros(1, 6, 1, 2);
        x.data()[0] = r0;
        x.data()[1] = r1;
        x.data()[x.index(0, 4, 0, 0)] = 1;
        x.data()[x.index(0, 5, 0, 1)] = 1;
        return x;
    }

    static Tensor t(float... v) {
        return new Tensor(1, 1, 1, v.length, v);
    }

    @Test
    void l1AndCharbonnierOnlyCountUnknownPixels() {
        Tensor in = input(0, 0);
        Losses.Value l1 = Losses.l1(t(0.75f, 1f), t(0.5f, 0f), in);
        assertThat(l1.loss()).isCloseTo(0.25, within(1e-7));
        assertThat(l1.grad().data()).containsExactly(1f, 0f);
        Losses.Value ch = Losses.charbonnier(t(0.2f, 1f), t(0.5f, 0f), in);
        assertThat(ch.loss()).isCloseTo(Math.sqrt(0.09 + 1e-12), within(1e-7));
        assertThat((double) ch.grad().data()[0]).isCloseTo(-1, within(1e-6));
    }

    @Test
    void compositionLossByHand() {
        // F = (1, 0, 0), B = (0, 0, 1) at the unknown pixel, image (0.5, 0, 0.5), predicted alpha 0.75:
        // composite (0.75, 0, 0.25); errors (0.25, 0, 0.25) / std; normalised by 3 * 1 pixel
        Tensor in = input(0.5f, 0);
        in.data()[in.index(0, 2, 0, 0)] = 0.5f;
        Tensor fg = Tensor.zeros(1, 3, 1, 2), bg = Tensor.zeros(1, 3, 1, 2);
        fg.data()[0] = 1;
        bg.data()[bg.index(0, 2, 0, 0)] = 1;
        Losses.Value c = Losses.composition(t(0.75f, 1f), fg, bg, in);
        assertThat(c.loss()).isCloseTo((0.25 / 0.229 + 0.25 / 0.225) / 3, within(1e-6));
        // d/da: sign(+) (F-B)_r / std_r + sign(-) (F-B)_b / std_b, each / 3
        assertThat((double) c.grad().data()[0]).isCloseTo((1 / 0.229 + 1 / 0.225) / 3, within(1e-5));
    }

    @Test
    void laplacianIgnoresConstantOffsetsAndMatchesFiniteDifferences() {
        int h = 32, w = 32;
        Random rnd = new Random(1);
        double[] mask = new double[h * w], d = new double[h * w];
        for (int i = 0; i < d.length; i++) {
            mask[i] = rnd.nextInt(3) == 0 ? 0 : 1;
            d[i] = rnd.nextGaussian();
        }
        double[] sums = new double[Losses.LAP_LEVELS];
        double[] m = mask;
        int lh = h, lw = w;
        for (int l = 0; l < sums.length; l++) {
            for (double v : m) sums[l] += v;
            m = Pyramid.down(m, lh, lw);
            lh /= 2;
            lw /= 2;
        }
        double[] g = new double[d.length];
        double[] constant = new double[d.length];
        java.util.Arrays.fill(constant, 0.7);
        assertThat(Pyramid.maskedLoss(constant, mask, h, w, sums, g)).isCloseTo(0, within(1e-12));
        Pyramid.maskedLoss(d, mask, h, w, sums, g);
        double num = 0, den = 0;
        for (int k = 0; k < 60; k++) {
            int i = rnd.nextInt(d.length);
            double keep = d[i], e = 1e-7;
            d[i] = keep + e;
            double up = Pyramid.maskedLoss(d, mask, h, w, sums, new double[d.length]);
            d[i] = keep - e;
            double down = Pyramid.maskedLoss(d, mask, h, w, sums, new double[d.length]);
            d[i] = keep;
            double fd = (up - down) / (2 * e);
            num += (fd - g[i]) * (fd - g[i]);
            den += g[i] * g[i];
        }
        assertThat(Math.sqrt(num / den)).as("Laplacian loss gradient vs finite differences (double)").isLessThan(1e-6);
    }

    @Test
    void laplacianOfAnImpulseByHand() {
        // a single unit difference at (0,0) of a 32x32 plane, everything unknown: level 0 holds
        // d - 4 G Z D G d; at (0,0): 1 - 4 * (6/16 * 6/16) * (G d)(0,0) where (G d)(0,0) = (6/16)^2
        Tensor in = Tensor.zeros(1, 6, 32, 32);
        java.util.Arrays.fill(in.data(), in.index(0, 4, 0, 0), in.index(0, 5, 0, 0), 1f);
        Tensor a = Tensor.zeros(1, 1, 32, 32), gt = Tensor.zeros(1, 1, 32, 32);
        a.data()[0] = 1;
        Losses.Value v = Losses.laplacian(a, gt, in);
        double g00 = 36.0 / 256;
        double level0At00 = 1 - 4 * g00 * g00;
        assertThat(v.loss()).isGreaterThan(level0At00 / 1024);
        assertThat(Losses.laplacian(gt, gt, in).loss()).isZero();
    }

    @Test
    void pathCrossEntropyByHand() {
        Tensor[] logits = new Tensor[4], d = new Tensor[4];
        for (int g = 0; g < 4; g++) logits[g] = new Tensor(1, 2, 1, 1, new float[] {0, (float) Math.log(3)});
        // label 1010: groups 1, 3 compute (p = 1/4), groups 2, 4 bypass (p = 3/4)
        double loss = Losses.pathCrossEntropy(logits, Route.parse("1010"), d);
        assertThat(loss).isCloseTo(2 * Math.log(4) + 2 * Math.log(4.0 / 3), within(1e-6));
        assertThat((double) d[0].data()[0]).isCloseTo(0.25 - 1, within(1e-6));
        assertThat((double) d[1].data()[1]).isCloseTo(0.75 - 1, within(1e-6));
    }

    @Test
    void radamFirstStepsThenRectificationAtStepSix() {
        // constant gradient 1, lr 0.1, wd 0.01, betas (0.5, 0.999): m_hat = 1 at every step.
        // Steps 1..5 (rho_t = 1, 2.0, 3.0, 4.0, 4.996 <= 5): p = p (1 - lr wd) - lr.
        // Step 6: rho_6 = 5.99416375, r_6 = sqrt((rho-4)(rho-2) 1999 / (1995 * 1997 * rho)) = 0.0258211128,
        // and sqrt(1 - b2^6) / sqrt(v_6) = 1 (v_6 = 1 - b2^6): p = p (1 - lr wd) - lr r_6 (eps ignored: 1e-8 relative).
        // Step 7: r_7 = 0.0327388144.
        RAdam<float[]> opt = new RAdam<>(new io.pam.ref.RefTrainingOps(), 0.5, 0.999, 0.01);
        float[] p = {1f};
        Map<String, float[]> params = Map.of("w", p), grads = Map.of("w", new float[] {1f});
        double expect = 1;
        for (int t = 1; t <= 7; t++) {
            opt.step(params, grads, Set.of("w"), 0.1);
            expect *= 1 - 0.1 * 0.01;
            expect -= t <= 5 ? 0.1 : 0.1 * (t == 6 ? 0.02582111280185855 : 0.032738814409964026);
            assertThat((double) p[0]).as("after step %d", t).isCloseTo(expect, within(2e-6));
        }
        assertThat(opt.steps("w")).isEqualTo(7);
    }

    @Test
    void untouchedParametersGetNoMomentumOrDecay() {
        RAdam<float[]> opt = new RAdam<>(new io.pam.ref.RefTrainingOps(), 0.5, 0.999, 0.1);
        float[] a = {1f}, b = {1f};
        Map<String, float[]> params = Map.of("a", a, "b", b), grads = Map.of("a", new float[] {1f}, "b", new float[] {1f});
        opt.step(params, grads, Set.of("a", "b"), 0.1);
        float bAfterOne = b[0];
        opt.step(params, grads, Set.of("a"), 0.1);
        assertThat(b[0]).isEqualTo(bAfterOne);
        assertThat(opt.steps("b")).isEqualTo(1);
        assertThat(opt.steps("a")).isEqualTo(2);
    }

    @Test
    void cosineSchedule() {
        assertThat(RAdam.cosineLr(3e-4, 0, 100)).isEqualTo(3e-4);
        assertThat(RAdam.cosineLr(3e-4, 50, 100)).isCloseTo(1.5e-4, within(1e-12));
        assertThat(RAdam.cosineLr(3e-4, 100, 100)).isCloseTo(0, within(1e-12));
    }
}
