package io.pam.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ForegroundEstimatorTest {
    /**
     * A smooth foreground and background (linear colour ramps) composited with a soft disc alpha
     * (1 inside radius 14, falling linearly to 0 at radius 30) and a band of semi-transparent
     * stripes; the estimate must recover F where 0.1 < alpha < 0.9.
     */
    @Test
    void recoversAKnownForegroundInTheUnknownRegion() {
        int w = 96, h = 80, n = w * h;
        float[] f = new float[3 * n], b = new float[3 * n], a = new float[n], img = new float[3 * n];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                f[i] = 0.85f;
                f[n + i] = 0.2f + 0.5f * x / w;
                f[2 * n + i] = 0.3f - 0.2f * y / h;
                b[i] = 0.1f + 0.6f * y / h;
                b[n + i] = 0.75f;
                b[2 * n + i] = 0.9f - 0.5f * x / w;
                double r = Math.hypot(x - 40, y - 40);
                float disc = (float) Math.clamp((30 - r) / 16, 0, 1);
                float stripes = x >= 75 && x < 90 ? (float) (0.5 + 0.4 * Math.sin(y * 0.7)) : 0f;
                a[i] = Math.max(disc, stripes);
                for (int c = 0; c < 3; c++) img[c * n + i] = a[i] * f[c * n + i] + (1 - a[i]) * b[c * n + i];
            }
        }
        ForegroundEstimator.Result r = ForegroundEstimator.estimate(new RgbImage(w, h, img), a);
        float[] fe = r.foreground().planar(), be = r.background().planar();
        double sum = 0, max = 0, naive = 0;
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (a[i] <= 0.1f || a[i] >= 0.9f) continue;
            count++;
            for (int c = 0; c < 3; c++) {
                double e = Math.abs(fe[c * n + i] - f[c * n + i]);
                sum += e;
                max = Math.max(max, e);
                naive += Math.abs(img[c * n + i] - f[c * n + i]);
                // The estimate keeps the compositing constraint.
                double comp = a[i] * fe[c * n + i] + (1 - a[i]) * be[c * n + i];
                assertThat(Math.abs(comp - img[c * n + i])).as("composite residual at %d", i).isLessThan(0.02);
            }
        }
        double mean = sum / (3.0 * count);
        assertThat(count).isGreaterThan(500);
        // Tolerance: mean |F error| < 0.02 and max < 0.1 per channel, where taking F = I would be
        // off by about 0.2 on average.
        assertThat(mean).as("mean |F - F_true|").isLessThan(0.02);
        assertThat(max).as("max |F - F_true|").isLessThan(0.1);
        assertThat(naive / (3.0 * count)).isGreaterThan(10 * mean);
    }

    @Test
    void isDeterministicAndValidatesInput() {
        int w = 17, h = 9, n = w * h;
        float[] img = new float[3 * n], a = new float[n];
        for (int i = 0; i < 3 * n; i++) img[i] = (i * 0.013f) % 1f;
        for (int i = 0; i < n; i++) a[i] = (i % 7) / 6f;
        var r1 = ForegroundEstimator.estimate(new RgbImage(w, h, img), a);
        var r2 = ForegroundEstimator.estimate(new RgbImage(w, h, img), a);
        assertThat(r1.foreground().planar()).containsExactly(r2.foreground().planar());
        assertThatThrownBy(() -> ForegroundEstimator.estimate(new RgbImage(w, h, img), new float[n - 1]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("alpha must have");
        a[3] = 2f;
        assertThatThrownBy(() -> ForegroundEstimator.estimate(new RgbImage(w, h, img), a))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0,1]");
    }
}
