package io.pam.train.data;

import java.util.SplittableRandom;

/**
 * Random colour changes of a planar RGB buffer, in place, clamped to [0,1]: brightness gain
 * (x [0.75, 1.25]), per-channel gain (x [0.9, 1.1]), saturation (blend with luma, factor
 * [0.6, 1.4]) and gamma ([0.8, 1.25]); {@code strength} scales every range around identity.
 */
final class ColourJitter {
    private ColourJitter() {}

    static void apply(SplittableRandom rnd, float[] rgb, int n, double strength) {
        float gain = (float) range(rnd, 0.25 * strength);
        float[] ch = {(float) range(rnd, 0.1 * strength), (float) range(rnd, 0.1 * strength), (float) range(rnd, 0.1 * strength)};
        float sat = (float) range(rnd, 0.4 * strength);
        double gamma = Math.exp((rnd.nextDouble() * 2 - 1) * Math.log(1.25) * strength);
        // A lookup table makes the gamma cheap: values are quantised to 1/4096 before it.
        float[] lut = new float[4097];
        for (int i = 0; i <= 4096; i++) lut[i] = (float) Math.pow(i / 4096.0, gamma);
        for (int i = 0; i < n; i++) {
            float r = rgb[i] * gain * ch[0], g = rgb[n + i] * gain * ch[1], b = rgb[2 * n + i] * gain * ch[2];
            float luma = 0.299f * r + 0.587f * g + 0.114f * b;
            rgb[i] = lut[Math.round(Math.clamp(luma + sat * (r - luma), 0f, 1f) * 4096)];
            rgb[n + i] = lut[Math.round(Math.clamp(luma + sat * (g - luma), 0f, 1f) * 4096)];
            rgb[2 * n + i] = lut[Math.round(Math.clamp(luma + sat * (b - luma), 0f, 1f) * 4096)];
        }
    }

    /** Uniform in [1 - d, 1 + d]. */
    private static double range(SplittableRandom rnd, double d) {
        return 1 + (rnd.nextDouble() * 2 - 1) * d;
    }
}
