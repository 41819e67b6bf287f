package io.pam.cpu.train;

import io.pam.cpu.kernels.DepthwisePlane;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Depthwise convolution kernels for training: stride 1, odd square kernel k, "same" zero padding
 * k/2, NCHW heap arrays, vectorised along the width with the Vector API. One plane (sample,
 * channel) at a time is copied into a zero-bordered scratch so that no tap needs a bounds test.
 *
 * <ul>
 *   <li>forward: {@code y[oy,ox] = b + sum w[ky,kx] x[oy+ky-p, ox+kx-p]}, by the row kernel the
 *       inference engine uses too ({@link DepthwisePlane});</li>
 *   <li>data gradient: the same kernel on {@code dy} with the kernel flipped (for stride 1 and
 *       pad (k-1)/2 the transposed convolution is a convolution with the rotated kernel);</li>
 *   <li>weight gradient: {@code dw[ky,kx] = sum dy[oy,ox] x[oy+ky-p, ox+kx-p]}, four taps per
 *       pass (each loaded dy vector feeds four accumulators).</li>
 * </ul>
 * The inference kernel {@code io.pam.cpu.DepthwiseConv} (native memory, folded BatchNorm) shares
 * the forward row kernel; this class adds the two gradients.
 */
final class DepthwiseKernels {
    private DepthwiseKernels() {}

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    private static final ThreadLocal<float[][]> SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    /** True when these kernels handle the convolution. */
    static boolean handles(io.pam.net.Op.Conv c) {
        return c.depthwise() && c.stride() == 1 && c.kernel() % 2 == 1 && c.pad() == c.kernel() / 2;
    }

    /** Zero-bordered scratch for an {@code h x w} plane with padding p (row width {@code w+2p+L+4}). */
    private static float[] scratch(int h, int w, int p) {
        int wp = rowWidth(w, p), size = (h + 2 * p + 1) * wp;
        float[][] holder = SCRATCH.get();
        float[] s = holder[0];
        // geometry kept in two cells past the plane; the border cells are never written
        if (s.length != size + 2 || s[size] != wp || s[size + 1] != p) {
            s = new float[size + 2];
            s[size] = wp;
            s[size + 1] = p;
            holder[0] = s;
        }
        return s;
    }

    private static int rowWidth(int w, int p) {
        return w + 2 * p + L + 4;
    }

    private static float[] padded(float[] src, int off, int h, int w, int p) {
        float[] s = scratch(h, w, p);
        int wp = rowWidth(w, p);
        for (int y = 0; y < h; y++) System.arraycopy(src, off + y * w, s, (y + p) * wp + p, w);
        return s;
    }

    /**
     * One output plane: {@code out[off..] = bias + conv(in plane, kernel at w[wo..])}.
     *
     * @param flip use the kernel rotated by 180 degrees (data gradient)
     */
    static void forwardPlane(float[] in, float[] out, int off, int h, int w, float[] wt, int wo, int k,
                             float bias, boolean flip) {
        int p = k / 2, wp = rowWidth(w, p);
        float[] s = padded(in, off, h, w, p);
        float[] kern = new float[k * k];
        for (int i = 0; i < k * k; i++) kern[i] = wt[wo + (flip ? k * k - 1 - i : i)];
        DepthwisePlane.convolve(s, wp, kern, 0, k, bias, false, MemorySegment.ofArray(out), (long) off * Float.BYTES, h, w);
    }

    /**
     * Adds one plane's weight gradient into {@code acc[k*k]} (double, summed over samples by the
     * caller): {@code acc[ky*k+kx] += sum dy[oy,ox] x[oy+ky-p, ox+kx-p]}.
     */
    static void weightGradPlane(float[] x, float[] dy, int off, int h, int w, int k, double[] acc) {
        int p = k / 2, wp = rowWidth(w, p);
        float[] s = padded(x, off, h, w, p);
        for (int ky = 0; ky < k; ky++)
            for (int kx0 = 0; kx0 < k; kx0 += 4) {
                int nb = Math.min(4, k - kx0);
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int oy = 0; oy < h; oy++) {
                    int row = (oy + ky) * wp + kx0, drow = off + oy * w;
                    for (int x0 = 0; x0 < w; x0 += L) {
                        FloatVector d = x0 + L <= w ? FloatVector.fromArray(S, dy, drow + x0)
                                : FloatVector.fromArray(S, dy, drow + x0, S.indexInRange(x0, w));
                        int r = row + x0;
                        a0 = FloatVector.fromArray(S, s, r).fma(d, a0);
                        if (nb > 1) a1 = FloatVector.fromArray(S, s, r + 1).fma(d, a1);
                        if (nb > 2) a2 = FloatVector.fromArray(S, s, r + 2).fma(d, a2);
                        if (nb > 3) a3 = FloatVector.fromArray(S, s, r + 3).fma(d, a3);
                    }
                }
                int i = ky * k + kx0;
                acc[i] += sumLanes(a0);
                if (nb > 1) acc[i + 1] += sumLanes(a1);
                if (nb > 2) acc[i + 2] += sumLanes(a2);
                if (nb > 3) acc[i + 3] += sumLanes(a3);
            }
    }

    /**
     * The lanes' sum, in lane order, in double. Not {@code reduceLanes(ADD)}: its float order is
     * unspecified and differs between the interpreted fallback (sequential) and the C2 intrinsic
     * (pairwise), so the same inputs gave different bits depending on JIT warm-up, which broke
     * bit-exact resumption of training.
     */
    static double sumLanes(FloatVector v) {
        float[] t = new float[L];
        v.intoArray(t, 0);
        double s = 0;
        for (float x : t) s += x;
        return s;
    }
}
