package io.pam.net;

/** Per-sample tensor shape C x H x W. */
public record Shape(int c, int h, int w) {
    public Shape {
        if (c <= 0 || h <= 0 || w <= 0) throw new IllegalArgumentException("empty shape " + c + "x" + h + "x" + w);
    }

    public long size() {
        return (long) c * h * w;
    }

    @Override
    public String toString() {
        return c + "x" + h + "x" + w;
    }
}
