package io.pam.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pam.Route;
import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.Op;
import io.pam.net.Weights;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Structure of exported models; their numbers are checked against ONNX Runtime in pam-bench. */
class OnnxExporterTest {
    static final NetworkSpec SPEC = NetworkSpec.of(NetworkConfig.tiny());
    static final Weights WEIGHTS = Weights.randomForTests(SPEC, 3);

    @Test
    void fixedPathIsAWellFormedPlainGraphWithoutRoutingLayers() {
        Route route = Route.parse("1011");
        OnnxModelCheck.Summary s = OnnxModelCheck.check(OnnxExporter.fixedPath(WEIGHTS, route));
        assertThat(s.irVersion()).isEqualTo(OnnxExporter.IR_VERSION);
        assertThat(s.opset()).isEqualTo(OnnxExporter.OPSET);
        assertThat(s.producer()).isEqualTo(OnnxCompiler.PRODUCER + " " + OnnxCompiler.PRODUCER_VERSION);
        assertThat(s.inputs()).containsExactly(OnnxExporter.INPUT);
        assertThat(s.outputs()).containsExactly(OnnxExporter.OUTPUT);
        // every conv the alpha depends on, and none of the routing MLPs (they only make logits)
        long convs = SPEC.nodesOn(route).stream()
                .filter(n -> n.op() instanceof Op.Conv && !n.name().contains(".mlp1") && !n.name().contains(".logits"))
                .count();
        assertThat(s.opCounts().get("Conv")).isEqualTo((int) convs);
        assertThat(s.opCounts()).doesNotContainKey("Gather");
        assertThat(s.opCounts().get("If")).as("one per PPM average pool").isEqualTo(pools());
        assertThat(s.subgraphs()).isEqualTo(2 * pools());
    }

    @Test
    void adaptiveHoldsEveryBranchBehindAnIfPerGroup() {
        OnnxModelCheck.Summary s = OnnxModelCheck.check(OnnxExporter.adaptive(WEIGHTS));
        assertThat(s.opset()).isEqualTo(OnnxExporter.OPSET);
        assertThat(s.inputs()).containsExactly(OnnxExporter.INPUT, OnnxExporter.BUDGET);
        assertThat(s.outputs()).containsExactly(OnnxExporter.OUTPUT, OnnxExporter.ROUTE);
        assertThat(s.opCounts().get("If")).isEqualTo(NetworkSpec.GROUPS + pools());
        assertThat(s.subgraphs()).isEqualTo(2 * (NetworkSpec.GROUPS + pools()));
        long convs = SPEC.nodes().stream().filter(n -> n.op() instanceof Op.Conv).count();
        assertThat(s.opCounts().get("Conv")).as("both branches of every group, all selection layers").isEqualTo((int) convs);
        assertThat(s.opCounts().get("Gather")).as("4 embedding rows + 4 route costs").isEqualTo(2 * NetworkSpec.GROUPS);
    }

    @Test
    void checkerRejectsWhatIsNotWellFormed() {
        OnnxGraph g = new OnnxGraph("broken");
        g.input("x", OnnxGraph.Dim.of(1));
        g.node("Relu", List.of("y"), List.of("z"));
        g.output("z", OnnxGraph.Dim.of(1));
        assertThatThrownBy(() -> OnnxModelCheck.check(g.toModel("t", "1"))).hasMessageContaining("reads y, not defined before it");

        OnnxGraph then = new OnnxGraph("then");
        then.node("Relu", List.of("x"), List.of("a"));
        then.output("b", OnnxGraph.Dim.of(1));
        OnnxGraph other = new OnnxGraph("else");
        other.node("Relu", List.of("x"), List.of("c"));
        other.output("c", OnnxGraph.Dim.of(1));
        OnnxGraph h = new OnnxGraph("branches");
        h.input("x", OnnxGraph.Dim.of(1));
        h.input("cond", OnnxGraph.BOOL, OnnxGraph.Dim.of(1));
        h.node("If", List.of("cond"), List.of("y"), OnnxGraph.Attr.graph("then_branch", then), OnnxGraph.Attr.graph("else_branch", other));
        h.output("y", OnnxGraph.Dim.of(1));
        assertThatThrownBy(() -> OnnxModelCheck.check(h.toModel("t", "1"))).hasMessageContaining("output b is never produced");

        OnnxGraph init = new OnnxGraph("init");
        init.input("x", OnnxGraph.Dim.of(1));
        init.node("Relu", List.of("x"), List.of("x2"));
        init.node("Relu", List.of("x2"), List.of("x3"));
        init.output("x3", OnnxGraph.Dim.of(1));
        assertThat(OnnxModelCheck.check(init.toModel("t", "1")).opCounts()).containsEntry("Relu", 2);
    }

    @Test
    void rejectsRoutesOfTheWrongLength() {
        assertThatThrownBy(() -> OnnxExporter.fixedPath(WEIGHTS, Route.parse("101")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("route must have 4 groups");
    }

    private static int pools() {
        return (int) SPEC.nodes().stream().map(Node::op).filter(o -> o instanceof Op.AvgPool).count();
    }
}
