package io.pam.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class OnnxGraphTest {
    @Test
    void modelDecodesBackToWhatWasBuilt() {
        OnnxGraph g = new OnnxGraph("demo");
        g.input("x", OnnxGraph.Dim.of(1), OnnxGraph.Dim.of(3), OnnxGraph.Dim.symbolic("H"), OnnxGraph.Dim.symbolic("W"));
        g.initializer("w", new long[] {2, 3, 1, 1}, new float[] {1, 2, 3, 4, 5, 6});
        g.initializerInt64("sizes", new long[] {4}, new long[] {1, 2, 8, 8});
        g.node("Conv", List.of("x", "w"), List.of("y"), OnnxGraph.Attr.ints("kernel_shape", 1, 1), OnnxGraph.Attr.i("group", 1));
        g.node("Resize", List.of("y", "", "", "sizes"), List.of("z"), OnnxGraph.Attr.s("mode", "linear"), OnnxGraph.Attr.f("alpha", 0.5f));
        g.output("z", OnnxGraph.Dim.of(1, 2, 8, 8));
        ProtoReader model = new ProtoReader(g.toModel("pam-test", "9.9"));

        assertThat(model.one(1).varint()).as("ir_version").isEqualTo(7);
        assertThat(model.one(2).string()).as("producer_name").isEqualTo("pam-test");
        assertThat(model.one(3).string()).as("producer_version").isEqualTo("9.9");
        ProtoReader opset = model.one(8).message();
        assertThat(opset.one(1).string()).isEmpty();
        assertThat(opset.one(2).varint()).isEqualTo(OnnxGraph.OPSET);

        ProtoReader graph = model.one(7).message();
        assertThat(graph.one(2).string()).isEqualTo("demo");
        List<ProtoReader.Field> nodes = graph.all(1);
        assertThat(nodes).hasSize(2);
        ProtoReader conv = nodes.get(0).message();
        assertThat(conv.all(1).stream().map(ProtoReader.Field::string)).containsExactly("x", "w");
        assertThat(conv.one(2).string()).isEqualTo("y");
        assertThat(conv.one(3).string()).isEqualTo("y");
        assertThat(conv.one(4).string()).isEqualTo("Conv");
        ProtoReader ks = conv.all(5).get(0).message();
        assertThat(ks.one(1).string()).isEqualTo("kernel_shape");
        assertThat(ks.one(8).packedVarints()).containsExactly(1, 1);
        assertThat(ks.one(20).varint()).as("type INTS").isEqualTo(7);
        ProtoReader group = conv.all(5).get(1).message();
        assertThat(group.one(3).varint()).isEqualTo(1);
        assertThat(group.one(20).varint()).as("type INT").isEqualTo(2);

        ProtoReader resize = nodes.get(1).message();
        assertThat(resize.all(1).stream().map(ProtoReader.Field::string)).containsExactly("y", "", "", "sizes");
        ProtoReader mode = resize.all(5).get(0).message();
        assertThat(mode.one(4).string()).isEqualTo("linear");
        assertThat(mode.one(20).varint()).as("type STRING").isEqualTo(3);
        ProtoReader alpha = resize.all(5).get(1).message();
        assertThat(alpha.one(2).float32()).isEqualTo(0.5f);
        assertThat(alpha.one(20).varint()).as("type FLOAT").isEqualTo(1);

        List<ProtoReader.Field> inits = graph.all(5);
        assertThat(inits).hasSize(2);
        ProtoReader w = inits.get(0).message();
        assertThat(w.all(1).stream().map(ProtoReader.Field::varint)).containsExactly(2L, 3L, 1L, 1L);
        assertThat(w.one(2).varint()).as("FLOAT").isEqualTo(1);
        assertThat(w.one(8).string()).isEqualTo("w");
        assertThat(w.one(9).floats()).containsExactly(1, 2, 3, 4, 5, 6);
        ProtoReader sizes = inits.get(1).message();
        assertThat(sizes.one(2).varint()).as("INT64").isEqualTo(7);
        assertThat(sizes.one(7).packedVarints()).containsExactly(1, 2, 8, 8);

        ProtoReader in = graph.one(11).message();
        assertThat(in.one(1).string()).isEqualTo("x");
        ProtoReader tensorType = in.one(2).message().one(1).message();
        assertThat(tensorType.one(1).varint()).as("elem_type FLOAT").isEqualTo(1);
        List<ProtoReader.Field> dims = tensorType.one(2).message().all(1);
        assertThat(dims).hasSize(4);
        assertThat(dims.get(1).message().one(1).varint()).isEqualTo(3);
        assertThat(dims.get(2).message().one(2).string()).isEqualTo("H");
        assertThat(dims.get(3).message().one(2).string()).isEqualTo("W");
        assertThat(graph.one(12).message().one(1).string()).isEqualTo("z");
    }

    @Test
    void rejectsInconsistentTensors() {
        OnnxGraph g = new OnnxGraph("bad");
        assertThatThrownBy(() -> g.initializer("w", new long[] {2, 2}, new float[3]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("w: shape holds 4 values, got 3");
        g.input("x", OnnxGraph.Dim.of(1));
        assertThatThrownBy(() -> g.node("Relu", List.of("x"), List.of("x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("defined twice");
        assertThatThrownBy(() -> OnnxGraph.Dim.of(-2)).isInstanceOf(IllegalArgumentException.class);
    }
}
