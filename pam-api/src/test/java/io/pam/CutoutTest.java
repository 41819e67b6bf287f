package io.pam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.pam.image.RgbImage;
import java.awt.image.BufferedImage;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CutoutTest {
    static final int W = 96, H = 64;

    /** Smooth, known foreground colours: reddish to the left, greener downwards. */
    static float fg(int c, int x, int y) {
        return switch (c) {
            case 0 -> 0.9f - 0.3f * x / W;
            case 1 -> 0.2f + 0.5f * y / H;
            default -> 0.3f;
        };
    }

    /** A smooth background of clearly different colour. */
    static float bg(int c, int x, int y) {
        return switch (c) {
            case 0 -> 0.1f;
            case 1 -> 0.8f - 0.4f * x / W;
            default -> 0.9f;
        };
    }

    /** 0 on the left third, 1 on the right third, a wavy ramp between. */
    static float[] alpha() {
        float[] a = new float[W * H];
        for (int y = 0; y < H; y++) {
            for (int x = 0; x < W; x++) {
                double t = (x - W / 3.0 + 3 * Math.sin(y / 5.0)) / (W / 3.0);
                a[y * W + x] = (float) Math.min(1, Math.max(0, t));
            }
        }
        return a;
    }

    static RgbImage composite(float[] a) {
        float[] p = new float[3 * W * H];
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    int i = y * W + x;
                    p[c * W * H + i] = a[i] * fg(c, x, y) + (1 - a[i]) * bg(c, x, y);
                }
        return new RgbImage(W, H, p);
    }

    @Test
    void foregroundColoursAreRecoveredInTheUnknownRegion() {
        float[] a = alpha();
        Cutout cut = Cutout.of(composite(a), a);
        // Stated tolerance (measured: mean 0.016, max 0.115 for alpha >= 0.2; max 0.075 for
        // alpha >= 0.5): the estimator trades exactness for smoothness, and where alpha is small
        // the foreground colour is barely observable.
        assertThat(error(cut, a, 0.2f, false)).as("mean |F - F_true| where alpha >= 0.2").isLessThan(0.025);
        assertThat(error(cut, a, 0.2f, true)).as("max |F - F_true| where alpha >= 0.2").isLessThan(0.15);
        assertThat(error(cut, a, 0.5f, true)).as("max |F - F_true| where alpha >= 0.5").isLessThan(0.10);
        // and the naive cutout (the image's own colours) would be far off: the test can fail
        double naive = 0;
        RgbImage img = composite(a);
        for (int i = 0; i < W * H; i++) if (a[i] >= 0.2f && a[i] < 0.5f) naive = Math.max(naive, Math.abs(img.planar()[i] - fg(0, i % W, i / W)));
        assertThat(naive).isGreaterThan(0.3);
    }

    /** Mean or max colour error over the unknown pixels (0 < alpha < 1) with alpha >= {@code from}. */
    static double error(Cutout cut, float[] a, float from, boolean max) {
        double sum = 0, worst = 0;
        int count = 0;
        for (int i = 0; i < W * H; i++) {
            if (a[i] < from || a[i] >= 1f) continue;
            for (int c = 0; c < 3; c++) {
                double e = Math.abs(cut.foreground().get(c, i % W, i / W) - fg(c, i % W, i / W));
                sum += e;
                worst = Math.max(worst, e);
                count++;
            }
        }
        assertThat(count).isGreaterThan(500);
        return max ? worst : sum / count;
    }

    @Test
    void composeIsAlphaBlendingOverTheNewBackground() {
        float[] a = alpha();
        Cutout cut = Cutout.of(composite(a), a);
        float[] nb = new float[3 * W * H];
        for (int i = 0; i < nb.length; i++) nb[i] = (i % 7) / 7f;
        RgbImage out = cut.compose(new RgbImage(W, H, nb));
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < W * H; i++)
                assertThat(out.planar()[c * W * H + i]).isCloseTo(a[i] * cut.foreground().planar()[c * W * H + i] + (1 - a[i]) * nb[c * W * H + i], within(1e-6f));
        BufferedImage rgba = cut.toImage();
        assertThat(rgba.getColorModel().hasAlpha()).isTrue();
        assertThat(rgba.getRGB(W - 1, 0) >>> 24).isEqualTo(255);
        assertThat(rgba.getRGB(0, 0) >>> 24).isZero();
        assertThat(rgba.getRGB(W / 2, 10) >>> 24).isEqualTo(Math.round(a[10 * W + W / 2] * 255));
    }

    @Test
    void backgroundsOfOtherSizesAreScaledToCoverThenCentreCropped() {
        // twice the size, same aspect: bilinear at scale 1/2 samples exactly between 4 pixels
        int bw = 2 * W, bh = 2 * H;
        float[] p = new float[3 * bw * bh];
        for (int i = 0; i < p.length; i++) p[i] = (i * 37 % 101) / 100f;
        RgbImage fit = Cutout.fit(new RgbImage(bw, bh, p), W, H);
        for (int y = 0; y < H; y += 7)
            for (int x = 0; x < W; x += 5) {
                float avg = (p[2 * y * bw + 2 * x] + p[2 * y * bw + 2 * x + 1] + p[(2 * y + 1) * bw + 2 * x] + p[(2 * y + 1) * bw + 2 * x + 1]) / 4;
                assertThat(fit.get(0, x, y)).isCloseTo(avg, within(1e-5f));
            }
        // wide and short: scaled by H / 32 = 2 to cover the height, the middle of its width kept
        int ww = 300, wh = 32;
        float[] q = new float[3 * ww * wh];
        for (int y = 0; y < wh; y++) for (int x = 0; x < ww; x++) q[y * ww + x] = x / (ww - 1f);
        RgbImage wide = Cutout.fit(new RgbImage(ww, wh, q), W, H);
        assertThat(wide.width()).isEqualTo(W);
        assertThat(wide.height()).isEqualTo(H);
        // output x maps to source x' = (x + 0.5 + (600 - 96) / 2) / 2 - 0.5
        for (int x = 0; x < W; x += 9)
            assertThat(wide.get(0, x, H / 2)).isCloseTo(((x + 0.5f + 252) / 2 - 0.5f) / (ww - 1f), within(1e-5f));
    }

    @Test
    void theMatteMustFitTheImage() {
        MatteResult r = new MatteResult(new float[4 * 4], 4, 4, Optional.empty(), 0, 0, Duration.ZERO, "none");
        assertThatThrownBy(() -> Cutout.of(new BufferedImage(5, 4, BufferedImage.TYPE_INT_RGB), r))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("5x4").hasMessageContaining("4x4");
        Cutout c = Cutout.of(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), r);
        assertThat(c.width()).isEqualTo(4);
    }
}
