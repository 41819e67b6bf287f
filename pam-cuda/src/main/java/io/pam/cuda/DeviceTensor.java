package io.pam.cuda;

import io.pam.net.Nchw;

/**
 * An N x C x H x W float tensor in device memory (packed NCHW at {@code ptr}), made and owned by
 * a {@link CudaTrainingOps}: valid until the scope it was made in closes (or the ops close).
 */
record DeviceTensor(int n, int c, int h, int w, long ptr) implements Nchw {
    DeviceTensor {
        if (n <= 0 || c <= 0 || h <= 0 || w <= 0) throw new IllegalArgumentException("bad tensor shape " + n + "x" + c + "x" + h + "x" + w);
    }

    long size() {
        return (long) n * c * h * w;
    }

    long plane() {
        return (long) h * w;
    }

    boolean sameShape(Nchw o) {
        return n == o.n() && c == o.c() && h == o.h() && w == o.w();
    }

    @Override
    public String toString() {
        return "DeviceTensor[" + n + "x" + c + "x" + h + "x" + w + "]";
    }
}
