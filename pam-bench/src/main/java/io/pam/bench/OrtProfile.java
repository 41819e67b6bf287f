package io.pam.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pam.Route;
import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.Op;
import io.pam.onnx.Segment;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads an ONNX Runtime profile (Chrome trace JSON) of a fixed-path model ({@code route}) and sums the node
 * times of its last run by our segment and by kind of op, to say where ONNX Runtime spends its
 * time. ONNX node names are our node names plus ONNX Runtime's suffixes ({@code _nchwc},
 * {@code /conv}, ...); its layout reorders ({@code ReorderInput/Output}) count as their own kind.
 */
record OrtProfile(Map<String, Double> bySegmentMs, Map<String, Double> byKindMs) {
    static OrtProfile read(Path file, NetworkSpec spec, Route route) throws IOException {
        JsonNode events = new ObjectMapper().readTree(file.toFile());
        long lastRunStart = -1, lastRunEnd = -1;
        for (JsonNode e : events) {
            if (e.path("name").asText().equals("model_run")) {
                lastRunStart = e.path("ts").asLong();
                lastRunEnd = lastRunStart + e.path("dur").asLong();
            }
        }
        if (lastRunStart < 0) throw new IOException(file + ": no model_run event");
        Map<String, Node> nodes = new HashMap<>();
        for (Node n : spec.nodesOn(route)) nodes.put(n.name(), n);
        Map<String, String> segmentOf = new HashMap<>();
        Map<String, Double> bySegment = new LinkedHashMap<>();
        for (Segment s : Segment.split(spec)) {
            if (!s.nodes().get(0).runsOn(route)) continue;
            for (Node n : s.nodes()) segmentOf.put(n.name(), s.name());
            bySegment.put(s.name(), 0.0);
        }
        Map<String, Double> byKind = new TreeMap<>();
        for (JsonNode e : events) {
            if (!e.path("cat").asText().equals("Node")) continue;
            long ts = e.path("ts").asLong();
            if (ts < lastRunStart || ts > lastRunEnd) continue;
            String op = e.path("args").path("op_name").asText();
            if (op.equals("If")) continue; // its branch's nodes are listed themselves
            double ms = e.path("dur").asLong() / 1e3;
            String name = e.path("name").asText().replace("_kernel_time", "");
            Node node = ourNode(name, nodes);
            String kind = op.startsWith("Reorder") ? "layout reorder (NCHWc)"
                    : node != null && node.op() instanceof Op.Conv c ? (c.depthwise() ? "depthwise conv " + c.kernel() + "x" + c.kernel()
                    : c.kernel() == 1 ? "conv 1x1" : "conv " + c.kernel() + "x" + c.kernel())
                    : op;
            byKind.merge(kind, ms, Double::sum);
            bySegment.merge(node == null ? "(unattributed)" : segmentOf.getOrDefault(node.name(), "(unattributed)"), ms, Double::sum);
        }
        bySegment.values().removeIf(v -> v == 0);
        return new OrtProfile(bySegment, byKind);
    }

    /** The longest of our node names that the ONNX Runtime node name starts with. */
    private static Node ourNode(String ortName, Map<String, Node> nodes) {
        for (int end = ortName.length(); end > 0; end--) {
            Node n = nodes.get(ortName.substring(0, end));
            if (n != null) return n;
        }
        return null;
    }
}
