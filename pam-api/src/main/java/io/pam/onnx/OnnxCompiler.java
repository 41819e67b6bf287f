package io.pam.onnx;

import io.pam.net.Activation;
import io.pam.net.Node;
import io.pam.net.Op;
import io.pam.net.Shape;
import io.pam.net.Weights;
import java.util.List;
import java.util.Map;

/**
 * Compiles a {@link Segment} of the network description plus its weights into an ONNX model
 * (opset {@value OnnxGraph#OPSET}) with static shapes for one input size.
 *
 * <p>Op mapping (tensor names are node names; helper tensors are {@code <node>/<suffix>}):
 * <ul>
 *   <li>{@link Op.Conv}: {@code Conv} with BatchNorm folded into weight and bias
 *       ({@link Weights#folded}), then {@code Relu} or {@code Sigmoid};</li>
 *   <li>{@link Op.Add}: {@code Add}; {@link Op.Concat}: {@code Concat(axis=1)};
 *       {@link Op.ChannelMul}: {@code Mul} (N x C x H x W times N x C x 1 x 1 broadcast);</li>
 *   <li>{@link Op.Resize}: {@code Resize(mode=linear, coordinate_transformation_mode=half_pixel)}
 *       with constant {@code sizes} taken from the reference tensor's shape;</li>
 *   <li>{@link Op.AvgPool}: {@code AveragePool(count_include_pad=0)} where the window fits,
 *       {@code GlobalAveragePool} where it does not (the following Resize broadcasts back);</li>
 *   <li>{@link Op.GlobalAvgPool}: {@code GlobalAveragePool};</li>
 *   <li>{@link Op.CostEmbedding}: a graph input {@code N x dim x 1 x 1} the caller feeds with the
 *       table row for the budget;</li>
 *   <li>{@link Op.Composite}: {@code Clip(pred, 0, 1) * Slice(x, channel 4) + Slice(x, channel 5)}.</li>
 * </ul>
 */
public final class OnnxCompiler {
    public static final String PRODUCER = "pam-java";
    public static final String PRODUCER_VERSION = "0.1";

    private OnnxCompiler() {}

    /**
     * Compiles one segment for a batch of {@code n} inputs whose tensor shapes are {@code shapes}
     * (from {@code NetworkSpec.shapes(h, w)}).
     *
     * @return the serialised {@code ModelProto}
     */
    public static byte[] compile(Segment segment, Weights weights, int n, Map<String, Shape> shapes) {
        if (n < 1) throw new IllegalArgumentException("batch must be >= 1, got " + n);
        OnnxGraph g = new OnnxGraph(segment.name());
        for (String in : segment.inputs()) g.input(in, dims(n, shape(shapes, in)));
        for (Node e : segment.embeddings()) g.input(e.name(), dims(n, shape(shapes, e.name())));
        for (Node node : segment.nodes()) emit(g, node, node.name(), weights, n, shapes);
        for (String out : segment.outputs()) g.output(out, dims(n, shape(shapes, out)));
        return g.toModel(PRODUCER, PRODUCER_VERSION);
    }

    /**
     * Emits one node's ONNX ops into {@code g}, writing its result to tensor {@code name}
     * (normally the node's name; an {@code If} branch renames the tensor it hands out).
     *
     * @param shapes static shapes of every tensor, or null for symbolic H and W: then Resize
     *               takes its sizes from the {@code Shape} of its tensors, and AvgPool chooses
     *               between the window and the global average with an {@code If} on the map
     *               size (needs opset >= 15 for {@code Shape(start, end)})
     */
    static void emit(OnnxGraph g, Node node, String name, Weights weights, int n, Map<String, Shape> shapes) {
        List<String> in = node.inputs();
        switch (node.op()) {
            case Op.Conv c -> {
                Weights.FoldedConv f = weights.folded(node);
                String w = node.name() + ".weight", b = node.name() + ".bias";
                g.initializer(w, longs(c.weightShape()), f.weight());
                g.initializer(b, new long[] {c.outC()}, f.bias());
                String conv = c.activation() == Activation.NONE ? name : name + "/conv";
                g.node("Conv", List.of(in.get(0), w, b), List.of(conv),
                        OnnxGraph.Attr.ints("kernel_shape", c.kernel(), c.kernel()),
                        OnnxGraph.Attr.ints("strides", c.stride(), c.stride()),
                        OnnxGraph.Attr.ints("pads", c.pad(), c.pad(), c.pad(), c.pad()),
                        OnnxGraph.Attr.ints("dilations", 1, 1),
                        OnnxGraph.Attr.i("group", c.groups()));
                switch (c.activation()) {
                    case RELU -> g.node("Relu", List.of(conv), List.of(name));
                    case SIGMOID -> g.node("Sigmoid", List.of(conv), List.of(name));
                    case NONE -> { }
                }
            }
            case Op.Add a -> g.node("Add", in, List.of(name));
            case Op.Concat c -> g.node("Concat", in, List.of(name), OnnxGraph.Attr.i("axis", 1));
            case Op.ChannelMul m -> g.node("Mul", in, List.of(name));
            case Op.Resize r when shapes == null -> {
                // sizes = (N, C of the input) ++ (H, W of the reference), computed at run time
                g.node("Shape", List.of(in.get(0)), List.of(name + "/nc"), OnnxGraph.Attr.i("start", 0), OnnxGraph.Attr.i("end", 2));
                g.node("Shape", List.of(in.get(1)), List.of(name + "/hw"), OnnxGraph.Attr.i("start", 2), OnnxGraph.Attr.i("end", 4));
                g.node("Concat", List.of(name + "/nc", name + "/hw"), List.of(name + "/sizes"), OnnxGraph.Attr.i("axis", 0));
                g.node("Resize", List.of(in.get(0), "", "", name + "/sizes"), List.of(name),
                        OnnxGraph.Attr.s("mode", "linear"),
                        OnnxGraph.Attr.s("coordinate_transformation_mode", "half_pixel"));
            }
            case Op.Resize r -> {
                Shape out = shape(shapes, name);
                g.initializerInt64(name + "/sizes", new long[] {4}, new long[] {n, out.c(), out.h(), out.w()});
                g.node("Resize", List.of(in.get(0), "", "", name + "/sizes"), List.of(name),
                        OnnxGraph.Attr.s("mode", "linear"),
                        OnnxGraph.Attr.s("coordinate_transformation_mode", "half_pixel"));
            }
            case Op.AvgPool p when shapes == null -> {
                // The window fits when min(H, W) + 2 pad >= window (Op.AvgPool#fits).
                g.node("Shape", in, List.of(name + "/hw"), OnnxGraph.Attr.i("start", 2), OnnxGraph.Attr.i("end", 4));
                g.node("ReduceMin", List.of(name + "/hw"), List.of(name + "/side"), OnnxGraph.Attr.i("keepdims", 0));
                g.initializerInt64(name + "/least", new long[0], new long[] {p.window() - 2L * p.pad()});
                g.node("GreaterOrEqual", List.of(name + "/side", name + "/least"), List.of(name + "/fits"));
                OnnxGraph window = new OnnxGraph(name + "/window");
                window.node("AveragePool", in, List.of(name + "/pooled"),
                        OnnxGraph.Attr.ints("kernel_shape", p.window(), p.window()),
                        OnnxGraph.Attr.ints("strides", p.stride(), p.stride()),
                        OnnxGraph.Attr.ints("pads", p.pad(), p.pad(), p.pad(), p.pad()),
                        OnnxGraph.Attr.i("count_include_pad", 0));
                window.output(name + "/pooled", rank4(n));
                OnnxGraph global = new OnnxGraph(name + "/global");
                global.node("GlobalAveragePool", in, List.of(name + "/mean"));
                global.output(name + "/mean", rank4(n));
                g.node("If", List.of(name + "/fits"), List.of(name),
                        OnnxGraph.Attr.graph("then_branch", window), OnnxGraph.Attr.graph("else_branch", global));
            }
            case Op.AvgPool p -> {
                Shape src = shape(shapes, in.get(0));
                if (p.fits(src.h(), src.w())) {
                    g.node("AveragePool", in, List.of(name),
                            OnnxGraph.Attr.ints("kernel_shape", p.window(), p.window()),
                            OnnxGraph.Attr.ints("strides", p.stride(), p.stride()),
                            OnnxGraph.Attr.ints("pads", p.pad(), p.pad(), p.pad(), p.pad()),
                            OnnxGraph.Attr.i("count_include_pad", 0));
                } else {
                    g.node("GlobalAveragePool", in, List.of(name));
                }
            }
            case Op.GlobalAvgPool p -> g.node("GlobalAveragePool", in, List.of(name));
            case Op.CostEmbedding e -> { } // a graph input, declared by compile()
            case Op.Composite c -> {
                String pred = in.get(0), x = in.get(1);
                g.initializer(name + "/zero", new long[0], new float[] {0f});
                g.initializer(name + "/one", new long[0], new float[] {1f});
                g.initializerInt64(name + "/axes", new long[] {1}, new long[] {1});
                g.initializerInt64(name + "/c4", new long[] {1}, new long[] {4});
                g.initializerInt64(name + "/c5", new long[] {1}, new long[] {5});
                g.initializerInt64(name + "/c6", new long[] {1}, new long[] {6});
                g.node("Slice", List.of(x, name + "/c4", name + "/c5", name + "/axes"), List.of(name + "/unknown"));
                g.node("Slice", List.of(x, name + "/c5", name + "/c6", name + "/axes"), List.of(name + "/fg"));
                g.node("Clip", List.of(pred, name + "/zero", name + "/one"), List.of(name + "/clip"));
                g.node("Mul", List.of(name + "/clip", name + "/unknown"), List.of(name + "/mul"));
                g.node("Add", List.of(name + "/mul", name + "/fg"), List.of(name));
            }
        }
    }

    /** {@code n x ? x ? x ?}: the type of a rank-4 float tensor whose sizes the graph leaves open. */
    static OnnxGraph.Dim[] rank4(int n) {
        return new OnnxGraph.Dim[] {OnnxGraph.Dim.of(n), OnnxGraph.Dim.unknown(), OnnxGraph.Dim.unknown(), OnnxGraph.Dim.unknown()};
    }

    private static Shape shape(Map<String, Shape> shapes, String tensor) {
        Shape s = shapes.get(tensor);
        if (s == null) throw new IllegalArgumentException("no shape for tensor " + tensor);
        return s;
    }

    private static OnnxGraph.Dim[] dims(int n, Shape s) {
        return OnnxGraph.Dim.of(n, s.c(), s.h(), s.w());
    }

    private static long[] longs(int[] v) {
        long[] l = new long[v.length];
        for (int i = 0; i < v.length; i++) l[i] = v[i];
        return l;
    }
}
