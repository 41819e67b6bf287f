package io.pam.net;

/** A dense NCHW float tensor. The array is shared, not copied: treat it as owned by the holder. */
public record Tensor(int n, int c, int h, int w, float[] data) implements Nchw {
    public Tensor {
        if (n <= 0 || c <= 0 || h <= 0 || w <= 0) throw new IllegalArgumentException("empty tensor " + n + "x" + c + "x" + h + "x" + w);
        if ((long) n * c * h * w != data.length)
            throw new IllegalArgumentException("tensor " + n + "x" + c + "x" + h + "x" + w + " needs " + (long) n * c * h * w + " values, got " + data.length);
    }

    public static Tensor zeros(int n, int c, int h, int w) {
        return new Tensor(n, c, h, w, new float[Math.multiplyExact(Math.multiplyExact(n, c), Math.multiplyExact(h, w))]);
    }

    public int plane() {
        return h * w;
    }

    public Shape shape() {
        return new Shape(c, h, w);
    }

    public int index(int ni, int ci, int y, int x) {
        return ((ni * c + ci) * h + y) * w + x;
    }

    public float get(int ni, int ci, int y, int x) {
        return data[index(ni, ci, y, x)];
    }

    @Override
    public String toString() {
        return "Tensor[" + n + "x" + c + "x" + h + "x" + w + "]";
    }
}
