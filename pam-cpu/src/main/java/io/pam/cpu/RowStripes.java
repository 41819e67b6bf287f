package io.pam.cpu;

import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.Op;
import io.pam.net.Shape;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The full-resolution tail of the network (for the paper net: the head's upsample, concat,
 * two 3x3 convs, 1x1 conv and composite), found from the description: the longest suffix of
 * the node list whose outputs all have the input's H x W, made only of stride-1 convs,
 * pointwise ops, concats and upsampling Resizes of tensors computed before it. Large inputs run
 * it in horizontal stripes so that its wide full-resolution activations (62 channels at
 * 2048x2048 are 1 GB) never exist whole.
 *
 * <p>A stripe of output rows {@code [y0, y1)} is computed on rows {@code [y0 - halo, y1 + halo)}
 * clipped to the image, halo = the sum of the suffix's conv paddings; rows within the halo of an
 * inner stripe edge are wrong (the convs zero-pad there) and dropped, rows at the image's edges
 * are right (that is where the real network zero-pads). Resizes are done in Java, for the
 * stripe's rows only; full-resolution inputs are sliced.
 */
final class RowStripes {
    final List<Node> suffix;
    /** The suffix without its Resize nodes (their outputs become inputs). */
    final List<Node> netNodes;
    final List<Node> resizes;
    final int halo;

    private RowStripes(List<Node> suffix, List<Node> netNodes, List<Node> resizes, int halo) {
        this.suffix = List.copyOf(suffix);
        this.netNodes = List.copyOf(netNodes);
        this.resizes = List.copyOf(resizes);
        this.halo = halo;
    }

    /** The full-resolution suffix of a network, or null when it has none worth striping. */
    static RowStripes find(NetworkSpec spec) {
        int h = 4 * NetworkSpec.ALIGN, w = 4 * NetworkSpec.ALIGN; // any aligned size shows which tensors are full size
        Map<String, Shape> shapes = spec.shapes(h, w);
        List<Node> nodes = spec.nodes();
        int start = nodes.size();
        while (start > 0) {
            Node n = nodes.get(start - 1);
            Shape s = shapes.get(n.name());
            if (n.group() != 0 || s.h() != h || s.w() != w || !rowLocal(n)) break;
            start--;
        }
        List<Node> suffix = nodes.subList(start, nodes.size());
        if (suffix.isEmpty() || !suffix.get(suffix.size() - 1).name().equals(NetworkSpec.OUTPUT)) return null;
        Set<String> inside = new HashSet<>();
        List<Node> net = new ArrayList<>(), resizes = new ArrayList<>();
        int halo = 0;
        for (Node n : suffix) {
            if (n.op() instanceof Op.Resize) {
                if (inside.contains(n.inputs().get(0))) return null; // only upsampling of earlier tensors
                resizes.add(n);
            } else {
                net.add(n);
                if (n.op() instanceof Op.Conv c) halo += c.pad();
            }
            inside.add(n.name());
        }
        if (net.isEmpty()) return null;
        return new RowStripes(suffix, net, resizes, halo);
    }

    private static boolean rowLocal(Node n) {
        return switch (n.op()) {
            case Op.Conv c -> c.stride() == 1;
            case Op.Add a -> true;
            case Op.Concat c -> true;
            case Op.Resize r -> true;
            case Op.Composite c -> true;
            default -> false;
        };
    }

    /** Shapes of the stripe net's tensors for a stripe of {@code rows} rows of width {@code w}. */
    Map<String, Shape> stripeShapes(Map<String, Shape> full, List<String> inputs, int rows) {
        Map<String, Shape> s = new LinkedHashMap<>();
        for (String in : inputs) s.put(in, new Shape(full.get(in).c(), rows, full.get(in).w()));
        for (Node n : suffix) s.put(n.name(), new Shape(full.get(n.name()).c(), rows, full.get(n.name()).w()));
        return s;
    }

    /** Copies rows {@code [a, b)} of every channel of an n x c x h x w tensor into dst (n x c x (b-a) x w). */
    static void sliceRows(MemorySegment src, MemorySegment dst, int n, int c, int h, int w, int a, int b) {
        long rowBytes = (long) w * Float.BYTES;
        for (int p = 0; p < n * c; p++)
            MemorySegment.copy(src, ((long) p * h + a) * rowBytes, dst, (long) p * (b - a) * rowBytes, (b - a) * rowBytes);
    }

    /**
     * Rows {@code [a, b)} of the bilinear (half-pixel) resize of an n x c x sh x sw tensor to
     * oh x ow, into dst (n x c x (b-a) x ow). Same sampling as the reference: source coordinate
     * {@code max((d + 0.5) * in / out - 0.5, 0)}, neighbours clamped at the far edge.
     */
    static void resizeRows(MemorySegment src, MemorySegment dst, int n, int c, int sh, int sw, int oh, int ow, int a, int b) {
        int[] x0 = new int[ow], x1 = new int[ow];
        float[] lx = new float[ow];
        axis(sw, ow, x0, x1, lx);
        int[] y0 = new int[oh], y1 = new int[oh];
        float[] ly = new float[oh];
        axis(sh, oh, y0, y1, ly);
        float[] top = new float[sw], bot = new float[sw], out = new float[ow];
        for (int p = 0; p < n * c; p++) {
            long sBase = (long) p * sh * sw * Float.BYTES;
            for (int r = a; r < b; r++) {
                MemorySegment.copy(src, ValueLayout.JAVA_FLOAT, sBase + (long) y0[r] * sw * Float.BYTES, top, 0, sw);
                MemorySegment.copy(src, ValueLayout.JAVA_FLOAT, sBase + (long) y1[r] * sw * Float.BYTES, bot, 0, sw);
                float wy = ly[r];
                for (int q = 0; q < ow; q++) {
                    float wx = lx[q];
                    float t = top[x0[q]] * (1 - wx) + top[x1[q]] * wx;
                    float u = bot[x0[q]] * (1 - wx) + bot[x1[q]] * wx;
                    out[q] = t * (1 - wy) + u * wy;
                }
                MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_FLOAT, ((long) p * (b - a) + (r - a)) * ow * Float.BYTES, ow);
            }
        }
    }

    private static void axis(int in, int out, int[] i0, int[] i1, float[] lambda) {
        double scale = (double) in / out;
        for (int d = 0; d < out; d++) {
            double src = Math.max((d + 0.5) * scale - 0.5, 0.0);
            int lo = Math.min((int) src, in - 1);
            i0[d] = lo;
            i1[d] = Math.min(lo + 1, in - 1);
            lambda[d] = (float) (src - lo);
        }
    }
}
