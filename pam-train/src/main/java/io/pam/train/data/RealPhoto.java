package io.pam.train.data;

import io.pam.image.GrayImage;
import io.pam.image.RgbImage;

/**
 * One real photograph with ground truth (alphamatting.com training set) and its estimated
 * foreground and background colours.
 *
 * @param name         file stem, e.g. "GT01"
 * @param image        the photograph
 * @param alpha        ground-truth alpha in [0,1], row-major
 * @param trimapFine   the benchmark's finer trimap (trimap1)
 * @param trimapCoarse the benchmark's coarser trimap (trimap2)
 * @param foreground   estimated F ({@link io.pam.image.ForegroundEstimator})
 * @param background   estimated B
 */
public record RealPhoto(String name, RgbImage image, float[] alpha, GrayImage trimapFine, GrayImage trimapCoarse,
                        RgbImage foreground, RgbImage background) {
    /** The foreground layer for compositing over new backgrounds. */
    public Matte matte() {
        return new Matte(name, foreground, alpha);
    }

    /** trimap1 (fine) or trimap2 (coarse). */
    public GrayImage trimap(int which) {
        return switch (which) {
            case 1 -> trimapFine;
            case 2 -> trimapCoarse;
            default -> throw new IllegalArgumentException("trimap must be 1 (fine) or 2 (coarse), got " + which);
        };
    }
}
