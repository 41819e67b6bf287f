package io.pam.cpu.train;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Per-plane kernels for the resampling ops (bilinear resize, windowed average pool) and their
 * adjoints, in float. Each works on one H x W plane at a time, so callers parallelise over planes
 * with no shared writes. Both ops are separable: they run as a pass along rows into a scratch of
 * {@code inH x outW} values and a vectorised pass along columns, instead of the reference's four
 * (resize) or window-many (pool) scattered reads per output value.
 */
final class PlaneKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private PlaneKernels() {}

    /**
     * Half-pixel bilinear sampling positions of one axis (PyTorch {@code align_corners=False},
     * edges clamped): output d reads {@code idx[2d]} with weight {@code 1 - lambda[d]} and
     * {@code idx[2d+1]} with weight {@code lambda[d]}. Same arithmetic as the reference.
     */
    record Axis(int[] idx, float[] lambda) {
        static Axis of(int in, int out) {
            int[] idx = new int[out * 2];
            float[] lambda = new float[out];
            double scale = (double) in / out;
            for (int d = 0; d < out; d++) {
                double src = Math.max((d + 0.5) * scale - 0.5, 0.0);
                int i0 = Math.min((int) src, in - 1);
                lambda[d] = (float) (src - i0);
                idx[2 * d] = i0;
                idx[2 * d + 1] = Math.min(i0 + 1, in - 1);
            }
            return new Axis(idx, lambda);
        }
    }

    /** Resizes one plane: {@code y[yo..] (oh x ow) = bilinear(x[xo..] (ih x iw))}; tmp holds ih*ow. */
    static void resize(float[] x, int xo, int ih, int iw, float[] y, int yo, Axis ay, Axis ax, float[] tmp) {
        int oh = ay.lambda.length, ow = ax.lambda.length;
        int[] ix = ax.idx, iy = ay.idx;
        float[] lx = ax.lambda, ly = ay.lambda;
        // rows first: tmp[r] = horizontal interpolation of input row r (only rows that are read)
        boolean[] needed = rowsRead(iy, ih);
        for (int r = 0; r < ih; r++) {
            if (!needed[r]) continue;
            int src = xo + r * iw, dst = r * ow;
            for (int q = 0; q < ow; q++) {
                float wx = lx[q];
                tmp[dst + q] = x[src + ix[2 * q]] * (1 - wx) + x[src + ix[2 * q + 1]] * wx;
            }
        }
        for (int r = 0; r < oh; r++) {
            float wy = ly[r];
            blend(tmp, iy[2 * r] * ow, iy[2 * r + 1] * ow, 1 - wy, wy, y, yo + r * ow, ow);
        }
    }

    private static boolean[] rowsRead(int[] iy, int ih) {
        boolean[] needed = new boolean[ih];
        for (int i : iy) needed[i] = true;
        return needed;
    }

    /** The adjoint of {@link #resize}: {@code dx[xo..] (ih x iw, zero on entry) += resize^T dy[yo..]}; tmp holds ih*ow. */
    static void resizeAdjoint(float[] dy, int yo, float[] dx, int xo, int ih, int iw, Axis ay, Axis ax, float[] tmp) {
        int oh = ay.lambda.length, ow = ax.lambda.length;
        int[] ix = ax.idx, iy = ay.idx;
        float[] lx = ax.lambda, ly = ay.lambda;
        java.util.Arrays.fill(tmp, 0, ih * ow, 0f);
        for (int r = 0; r < oh; r++) {
            float wy = ly[r];
            axpy(dy, yo + r * ow, 1 - wy, tmp, iy[2 * r] * ow, ow);
            axpy(dy, yo + r * ow, wy, tmp, iy[2 * r + 1] * ow, ow);
        }
        for (int r = 0; r < ih; r++) {
            int src = r * ow, dst = xo + r * iw;
            for (int q = 0; q < ow; q++) {
                float g = tmp[src + q], wx = lx[q];
                dx[dst + ix[2 * q]] += g * (1 - wx);
                dx[dst + ix[2 * q + 1]] += g * wx;
            }
        }
    }

    /** Window bounds [lo, hi) of each output position along one axis (padding excluded). */
    static int[] windows(int in, int out, int window, int stride, int pad) {
        int[] b = new int[2 * out];
        for (int o = 0; o < out; o++) {
            b[2 * o] = Math.max(o * stride - pad, 0);
            b[2 * o + 1] = Math.min(o * stride - pad + window, in);
        }
        return b;
    }

    /** Average pool of one plane with per-axis window bounds; tmp holds ih*ow. */
    static void avgPool(float[] x, int xo, int ih, int iw, float[] y, int yo, int[] by, int[] bx, float[] tmp) {
        int oh = by.length / 2, ow = bx.length / 2;
        for (int r = 0; r < ih; r++) {
            int src = xo + r * iw, dst = r * ow;
            for (int q = 0; q < ow; q++) {
                float s = 0;
                for (int c = bx[2 * q], e = bx[2 * q + 1]; c < e; c++) s += x[src + c];
                tmp[dst + q] = s;
            }
        }
        for (int o = 0; o < oh; o++) {
            int y0 = by[2 * o], y1 = by[2 * o + 1], dst = yo + o * ow;
            System.arraycopy(tmp, y0 * ow, y, dst, ow);
            for (int r = y0 + 1; r < y1; r++) CpuTrainingOps.addInto(y, dst, tmp, r * ow, ow);
            float rows = y1 - y0;
            for (int q = 0; q < ow; q++) y[dst + q] /= rows * (bx[2 * q + 1] - bx[2 * q]);
        }
    }

    /** The adjoint of {@link #avgPool}: {@code dx} plane zero on entry; tmp holds ih*ow + ow. */
    static void avgPoolAdjoint(float[] dy, int yo, float[] dx, int xo, int ih, int iw, int[] by, int[] bx, float[] tmp) {
        int oh = by.length / 2, ow = bx.length / 2, go = ih * ow;
        java.util.Arrays.fill(tmp, 0, ih * ow, 0f);
        for (int o = 0; o < oh; o++) {
            int y0 = by[2 * o], y1 = by[2 * o + 1], src = yo + o * ow;
            float rows = y1 - y0;
            for (int q = 0; q < ow; q++) tmp[go + q] = dy[src + q] / (rows * (bx[2 * q + 1] - bx[2 * q]));
            for (int r = y0; r < y1; r++) CpuTrainingOps.addInto(tmp, r * ow, tmp, go, ow);
        }
        for (int r = 0; r < ih; r++) {
            int src = r * ow, dst = xo + r * iw;
            for (int q = 0; q < ow; q++) {
                float v = tmp[src + q];
                for (int c = bx[2 * q], e = bx[2 * q + 1]; c < e; c++) dx[dst + c] += v;
            }
        }
    }

    /** {@code out[oo..oo+len) = a * t[ao..] + b * t[bo..]}. */
    private static void blend(float[] t, int ao, int bo, float a, float b, float[] out, int oo, int len) {
        int i = 0;
        FloatVector av = FloatVector.broadcast(S, a), bv = FloatVector.broadcast(S, b);
        for (; i + L <= len; i += L)
            FloatVector.fromArray(S, t, bo + i).fma(bv, FloatVector.fromArray(S, t, ao + i).mul(av)).intoArray(out, oo + i);
        for (; i < len; i++) out[oo + i] = t[ao + i] * a + t[bo + i] * b;
    }

    /** {@code y[yo..yo+len) += a * x[xo..]}. */
    private static void axpy(float[] x, int xo, float a, float[] y, int yo, int len) {
        int i = 0;
        FloatVector av = FloatVector.broadcast(S, a);
        for (; i + L <= len; i += L)
            FloatVector.fromArray(S, x, xo + i).fma(av, FloatVector.fromArray(S, y, yo + i)).intoArray(y, yo + i);
        for (; i < len; i++) y[yo + i] += a * x[xo + i];
    }
}
