package io.pam.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Every expected value below is worked out by hand in the comments, not by the code under test. */
class MetricsTest {
    static final byte U = (byte) 128, F = (byte) 255, B = 0;

    static byte[] allUnknown(int n) {
        byte[] t = new byte[n];
        Arrays.fill(t, U);
        return t;
    }

    @Test
    void sadAndMseCountOnlyUnknownPixels() {
        float[] pred = {0.5f, 1f, 0f, 0.25f};
        float[] gt = {0.25f, 1f, 0.5f, 0.25f};
        byte[] tri = {U, U, B, U};
        // unknown: pixels 0, 1, 3 with |d| = 0.25, 0, 0 (pixel 2 differs by 0.5 but is known)
        assertThat(Metrics.sad(2, 2, pred, gt, tri)).isCloseTo(0.25 / 1000, within(1e-12));
        // squared: 0.0625, 0, 0 over 3 unknown pixels
        assertThat(Metrics.mse(2, 2, pred, gt, tri)).isCloseTo(0.0625 / 3, within(1e-12));
        MatteErrors all = Metrics.all(2, 2, pred, gt, tri);
        assertThat(all.unknownPixels()).isEqualTo(3);
        assertThat(all.sad()).isCloseTo(0.25 / 1000, within(1e-12));
    }

    @Test
    void noUnknownPixelsGivesZero() {
        float[] pred = {0f, 1f};
        float[] gt = {1f, 0f};
        byte[] tri = {B, F};
        MatteErrors e = Metrics.all(2, 1, pred, gt, tri);
        assertThat(e.sad()).isZero();
        assertThat(e.mse()).isZero();
        assertThat(e.grad()).isZero();
        assertThat(e.conn()).isZero();
    }

    @Test
    void gradOfARampMatchesTheSeparableFormula() {
        // pred = 0.02 x on a 20x20 image, gt = 0, one unknown pixel at (10, 10) (4 px from any
        // border effect). Kx(i, j) = G(i) G'(j) is separable; with g(i) = exp(-i^2 / 3.92) (the
        // Gaussian's constant and G' = -j g / sigma^2's constants cancel in the unit-L2 scaling):
        //   gx = c * sum_i g(i) * sum_j j^2 g(j) / sqrt(sum_i g(i)^2 * sum_j j^2 g(j)^2)
        //      = c * 3.505668 * 6.785454 / sqrt(2.481430 * 2.431661) = 9.683831 c,
        //   gy = c * sum_i i g(i) * (...) = 0 (odd sum).
        // |grad pred| = 0.02 * 9.683831 = 0.1936766; |grad gt| = 0. Grad = 0.1936766^2 / 1000.
        int w = 20, h = 20;
        float[] pred = new float[w * h], gt = new float[w * h];
        byte[] tri = new byte[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) pred[y * w + x] = 0.02f * x;
        tri[10 * w + 10] = U;
        assertThat(Metrics.grad(w, h, pred, gt, tri)).isCloseTo(3.7510632e-05, within(1e-10));
        // Swapping pred and gt gives the same squared difference; transposing the ramp too.
        assertThat(Metrics.grad(w, h, gt, pred, tri)).isCloseTo(3.7510632e-05, within(1e-10));
        float[] transposed = new float[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) transposed[y * w + x] = 0.02f * y;
        assertThat(Metrics.grad(w, h, transposed, gt, tri)).isCloseTo(3.7510632e-05, within(1e-10));
    }

    @Test
    void gradUsesReplicateBorders() {
        // A constant image has zero gradient everywhere, borders included, only if the border
        // is replicated (zero padding would create an edge at the frame).
        float[] ones = new float[25];
        Arrays.fill(ones, 1f);
        float[] zeros = new float[25];
        assertThat(Metrics.grad(5, 5, ones, zeros, allUnknown(25))).isCloseTo(0, within(1e-12));
    }

    @Test
    void connPenalisesAPixelDisconnectedFromTheLargestComponent() {
        // 1x5: gt 1 1 1 0 0, pred 1 1 1 0 1. For every threshold the largest component of
        // (pred >= t AND gt >= t) is pixels 0..2, so their level is 1 and phi = 1 for both.
        // Pixels 3 and 4 drop out at t = 0.1: level 0. Pixel 4: pred d = 1 >= 0.15 -> phi 0;
        // gt d = 0 -> phi 1. Conn = 1 / 1000.
        float[] gt = {1, 1, 1, 0, 0};
        float[] pred = {1, 1, 1, 0, 1};
        assertThat(Metrics.conn(5, 1, pred, gt, allUnknown(5))).isCloseTo(1.0 / 1000, within(1e-9));
    }

    @Test
    void connIsFourConnectedAndIgnoresSmallDrops() {
        // 3x3, a 2x2 block of ones and a diagonal neighbour at (2,2): gt 0.6, pred 0.7.
        // 4-connected, (2,2) is its own component, smaller than the block: level 0 at t = 0.1.
        // phi(pred) = 1 - 0.7 = 0.3, phi(gt) = 1 - 0.6 = 0.4: Conn = 0.1 / 1000.
        // (8-connected it would join the block up to t = 0.6, level 0.6: pred drop 0.1 < 0.15,
        // gt drop 0: both phi 1, Conn 0.)
        float[] gt = {1, 1, 0, 1, 1, 0, 0, 0, 0.6f};
        float[] pred = {1, 1, 0, 1, 1, 0, 0, 0, 0.7f};
        assertThat(Metrics.conn(3, 3, pred, gt, allUnknown(9))).isCloseTo(0.1 / 1000, within(1e-7));

        // 1x3, gt 1 1 1. pred 1 1 0.9: pixel 2 leaves at t = 1.0, level 0.9; gt drop 0.1 < 0.15
        // -> phi 1, pred drop 0 -> 1: Conn 0.
        assertThat(Metrics.conn(3, 1, new float[] {1, 1, 0.9f}, new float[] {1, 1, 1}, allUnknown(3)))
                .isCloseTo(0, within(1e-12));
        // pred 1 1 0.5: pixel 2 leaves at t = 0.6, level 0.5; gt drop 0.5 -> phi 0.5, pred 1.
        assertThat(Metrics.conn(3, 1, new float[] {1, 1, 0.5f}, new float[] {1, 1, 1}, allUnknown(3)))
                .isCloseTo(0.5 / 1000, within(1e-7));
    }

    @Test
    void largestComponentPicksTheBiggestFourConnectedSet() {
        // 4x3:  1 0 1 1
        //       0 1 0 1
        //       1 0 0 1   -> components {0}, {2,3,7,11} (size 4), {5}, {8}
        boolean[] m = {true, false, true, true, false, true, false, true, true, false, false, true};
        boolean[] big = Metrics.largestComponent(4, 3, m);
        boolean[] expected = {false, false, true, true, false, false, false, true, false, false, false, true};
        assertThat(big).containsExactly(expected);
    }

    @Test
    void badInputIsRejectedClearly() {
        assertThatThrownBy(() -> Metrics.sad(2, 2, new float[3], new float[4], new byte[4]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 4 values");
        assertThatThrownBy(() -> Metrics.sad(2, 1, new float[] {0, 1.5f}, new float[2], new byte[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0,1]");
        assertThatThrownBy(() -> Metrics.sad(1, 1, new float[] {Float.NaN}, new float[1], new byte[1]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
    }
}
