package io.pam.image;

/**
 * An RGB image as planar floats in [0,1]: {@code planar[c * width * height + y * width + x]},
 * c = 0 red, 1 green, 2 blue (the layout of one image of an NCHW tensor).
 *
 * <p>The array is shared, not copied: treat it as owned by the holder.
 */
public record RgbImage(int width, int height, float[] planar) {
    public RgbImage {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        if (planar == null || planar.length != 3L * width * height)
            throw new IllegalArgumentException("a " + width + "x" + height + " RGB image needs " + 3L * width * height
                    + " planar values, got " + (planar == null ? "null" : planar.length));
    }

    /** A black image. */
    public static RgbImage zeros(int width, int height) {
        return new RgbImage(width, height, new float[Math.multiplyExact(3, Math.multiplyExact(width, height))]);
    }

    /** Pixels per plane. */
    public int plane() {
        return width * height;
    }

    /** Value of channel {@code c} at (x, y). */
    public float get(int c, int x, int y) {
        return planar[c * plane() + y * width + x];
    }
}
