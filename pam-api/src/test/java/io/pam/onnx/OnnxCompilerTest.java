package io.pam.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.Op;
import io.pam.net.Weights;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OnnxCompilerTest {
    static final NetworkSpec SPEC = NetworkSpec.of(NetworkConfig.tiny());
    static final Weights WEIGHTS = Weights.randomForTests(SPEC, 7);

    @Test
    void splitCutsAtEveryRoutingDecision() {
        List<Segment> segs = Segment.split(NetworkSpec.paper());
        assertThat(segs).extracting(Segment::name).containsExactly(
                "stem0..ps1.logits", "g1-compute", "g1-bypass", "enc2.down..ps2.logits", "g2-compute", "g2-bypass",
                "enc3.down..ps3.logits", "g3-compute", "g3-bypass", "enc4.down..ps4.logits", "g4-compute", "g4-bypass",
                "ppm1.pool0..alpha");
        Set<String> available = new HashSet<>(Set.of(NetworkSpec.INPUT));
        for (Segment s : segs) {
            assertThat(available).as(s.name() + " inputs").containsAll(s.inputs());
            if (s.group() > 0) {
                NetworkSpec.Group g = NetworkSpec.paper().group(s.group());
                assertThat(s.inputs()).as(s.name()).containsExactly(g.input());
                assertThat(s.outputs()).as(s.name()).containsExactly(g.output());
            } else {
                assertThat(s.embeddings()).allMatch(n -> n.op() instanceof Op.CostEmbedding);
            }
            available.addAll(s.outputs());
        }
        assertThat(segs.get(0).outputs()).containsExactly("stem0", "stem1", "ps1.rf", "ps1.logits");
        assertThat(segs.get(12).outputs()).containsExactly(NetworkSpec.OUTPUT);
        assertThat(segs.stream().mapToInt(s -> s.nodes().size()).sum()).isEqualTo(NetworkSpec.paper().nodes().size());
    }

    @Test
    void everyNodeBecomesItsOnnxOps() {
        // The whole full path as one segment: what a fixed-route ONNX export would write.
        List<Node> path = SPEC.nodesOn(io.pam.Route.full(4));
        Segment all = Segment.of("full", path, path, Set.of(NetworkSpec.OUTPUT));
        assertThat(all.inputs()).containsExactly(NetworkSpec.INPUT);
        assertThat(all.outputs()).containsExactly(NetworkSpec.OUTPUT);
        ProtoReader graph = new ProtoReader(OnnxCompiler.compile(all, WEIGHTS, 1, SPEC.shapes(256, 256))).one(7).message();
        List<String> ops = new ArrayList<>();
        for (ProtoReader.Field f : graph.all(1)) ops.add(f.message().one(4).string());
        long convs = all.nodes().stream().filter(n -> n.op() instanceof Op.Conv).count();
        long acts = all.nodes().stream().filter(n -> n.op() instanceof Op.Conv c && c.activation() != io.pam.net.Activation.NONE).count();
        assertThat(ops.stream().filter("Conv"::equals).count()).isEqualTo(convs);
        assertThat(ops.stream().filter(o -> o.equals("Relu") || o.equals("Sigmoid")).count()).isEqualTo(acts);
        assertThat(ops.stream().filter("AveragePool"::equals).count()).as("8x8 map at 1/32: every window fits").isEqualTo(8);
        assertThat(ops).containsSubsequence("Slice", "Slice", "Clip", "Mul", "Add");
        // graph inputs: x plus one embedding per selection layer
        assertThat(graph.all(11).stream().map(f -> f.message().one(1).string()))
                .containsExactly("x", "ps1.embed", "ps2.embed", "ps3.embed", "ps4.embed");
        // conv initializers hold the folded weights
        Node stem0 = SPEC.nodes().get(0);
        for (ProtoReader.Field f : graph.all(5)) {
            ProtoReader t = f.message();
            if (t.one(8).string().equals("stem0.weight")) assertThat(t.one(9).floats()).containsExactly(WEIGHTS.folded(stem0).weight());
            if (t.one(8).string().equals("stem0.bias")) assertThat(t.one(9).floats()).containsExactly(WEIGHTS.folded(stem0).bias());
        }
    }

    @Test
    void poolWindowsThatDoNotFitBecomeGlobal() {
        Segment tail = Segment.split(SPEC).getLast();
        ProtoReader graph = new ProtoReader(OnnxCompiler.compile(tail, WEIGHTS, 1, SPEC.shapes(64, 64))).one(7).message();
        List<String> ops = graph.all(1).stream().map(f -> f.message().one(4).string()).toList();
        // at 64x64 the 1/32 map is 2x2: no window fits, every pyramid branch is a global average
        assertThat(ops).doesNotContain("AveragePool");
        assertThat(ops.stream().filter("GlobalAveragePool"::equals).count()).isEqualTo(8);
    }
}
