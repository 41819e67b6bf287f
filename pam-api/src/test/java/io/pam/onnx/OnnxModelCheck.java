package io.pam.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Re-parses a serialised ONNX model and checks that it is well formed, as far as that can be
 * told without the operator schemas: IR version, opset and producer set; every initializer holds
 * as many values as its dims say; every graph input and output is typed (element type and a
 * shape); nodes are in topological order (each input an initializer, a graph input, an earlier
 * node's output or, in a subgraph, a tensor of an enclosing graph); every tensor is defined once
 * (SSA, across subgraphs too); every graph output is defined. Subgraphs ({@code If} branches) are
 * checked the same way, in the scope of the node that holds them.
 */
final class OnnxModelCheck {
    /** What a check found out, for the tests' own assertions. */
    record Summary(long irVersion, long opset, String producer, Map<String, Integer> opCounts, int subgraphs,
                   List<String> inputs, List<String> outputs) {}

    private final Map<String, Integer> opCounts = new HashMap<>();
    private final Set<String> everDefined = new HashSet<>();
    private int subgraphs;

    private OnnxModelCheck() {}

    /** Checks a model; throws {@link AssertionError} naming the first problem found. */
    static Summary check(byte[] model) {
        ProtoReader m = new ProtoReader(model);
        long ir = m.one(1).varint();
        String producer = m.one(2).string() + " " + m.one(3).string();
        if (m.one(2).string().isEmpty()) fail("producer_name is empty");
        if (m.one(3).string().isEmpty()) fail("producer_version is empty");
        long opset = -1;
        for (ProtoReader.Field f : m.all(8)) {
            ProtoReader o = f.message();
            String domain = o.all(1).isEmpty() ? "" : o.one(1).string();
            if (domain.isEmpty()) opset = o.one(2).varint();
        }
        if (opset < 1) fail("no default-domain opset_import");
        OnnxModelCheck c = new OnnxModelCheck();
        ProtoReader graph = m.one(7).message();
        c.graph(graph, Set.of(), true);
        List<String> ins = names(graph.all(11)), outs = names(graph.all(12));
        return new Summary(ir, opset, producer, Map.copyOf(c.opCounts), c.subgraphs, ins, outs);
    }

    private void graph(ProtoReader graph, Set<String> outer, boolean top) {
        String gname = graph.all(2).isEmpty() ? "?" : graph.one(2).string();
        Set<String> known = new HashSet<>(outer);
        for (ProtoReader.Field f : graph.all(5)) define(known, initializer(f.message(), gname), gname);
        for (ProtoReader.Field f : graph.all(11)) define(known, typed(f.message(), gname, "input"), gname);
        if (top && graph.all(11).isEmpty()) fail("graph " + gname + " has no inputs");
        for (ProtoReader.Field f : graph.all(1)) {
            ProtoReader node = f.message();
            String op = node.one(4).string();
            String nodeName = node.all(3).isEmpty() ? op : node.one(3).string();
            opCounts.merge(op, 1, Integer::sum);
            for (ProtoReader.Field in : node.all(1)) {
                String t = in.string();
                if (!t.isEmpty() && !known.contains(t))
                    fail("graph " + gname + ": node " + nodeName + " (" + op + ") reads " + t + ", not defined before it");
            }
            for (ProtoReader.Field a : node.all(5)) {
                ProtoReader attr = a.message();
                if (attr.one(20).varint() == OnnxGraph.ATTR_GRAPH) {
                    subgraphs++;
                    graph(attr.one(6).message(), known, false);
                }
            }
            if (op.equals("If") && node.all(5).size() != 2) fail("If " + nodeName + " needs then_branch and else_branch");
            if (node.all(2).isEmpty()) fail("node " + nodeName + " has no outputs");
            for (ProtoReader.Field o : node.all(2)) define(known, o.string(), gname);
        }
        if (graph.all(12).isEmpty()) fail("graph " + gname + " has no outputs");
        for (ProtoReader.Field f : graph.all(12)) {
            String out = typed(f.message(), gname, "output");
            if (!known.contains(out)) fail("graph " + gname + ": output " + out + " is never produced");
        }
    }

    private void define(Set<String> known, String tensor, String gname) {
        if (tensor.isEmpty()) fail("graph " + gname + ": empty tensor name defined");
        if (!everDefined.add(tensor)) fail("graph " + gname + ": tensor " + tensor + " defined twice (not SSA)");
        known.add(tensor);
    }

    private static String initializer(ProtoReader t, String gname) {
        String name = t.one(8).string();
        long count = 1;
        for (ProtoReader.Field d : t.all(1)) count *= d.varint();
        int type = (int) t.one(2).varint();
        long have = switch (type) {
            case OnnxGraph.FLOAT -> t.all(9).isEmpty() ? -1 : t.one(9).bytes().length / 4;
            case OnnxGraph.DOUBLE -> t.all(9).isEmpty() ? -1 : t.one(9).bytes().length / 8;
            case OnnxGraph.INT64 -> t.all(7).isEmpty() ? (count == 0 ? 0 : -1) : t.one(7).packedVarints().length;
            default -> {
                fail("graph " + gname + ": initializer " + name + " has unexpected type " + type);
                yield -1;
            }
        };
        if (have != count) fail("graph " + gname + ": initializer " + name + " holds " + have + " values, dims say " + count);
        return name;
    }

    private static String typed(ProtoReader valueInfo, String gname, String what) {
        String name = valueInfo.one(1).string();
        if (valueInfo.all(2).isEmpty()) fail("graph " + gname + ": " + what + " " + name + " has no type");
        ProtoReader tensorType = valueInfo.one(2).message().one(1).message();
        if (tensorType.all(1).isEmpty() || tensorType.one(1).varint() == 0) fail("graph " + gname + ": " + what + " " + name + " has no element type");
        if (tensorType.all(2).isEmpty()) fail("graph " + gname + ": " + what + " " + name + " has no shape");
        return name;
    }

    private static List<String> names(List<ProtoReader.Field> valueInfos) {
        List<String> out = new ArrayList<>();
        for (ProtoReader.Field f : valueInfos) out.add(f.message().one(1).string());
        return out;
    }

    private static void fail(String message) {
        throw new AssertionError("ONNX model check: " + message);
    }
}
