package io.pam.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import io.pam.Route;
import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.Op;
import io.pam.net.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The device memory plan, checked by simulation: every route is executed in description order
 * over tagged memory, and every read must find the data its producer wrote (or the concat it
 * was placed into), never a later tensor's.
 */
class MemoryPlanTest {
    @Test
    void noTensorIsOverwrittenWhileStillNeededOnAnyRoute() {
        for (NetworkSpec spec : List.of(NetworkSpec.of(NetworkConfig.tiny()), NetworkSpec.paper())) {
            for (int[] size : new int[][] {{64, 64}, {96, 160}}) {
                Map<String, Shape> shapes = spec.shapes(size[0], size[1]);
                MemoryPlan plan = MemoryPlan.of(spec, shapes, true);
                for (Route r : Route.all(NetworkSpec.GROUPS)) simulate(spec, plan, r, size);
            }
        }
    }

    @Test
    void concatInputsAreWrittenInPlaceAtTheirChannelOffsets() {
        NetworkSpec spec = NetworkSpec.paper();
        Map<String, Shape> shapes = spec.shapes(96, 160);
        MemoryPlan plan = MemoryPlan.of(spec, shapes, true);
        int concats = 0, inPlace = 0;
        for (Node n : spec.nodes()) {
            if (!(n.op() instanceof Op.Concat)) continue;
            concats++;
            MemoryPlan.Place c = plan.place(n.name());
            long off = 0;
            for (String in : n.inputs()) {
                if (plan.inPlace(n.name(), in)) {
                    inPlace++;
                    MemoryPlan.Place p = plan.place(in);
                    assertThat(p.slot()).as(in + " in " + n.name()).isEqualTo(c.slot());
                    assertThat(p.offset()).as(in + " offset in " + n.name()).isEqualTo(c.offset() + off);
                }
                off += shapes.get(in).size();
            }
        }
        // every concat input of this network feeds only one concat: all of them are placed
        int inputs = spec.nodes().stream().filter(n -> n.op() instanceof Op.Concat).mapToInt(n -> n.inputs().size()).sum();
        assertThat(concats).isEqualTo(11); // 4 selection layers, 2 pyramid poolings, 4 decoder stages, the head
        assertThat(inPlace).isEqualTo(inputs);
    }

    @Test
    void reuseNeedsFarLessMemoryThanOneBufferPerTensor() {
        NetworkSpec spec = NetworkSpec.paper();
        Map<String, Shape> shapes = spec.shapes(1024, 1024);
        long shared = MemoryPlan.of(spec, shapes, true).totalFloats();
        long separate = MemoryPlan.of(spec, shapes, false).totalFloats();
        assertThat(shared).isLessThan(separate / 3);
        // never below the largest single tensor plus the input
        long largest = shapes.values().stream().mapToLong(Shape::size).max().orElseThrow();
        assertThat(shared).isGreaterThan(largest);
    }

    @Test
    void withoutReuseNoTwoTensorsOverlap() {
        NetworkSpec spec = NetworkSpec.of(NetworkConfig.tiny());
        Map<String, Shape> shapes = spec.shapes(64, 96);
        MemoryPlan plan = MemoryPlan.of(spec, shapes, false);
        List<String> names = new ArrayList<>(shapes.keySet());
        for (int i = 0; i < names.size(); i++) {
            for (int j = i + 1; j < names.size(); j++) {
                String a = names.get(i), b = names.get(j);
                if (related(plan, a, b)) continue;
                MemoryPlan.Place pa = plan.place(a), pb = plan.place(b);
                boolean overlap = pa.slot() == pb.slot() && pa.offset() < pb.offset() + pb.size() && pb.offset() < pa.offset() + pa.size();
                assertThat(overlap).as(a + " and " + b).isFalse();
            }
        }
    }

    /** True when one tensor is placed (transitively) inside the other. */
    private static boolean related(MemoryPlan plan, String a, String b) {
        return ancestors(plan, a).contains(b) || ancestors(plan, b).contains(a);
    }

    private static Set<String> ancestors(MemoryPlan plan, String t) {
        Set<String> s = new HashSet<>();
        for (String c = plan.concatOf(t); c != null; c = plan.concatOf(c)) s.add(c);
        return s;
    }

    private static void simulate(NetworkSpec spec, MemoryPlan plan, Route route, int[] size) {
        long[] slotSizes = plan.slotFloats();
        List<String[]> memory = new ArrayList<>();
        for (long s : slotSizes) memory.add(new String[Math.toIntExact(s)]);
        Map<String, Set<String>> accepted = new HashMap<>();
        write(plan, memory, NetworkSpec.INPUT);
        String where = spec.config().equals(NetworkConfig.tiny()) ? "tiny" : "paper";
        String ctx = where + " " + size[0] + "x" + size[1] + " route " + route;
        for (Node n : spec.nodesOn(route)) {
            for (String in : n.inputs()) check(plan, memory, accepted, in, ctx + ", " + n.name() + " reads " + in);
            if (n.op() instanceof Op.Concat) {
                for (String in : n.inputs()) {
                    if (plan.inPlace(n.name(), in)) check(plan, memory, accepted, in, ctx + ", " + n.name() + " finds " + in + " in place");
                }
            }
            write(plan, memory, n.name());
        }
        check(plan, memory, accepted, NetworkSpec.OUTPUT, ctx + ", output");
    }

    private static void write(MemoryPlan plan, List<String[]> memory, String tensor) {
        MemoryPlan.Place p = plan.place(tensor);
        java.util.Arrays.fill(memory.get(p.slot()), Math.toIntExact(p.offset()), Math.toIntExact(p.offset() + p.size()), tensor);
    }

    private static void check(MemoryPlan plan, List<String[]> memory, Map<String, Set<String>> accepted, String tensor, String what) {
        Set<String> ok = accepted.computeIfAbsent(tensor, t -> {
            Set<String> s = ancestors(plan, t);
            s.add(t);
            return s;
        });
        MemoryPlan.Place p = plan.place(tensor);
        String[] m = memory.get(p.slot());
        for (long i = p.offset(); i < p.offset() + p.size(); i++) {
            String tag = m[(int) i];
            if (!ok.contains(tag)) {
                throw new AssertionError(what + ": float " + (i - p.offset()) + " of " + tensor + " holds " + tag);
            }
        }
    }
}
