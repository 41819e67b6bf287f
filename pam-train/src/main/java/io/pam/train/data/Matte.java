package io.pam.train.data;

import io.pam.image.RgbImage;

/**
 * A foreground layer: colours and alpha, both {@code width x height}.
 *
 * @param name       where it came from (file name or "procedural")
 * @param foreground foreground colours F, planar RGB in [0,1]
 * @param alpha      alpha in [0,1], row-major
 */
public record Matte(String name, RgbImage foreground, float[] alpha) {
    public Matte {
        if (alpha == null || alpha.length != foreground.plane())
            throw new IllegalArgumentException("alpha of " + name + " must have " + foreground.plane() + " values");
    }

    public int width() {
        return foreground.width();
    }

    public int height() {
        return foreground.height();
    }

    /** Row-major indices of the pixels with 0 < alpha < 1 (empty array if none). */
    public int[] unknownPixels() {
        int count = 0;
        for (float a : alpha) if (a > 0 && a < 1) count++;
        int[] out = new int[count];
        int k = 0;
        for (int i = 0; i < alpha.length; i++) if (alpha[i] > 0 && alpha[i] < 1) out[k++] = i;
        return out;
    }
}
