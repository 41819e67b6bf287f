package io.pam.onnx;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Builds one ONNX graph in memory and wraps it as a {@code ModelProto}: nodes, float, double
 * and int64 initializers, typed inputs and outputs, and graphs as node attributes (the branches
 * of {@code If}: build them as their own {@code OnnxGraph} and pass {@link Attr#graph}). Only the
 * message fields this project needs are written; field numbers are those of {@code onnx.proto}.
 *
 * <p>Not thread-safe; build, then call {@link #toModel} once or more.
 */
public final class OnnxGraph {
    /** IR version 7 goes with opsets 12-13. */
    public static final long IR_VERSION = 7;
    /** The default-domain opset the compiler targets (Resize with sizes, Clip with min/max inputs). */
    public static final long OPSET = 13;

    /** {@code TensorProto.DataType} values of the element types used here. */
    public static final int FLOAT = 1, INT64 = 7, BOOL = 9, DOUBLE = 11;
    // AttributeProto.AttributeType
    static final int ATTR_FLOAT = 1, ATTR_INT = 2, ATTR_STRING = 3, ATTR_GRAPH = 5, ATTR_INTS = 7;

    /**
     * One tensor dimension: a fixed size, a symbolic name ({@code dim_param}), or unknown
     * ({@link #unknown()}: value -1 and no name; written as an empty {@code Dimension}).
     */
    public record Dim(long value, String param) {
        public Dim {
            if (param == null && value < -1) throw new IllegalArgumentException("dimension must be >= 0, got " + value);
            if (param != null && param.isEmpty()) throw new IllegalArgumentException("symbolic dimension needs a name");
        }

        /** A dimension whose size the graph leaves open (e.g. an {@code If} branch's output). */
        public static Dim unknown() {
            return new Dim(-1, null);
        }

        public static Dim of(long value) {
            if (value < 0) throw new IllegalArgumentException("dimension must be >= 0, got " + value);
            return new Dim(value, null);
        }

        public static Dim symbolic(String name) {
            return new Dim(-1, name);
        }

        public static Dim[] of(long... values) {
            Dim[] d = new Dim[values.length];
            for (int i = 0; i < values.length; i++) d[i] = of(values[i]);
            return d;
        }
    }

    /** A node attribute: exactly one of an int, ints, a float, a string or a graph. */
    public record Attr(String name, int type, long i, long[] ints, float f, String s, OnnxGraph g) {
        public static Attr i(String name, long v) {
            return new Attr(name, ATTR_INT, v, null, 0, null, null);
        }

        public static Attr ints(String name, long... v) {
            return new Attr(name, ATTR_INTS, 0, v.clone(), 0, null, null);
        }

        public static Attr f(String name, float v) {
            return new Attr(name, ATTR_FLOAT, 0, null, v, null, null);
        }

        public static Attr s(String name, String v) {
            return new Attr(name, ATTR_STRING, 0, null, 0, v, null);
        }

        /**
         * A graph attribute ({@code If}'s {@code then_branch}/{@code else_branch}). The subgraph
         * may read tensors of the enclosing graphs by name; it is encoded when the node is added.
         */
        public static Attr graph(String name, OnnxGraph v) {
            return new Attr(name, ATTR_GRAPH, 0, null, 0, null, v);
        }

        ProtoWriter encode() {
            ProtoWriter w = new ProtoWriter().string(1, name);
            switch (type) {
                case ATTR_FLOAT -> w.float32(2, f);
                case ATTR_INT -> w.varint(3, i);
                case ATTR_STRING -> w.string(4, s);
                case ATTR_INTS -> w.packedVarints(8, ints);
                case ATTR_GRAPH -> w.message(6, g.graphProto());
                default -> throw new IllegalStateException("attribute type " + type);
            }
            return w.varint(20, type);
        }
    }

    private final String name;
    private final ProtoWriter nodes = new ProtoWriter();
    private final ProtoWriter initializers = new ProtoWriter();
    private final List<ProtoWriter> inputs = new ArrayList<>();
    private final List<ProtoWriter> outputs = new ArrayList<>();
    private final Set<String> defined = new HashSet<>();
    private int nodeCount;

    public OnnxGraph(String name) {
        this.name = name;
    }

    /** Adds a node; its name is its first output. Empty input names mark omitted optional inputs. */
    public void node(String opType, List<String> in, List<String> out, Attr... attrs) {
        if (out.isEmpty()) throw new IllegalArgumentException(opType + ": a node needs an output");
        ProtoWriter n = new ProtoWriter();
        for (String i : in) n.string(1, i);
        for (String o : out) {
            if (!defined.add(o)) throw new IllegalArgumentException("tensor " + o + " defined twice");
            n.string(2, o);
        }
        n.string(3, out.get(0)).string(4, opType);
        for (Attr a : attrs) n.message(5, a.encode());
        nodes.message(1, n);
        nodeCount++;
    }

    /** A float initializer (constant), stored as little-endian {@code raw_data}. */
    public void initializer(String tensor, long[] dims, float[] data) {
        checkCount(tensor, dims, data.length);
        ProtoWriter t = tensorHeader(tensor, dims, FLOAT);
        t.floatsAsBytes(9, data);
        initializers.message(5, t);
    }

    /** A double initializer, stored as little-endian {@code raw_data}. */
    public void initializerDouble(String tensor, long[] dims, double[] data) {
        checkCount(tensor, dims, data.length);
        ProtoWriter t = tensorHeader(tensor, dims, DOUBLE);
        t.doublesAsBytes(9, data);
        initializers.message(5, t);
    }

    /** An int64 initializer (shapes, sizes, slice bounds), stored as packed {@code int64_data}. */
    public void initializerInt64(String tensor, long[] dims, long[] data) {
        checkCount(tensor, dims, data.length);
        ProtoWriter t = tensorHeader(tensor, dims, INT64);
        t.packedVarints(7, data);
        initializers.message(5, t);
    }

    /** A float graph input. */
    public void input(String tensor, Dim... dims) {
        input(tensor, FLOAT, dims);
    }

    /** A graph input of element type {@code elemType} ({@link #FLOAT}, {@link #INT64}, ...). */
    public void input(String tensor, int elemType, Dim... dims) {
        if (!defined.add(tensor)) throw new IllegalArgumentException("tensor " + tensor + " defined twice");
        inputs.add(valueInfo(tensor, elemType, dims));
    }

    /** A float graph output (must be produced by a node or be an input). */
    public void output(String tensor, Dim... dims) {
        output(tensor, FLOAT, dims);
    }

    /** A graph output of element type {@code elemType}. */
    public void output(String tensor, int elemType, Dim... dims) {
        outputs.add(valueInfo(tensor, elemType, dims));
    }

    public int nodeCount() {
        return nodeCount;
    }

    /** Encodes the graph as a {@code ModelProto} (IR {@value #IR_VERSION}, opset {@value #OPSET}). */
    public byte[] toModel(String producerName, String producerVersion) {
        return toModel(producerName, producerVersion, IR_VERSION, OPSET);
    }

    /** Encodes the graph as a {@code ModelProto} of the given IR version and default-domain opset. */
    public byte[] toModel(String producerName, String producerVersion, long irVersion, long opset) {
        ProtoWriter model = new ProtoWriter()
                .varint(1, irVersion)
                .string(2, producerName)
                .string(3, producerVersion)
                .message(7, graphProto())
                .message(8, new ProtoWriter().string(1, "").varint(2, opset));
        return model.toByteArray();
    }

    /** The {@code GraphProto} alone (for a model, or a graph attribute). */
    ProtoWriter graphProto() {
        ProtoWriter graph = new ProtoWriter();
        // Field order as protoc writes it (by field number): node, name, initializer, input, output.
        graph.raw(nodes);
        graph.string(2, name);
        graph.raw(initializers);
        for (ProtoWriter i : inputs) graph.message(11, i);
        for (ProtoWriter o : outputs) graph.message(12, o);
        return graph;
    }

    private static ProtoWriter tensorHeader(String tensor, long[] dims, int dataType) {
        ProtoWriter t = new ProtoWriter();
        for (long d : dims) t.varint(1, d);
        return t.varint(2, dataType).string(8, tensor);
    }

    private static void checkCount(String tensor, long[] dims, int count) {
        long n = 1;
        for (long d : dims) n *= d;
        if (n != count) throw new IllegalArgumentException(tensor + ": shape holds " + n + " values, got " + count);
    }

    private static ProtoWriter valueInfo(String tensor, int elemType, Dim[] dims) {
        ProtoWriter shape = new ProtoWriter();
        for (Dim d : dims) {
            ProtoWriter dim = new ProtoWriter();
            if (d.param() != null) dim.string(2, d.param());
            else if (d.value() >= 0) dim.varint(1, d.value());
            shape.message(1, dim);
        }
        ProtoWriter tensorType = new ProtoWriter().varint(1, elemType).message(2, shape);
        ProtoWriter type = new ProtoWriter().message(1, tensorType);
        return new ProtoWriter().string(1, tensor).message(2, type);
    }
}
