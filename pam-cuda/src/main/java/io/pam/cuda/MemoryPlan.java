package io.pam.cuda;

import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.Op;
import io.pam.net.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where every tensor of the network lives on the device, for one input size: pure bookkeeping,
 * no native calls (so it is tested without a GPU).
 *
 * <p>Two rules. (1) <b>Concat by placement</b>: a tensor that feeds exactly one concat (and no
 * other concat) is written straight into its channel slice of that concat's buffer; with N = 1
 * and NCHW a channel slice is contiguous, so producers need not know. The concat then costs
 * nothing. (2) <b>Reuse</b>: a buffer (a "slot") is shared by tensors whose live ranges do not
 * overlap. Live ranges are taken over the full node list in order, both branches of every group
 * included, so they hold for every route (a route only skips nodes).
 */
final class MemoryPlan {
    /** A tensor's place: slot index and offset in floats. */
    record Place(int slot, long offset, long size) {}

    private final Map<String, Place> places;
    private final long[] slotFloats;
    private final Map<String, String> aliasOf;

    private MemoryPlan(Map<String, Place> places, long[] slotFloats, Map<String, String> aliasOf) {
        this.places = places;
        this.slotFloats = slotFloats;
        this.aliasOf = aliasOf;
    }

    Place place(String tensor) {
        Place p = places.get(tensor);
        if (p == null) throw new IllegalArgumentException("no tensor " + tensor);
        return p;
    }

    /** Sizes of the slots, in floats. */
    long[] slotFloats() {
        return slotFloats.clone();
    }

    long totalFloats() {
        long s = 0;
        for (long f : slotFloats) s += f;
        return s;
    }

    /** The concat a tensor was placed into, or null. */
    String concatOf(String tensor) {
        return aliasOf.get(tensor);
    }

    /** Whether a concat input already sits in its slice (no copy needed). */
    boolean inPlace(String concat, String input) {
        return concat.equals(aliasOf.get(input));
    }

    /**
     * Plans the memory of a network at one input size.
     *
     * @param reuse false gives every tensor its own memory (diagnostics: every intermediate
     *              survives the run)
     */
    static MemoryPlan of(NetworkSpec spec, Map<String, Shape> shapes, boolean reuse) {
        List<Node> nodes = spec.nodes();
        int end = nodes.size();
        // live range of each tensor name: first definition .. last use (the output: to the end)
        Map<String, int[]> range = new LinkedHashMap<>();
        range.put(NetworkSpec.INPUT, new int[] {-1, -1});
        Map<String, Integer> concatUses = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            for (String in : n.inputs()) {
                int[] r = range.get(in);
                if (r == null) throw new IllegalStateException(n.name() + " reads " + in + " before it is defined");
                r[1] = Math.max(r[1], i);
                if (n.op() instanceof Op.Concat) concatUses.merge(in, 1, Integer::sum);
            }
            final int idx = i;
            range.computeIfAbsent(n.name(), k -> new int[] {idx, idx});
        }
        range.get(NetworkSpec.OUTPUT)[1] = end;

        // rule 1: placement into concats
        Map<String, String> aliasOf = new HashMap<>();
        Map<String, Long> aliasOffset = new HashMap<>();
        for (Node n : nodes) {
            if (!(n.op() instanceof Op.Concat)) continue;
            long off = 0;
            for (String in : n.inputs()) {
                long size = shapes.get(in).size();
                if (concatUses.get(in) == 1 && !aliasOf.containsKey(in) && !in.equals(n.name())) {
                    aliasOf.put(in, n.name());
                    aliasOffset.put(in, off);
                }
                off += size;
            }
        }
        // roots: tensors not placed into a concat; their range covers every member's range
        Map<String, int[]> rootRange = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : range.entrySet()) {
            String root = root(e.getKey(), aliasOf);
            int[] r = rootRange.computeIfAbsent(root, k -> new int[] {Integer.MAX_VALUE, Integer.MIN_VALUE});
            r[0] = Math.min(r[0], e.getValue()[0]);
            r[1] = Math.max(r[1], e.getValue()[1]);
        }

        // rule 2: greedy slot assignment in order of first definition
        List<String> roots = new ArrayList<>(rootRange.keySet());
        roots.sort((a, b) -> Integer.compare(rootRange.get(a)[0], rootRange.get(b)[0]));
        List<long[]> slots = new ArrayList<>(); // {capacity floats, busy-until node index}
        Map<String, Integer> slotOf = new HashMap<>();
        for (String root : roots) {
            int[] r = rootRange.get(root);
            long size = shapes.get(root).size();
            int pick = -1;
            if (reuse) {
                // a free slot (its last tensor's last use is strictly before this one's definition):
                // the smallest that is big enough, else the biggest (grown)
                for (int s = 0; s < slots.size(); s++) {
                    long[] sl = slots.get(s);
                    if (sl[1] >= r[0]) continue;
                    if (pick < 0) {
                        pick = s;
                        continue;
                    }
                    long[] best = slots.get(pick);
                    boolean fits = sl[0] >= size, bestFits = best[0] >= size;
                    if (fits && (!bestFits || sl[0] < best[0])) pick = s;
                    else if (!fits && !bestFits && sl[0] > best[0]) pick = s;
                }
            }
            if (pick < 0) {
                slots.add(new long[] {size, r[1]});
                pick = slots.size() - 1;
            } else {
                long[] sl = slots.get(pick);
                sl[0] = Math.max(sl[0], size);
                sl[1] = r[1];
            }
            slotOf.put(root, pick);
        }
        long[] slotFloats = new long[slots.size()];
        for (int s = 0; s < slots.size(); s++) slotFloats[s] = slots.get(s)[0];

        Map<String, Place> places = new LinkedHashMap<>();
        for (String t : range.keySet()) {
            long off = 0;
            String cur = t;
            while (aliasOf.containsKey(cur)) {
                off += aliasOffset.get(cur);
                cur = aliasOf.get(cur);
            }
            places.put(t, new Place(slotOf.get(cur), off, shapes.get(t).size()));
        }
        return new MemoryPlan(places, slotFloats, aliasOf);
    }

    private static String root(String t, Map<String, String> aliasOf) {
        String cur = t;
        while (aliasOf.containsKey(cur)) cur = aliasOf.get(cur);
        return cur;
    }
}
