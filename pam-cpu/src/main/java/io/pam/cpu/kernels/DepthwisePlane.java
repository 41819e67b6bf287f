package io.pam.cpu.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The row kernel of a stride-1 depthwise convolution with an odd square kernel k and "same"
 * padding p = k/2, on one channel plane: {@code out[oy,ox] = act(bias + sum_{ky,kx}
 * kern[ky,kx] in[oy+ky-p, ox+kx-p])}. Used by inference (native output, folded BatchNorm, ReLU)
 * and by training (heap output through {@link MemorySegment#ofArray(float[])}, and the data
 * gradient with the rotated kernel), so both compute the same bits.
 *
 * <p>The input comes already copied into a zero-bordered scratch so that no tap needs a bounds
 * test: input row y, column x at {@code padded[(y+p)*rowWidth + p + x]}, zeros around. Four output
 * rows are computed at a time, vectorised along the width: each input vector loaded once feeds
 * up to four accumulators (one per output row).
 */
public final class DepthwisePlane {
    private DepthwisePlane() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    /** Vector lanes: the scratch rows need this many readable columns past the right border. */
    public static final int LANES = S.length();

    /**
     * Convolves one {@code h x w} plane.
     *
     * @param padded       zero-bordered input, at least {@code (h+k-1) x rowWidth}
     * @param rowWidth     scratch row length, at least {@code w + k - 1 + LANES}
     * @param kern         kernel taps, row-major {@code k x k} starting at {@code kernOffset}
     * @param relu         apply {@code max(0, .)} to the result
     * @param out          output; the plane is written row-major ({@code w} floats a row) from
     *                     byte {@code outOffset}, in native byte order
     */
    public static void convolve(float[] padded, int rowWidth, float[] kern, int kernOffset, int k, float bias, boolean relu,
                                MemorySegment out, long outOffset, int h, int w) {
        if (k % 2 == 0 || rowWidth < w + k - 1 + LANES || padded.length < (long) (h + k - 1) * rowWidth)
            throw new IllegalArgumentException("depthwise plane: kernel " + k + " (must be odd), scratch of " + padded.length
                    + " floats with rows of " + rowWidth + " for a " + h + "x" + w + " plane (rows of at least "
                    + (w + k - 1 + LANES) + " and " + (h + k - 1) + " rows needed)");
        for (int y0 = 0; y0 < h; y0 += 4) {
            int rows = Math.min(4, h - y0);
            for (int x0 = 0; x0 < w; x0 += LANES) {
                FloatVector a0 = FloatVector.broadcast(S, bias), a1 = a0, a2 = a0, a3 = a0;
                for (int r = 0; r < k + rows - 1; r++) {
                    int row = (y0 + r) * rowWidth + x0;
                    // input row y0+r contributes to output row y0+j with kernel row r-j
                    boolean u0 = r < k, u1 = r >= 1 && r - 1 < k && rows > 1, u2 = r >= 2 && r - 2 < k && rows > 2,
                            u3 = r >= 3 && r - 3 < k && rows > 3;
                    for (int kx = 0; kx < k; kx++) {
                        FloatVector v = FloatVector.fromArray(S, padded, row + kx);
                        if (u0) a0 = v.fma(FloatVector.broadcast(S, kern[kernOffset + r * k + kx]), a0);
                        if (u1) a1 = v.fma(FloatVector.broadcast(S, kern[kernOffset + (r - 1) * k + kx]), a1);
                        if (u2) a2 = v.fma(FloatVector.broadcast(S, kern[kernOffset + (r - 2) * k + kx]), a2);
                        if (u3) a3 = v.fma(FloatVector.broadcast(S, kern[kernOffset + (r - 3) * k + kx]), a3);
                    }
                }
                VectorMask<Float> m = S.indexInRange(x0, w);
                long o = outOffset + ((long) y0 * w + x0) * Float.BYTES, stride = (long) w * Float.BYTES;
                store(a0, out, o, m, relu);
                if (rows > 1) store(a1, out, o + stride, m, relu);
                if (rows > 2) store(a2, out, o + 2 * stride, m, relu);
                if (rows > 3) store(a3, out, o + 3 * stride, m, relu);
            }
        }
    }

    private static void store(FloatVector v, MemorySegment out, long offset, VectorMask<Float> m, boolean relu) {
        if (relu) v = v.max(0f);
        if (m.allTrue()) v.intoMemorySegment(out, offset, ByteOrder.nativeOrder());
        else v.intoMemorySegment(out, offset, ByteOrder.nativeOrder(), m);
    }
}
