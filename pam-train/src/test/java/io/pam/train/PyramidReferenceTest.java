package io.pam.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pam.net.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The optimised Laplacian loss against the straightforward {@link ReferencePyramid}. */
class PyramidReferenceTest {

    /** The Laplacian loss as first written: masks subsampled with {@code down}, one reference pyramid per image. */
    static Losses.Value referenceLaplacian(Tensor alpha, Tensor gt, Tensor input) {
        int h = alpha.h(), w = alpha.w(), plane = h * w;
        Tensor grad = Tensor.zeros(alpha.n(), 1, h, w);
        double[] maskSums = new double[Losses.LAP_LEVELS];
        double[][] masks = new double[alpha.n()][];
        for (int n = 0; n < alpha.n(); n++) {
            masks[n] = new double[plane];
            int ub = input.index(n, 4, 0, 0);
            for (int i = 0; i < plane; i++) masks[n][i] = input.data()[ub + i];
            double[] m = masks[n];
            int lh = h, lw = w;
            for (int l = 0; l < Losses.LAP_LEVELS; l++) {
                for (double v : m) maskSums[l] += v;
                m = ReferencePyramid.down(m, lh, lw);
                lh /= 2;
                lw /= 2;
            }
        }
        double total = 0;
        for (int n = 0; n < alpha.n(); n++) {
            double[] d = new double[plane], g = new double[plane];
            int ab = alpha.index(n, 0, 0, 0);
            for (int i = 0; i < plane; i++) d[i] = alpha.data()[ab + i] - gt.data()[ab + i];
            total += ReferencePyramid.maskedLoss(d, masks[n], h, w, maskSums, g);
            for (int i = 0; i < plane; i++) grad.data()[ab + i] = (float) g[i];
        }
        return new Losses.Value(total, grad);
    }

    @Test
    void laplacianMatchesTheReferenceOnRandomSizes() {
        Random rnd = new Random(7);
        int[][] sizes = {{32, 32}, {32, 96}, {128, 64}, {96, 128}, {64, 32}};
        for (int[] s : sizes) {
            int n = 1 + rnd.nextInt(3), h = s[0], w = s[1], plane = h * w;
            Tensor in = Tensor.zeros(n, 6, h, w), a = Tensor.zeros(n, 1, h, w), gt = Tensor.zeros(n, 1, h, w);
            for (int b = 0; b < n; b++)
                for (int i = 0; i < plane; i++) {
                    in.data()[in.index(b, 4, 0, 0) + i] = rnd.nextInt(3) == 0 ? 0 : 1;
                    a.data()[b * plane + i] = rnd.nextFloat();
                    gt.data()[b * plane + i] = rnd.nextInt(4) == 0 ? a.data()[b * plane + i] : rnd.nextFloat();
                }
            Losses.Value got = Losses.laplacian(a, gt, in), want = referenceLaplacian(a, gt, in);
            assertThat(got.loss()).isPositive();
            assertThat(Math.abs(got.loss() - want.loss()) / want.loss()).as("loss %dx%d", h, w).isLessThanOrEqualTo(1e-12);
            double num = 0, den = 0, maxAbs = 0;
            for (int i = 0; i < got.grad().data().length; i++) {
                double e = got.grad().data()[i] - want.grad().data()[i];
                num += e * e;
                den += (double) want.grad().data()[i] * want.grad().data()[i];
                maxAbs = Math.max(maxAbs, Math.abs(want.grad().data()[i]));
            }
            assertThat(den).isPositive();
            assertThat(Math.sqrt(num / den)).as("gradient %dx%d", h, w).isLessThanOrEqualTo(1e-6);
        }
    }

    @Test
    void maskedLossMatchesTheReferenceOnAPlane() {
        // the double-plane entry point, on a non-square plane with a fractional (float-exact) mask
        int h = 64, w = 96;
        Random rnd = new Random(3);
        double[] d = new double[h * w], mask = new double[h * w];
        for (int i = 0; i < d.length; i++) {
            d[i] = rnd.nextGaussian();
            mask[i] = rnd.nextInt(4) * 0.25;
        }
        double[] sums = {500, 120, 30, 8, 2};
        double[] g = new double[d.length], gr = new double[d.length];
        double got = Pyramid.maskedLoss(d, mask, h, w, sums, g), want = ReferencePyramid.maskedLoss(d, mask, h, w, sums, gr);
        assertThat(Math.abs(got - want)).isLessThanOrEqualTo(1e-12 * want);
        for (int i = 0; i < g.length; i++) assertThat(Math.abs(g[i] - gr[i])).as("gradient at %d", i).isLessThanOrEqualTo(1e-12);
    }

    @Test
    void oddLevelIsRejected() {
        assertThatThrownBy(() -> Pyramid.maskedLoss(new double[48 * 48], new double[48 * 48], 48, 48, new double[5], new double[48 * 48]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("odd");
    }
}
