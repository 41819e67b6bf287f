package io.pam.onnx;

import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.Op;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A contiguous run of nodes that executes without a routing decision in between, with the
 * tensors it exchanges with the rest of the network. Derived from the description alone:
 * {@link #split} cuts the node list wherever the (group, branch) of the nodes changes, so a
 * network with four groups gives 10 segments: shared, g1 compute, g1 bypass, shared, ...,
 * g4 compute, g4 bypass, shared tail.
 *
 * @param name       for reports: {@code g2-compute}, {@code g2-bypass}, or first..last node name
 *                   for shared segments
 * @param group      0 for shared segments, else the group whose branch this is
 * @param bypass     true for a group's bypass branch
 * @param nodes      the nodes, in execution order ({@link Op.CostEmbedding} nodes included)
 * @param inputs     tensors read by the segment but produced outside it, in order of first use
 *                   (cost embeddings are not among them: see {@code embeddings})
 * @param embeddings the segment's cost-embedding nodes; each becomes an input fed with the
 *                   table row for the call's budget
 * @param outputs    tensors produced here that something outside the segment needs: a later
 *                   node, a selection layer's logits, or the network output
 */
public record Segment(String name, int group, boolean bypass, List<Node> nodes, List<String> inputs,
                      List<Node> embeddings, List<String> outputs) {
    public Segment {
        nodes = List.copyOf(nodes);
        inputs = List.copyOf(inputs);
        embeddings = List.copyOf(embeddings);
        outputs = List.copyOf(outputs);
        if (nodes.isEmpty()) throw new IllegalArgumentException("empty segment " + name);
    }

    /** Splits a network into segments between routing decisions, in execution order. */
    public static List<Segment> split(NetworkSpec spec) {
        return split(spec, Set.of());
    }

    /**
     * As {@link #split(NetworkSpec)}, with extra tensors made outputs of the segments that
     * produce them (e.g. every node name, to compare intermediates in tests).
     */
    public static List<Segment> split(NetworkSpec spec, Set<String> alsoOutput) {
        Set<String> required = new HashSet<>(alsoOutput);
        for (NetworkSpec.Group g : spec.groups()) required.add(g.logits());
        required.add(NetworkSpec.OUTPUT);
        List<Segment> out = new ArrayList<>();
        List<Node> run = new ArrayList<>();
        for (Node n : spec.nodes()) {
            if (!run.isEmpty() && (run.get(0).group() != n.group() || run.get(0).bypass() != n.bypass())) {
                out.add(of(null, run, spec.nodes(), required));
                run = new ArrayList<>();
            }
            run.add(n);
        }
        out.add(of(null, run, spec.nodes(), required));
        return List.copyOf(out);
    }

    /**
     * Builds a segment from any run of nodes (e.g. {@code spec.nodesOn(route)} for a whole-path
     * export), deriving its inputs and outputs.
     *
     * @param name     null for the default name
     * @param all      every node that may run (the network's nodes; a route's nodes for an export),
     *                 to find consumers outside the segment
     * @param required tensors that are outputs whenever the segment produces them
     */
    public static Segment of(String name, List<Node> nodes, Collection<Node> all, Set<String> required) {
        Set<Node> members = new HashSet<>(nodes);
        Set<String> produced = new HashSet<>();
        Set<String> inputs = new LinkedHashSet<>();
        List<Node> embeddings = new ArrayList<>();
        for (Node n : nodes) {
            for (String i : n.inputs()) if (!produced.contains(i)) inputs.add(i);
            if (n.op() instanceof Op.CostEmbedding) embeddings.add(n);
            produced.add(n.name());
        }
        Set<String> usedOutside = new HashSet<>();
        for (Node n : all) if (!members.contains(n)) usedOutside.addAll(n.inputs());
        List<String> outputs = new ArrayList<>();
        for (Node n : nodes) {
            if (n.op() instanceof Op.CostEmbedding) continue; // fed from Java; consumers outside read the table
            String t = n.name();
            if ((usedOutside.contains(t) || required.contains(t)) && !outputs.contains(t)) outputs.add(t);
        }
        if (outputs.isEmpty()) throw new IllegalArgumentException("segment starting at " + nodes.get(0).name() + " has no outputs");
        Node first = nodes.get(0);
        String n = name != null ? name
                : first.group() > 0 ? "g" + first.group() + (first.bypass() ? "-bypass" : "-compute")
                : first.name() + ".." + nodes.get(nodes.size() - 1).name();
        return new Segment(n, first.group(), first.bypass(), nodes, List.copyOf(inputs), embeddings, outputs);
    }
}
