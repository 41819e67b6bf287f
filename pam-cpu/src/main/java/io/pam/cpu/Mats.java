package io.pam.cpu;

import io.pam.net.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.opencv_core.Mat;

/** Copies between {@link Tensor}s (Java heap, NCHW) and 4-d float {@link Mat}s (native). */
final class Mats {
    private Mats() {}

    /** A new N x C x H x W float Mat holding a copy of the tensor. */
    static Mat fromTensor(Tensor t) {
        Mat m = new Mat(new int[] {t.n(), t.c(), t.h(), t.w()}, opencv_core.CV_32F);
        try (FloatPointer p = new FloatPointer(m.data())) {
            p.capacity(t.data().length).put(t.data());
        }
        return m;
    }

    /** A new N x C x 1 x 1 Mat holding {@code n} copies of {@code row}. */
    static Mat rows(float[] table, int offset, int dim, int n) {
        Mat m = new Mat(new int[] {n, dim, 1, 1}, opencv_core.CV_32F);
        try (FloatPointer p = new FloatPointer(m.data())) {
            p.capacity((long) n * dim);
            for (int i = 0; i < n; i++) p.position((long) i * dim).put(table, offset, dim);
        }
        return m;
    }

    /** Copies a 4-d float Mat into a new tensor, checking its shape. */
    static Tensor toTensor(Mat m, String what) {
        int[] s = shape(m);
        if (s.length != 4 || m.depth() != opencv_core.CV_32F || !m.isContinuous())
            throw new IllegalStateException(what + ": expected a continuous 4-d float blob, got dims "
                    + java.util.Arrays.toString(s) + " depth " + m.depth());
        Tensor t = Tensor.zeros(s[0], s[1], s[2], s[3]);
        try (FloatPointer p = new FloatPointer(m.data())) {
            p.capacity(t.data().length).get(t.data());
        }
        return t;
    }

    /** The first {@code count} floats of a continuous float Mat. */
    static float[] head(Mat m, int count) {
        if (m.total() < count || m.depth() != opencv_core.CV_32F || !m.isContinuous())
            throw new IllegalStateException("expected at least " + count + " continuous floats, got " + m.total());
        float[] v = new float[count];
        try (FloatPointer p = new FloatPointer(m.data())) {
            p.capacity(count).get(v);
        }
        return v;
    }

    static int[] shape(Mat m) {
        int[] s = new int[m.dims()];
        for (int i = 0; i < s.length; i++) s[i] = m.size(i);
        return s;
    }
}
