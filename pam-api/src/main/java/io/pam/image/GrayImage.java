package io.pam.image;

/**
 * An 8-bit single-channel image (an alpha matte or a trimap), row-major, values as unsigned
 * bytes. A trimap uses 0 = background, 128 = unknown, 255 = foreground.
 *
 * <p>The array is shared, not copied: treat it as owned by the holder.
 */
public record GrayImage(int width, int height, byte[] values) {
    public GrayImage {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        if (values == null || values.length != (long) width * height)
            throw new IllegalArgumentException("a " + width + "x" + height + " gray image needs " + (long) width * height
                    + " values, got " + (values == null ? "null" : values.length));
    }

    /** Unsigned value (0..255) at row-major index {@code i}. */
    public int get(int i) {
        return values[i] & 0xff;
    }

    /** Values divided by 255: alpha in [0,1], row-major. */
    public float[] toUnitFloats() {
        float[] out = new float[values.length];
        for (int i = 0; i < out.length; i++) out[i] = (values[i] & 0xff) / 255f;
        return out;
    }

    /** Alpha in [0,1] (clamped) to 8 bits by rounding {@code a * 255}. */
    public static GrayImage fromUnitFloats(int width, int height, float[] alpha) {
        if (alpha == null || alpha.length != (long) width * height)
            throw new IllegalArgumentException("a " + width + "x" + height + " matte needs " + (long) width * height + " values");
        byte[] v = new byte[alpha.length];
        for (int i = 0; i < v.length; i++) {
            float a = alpha[i];
            if (Float.isNaN(a)) throw new IllegalArgumentException("alpha is NaN at index " + i);
            v[i] = (byte) Math.round(Math.clamp(a, 0f, 1f) * 255f);
        }
        return new GrayImage(width, height, v);
    }
}
