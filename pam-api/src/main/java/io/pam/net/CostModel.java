package io.pam.net;

import io.pam.Route;
import java.util.List;
import java.util.Map;

/**
 * MACs of the network, computed from its description. The unit everywhere (budgets, the cost
 * embedding, reports) is the paper's: multiply-accumulates of convolutions and linear layers,
 * in GMAC (1e9), for a 1024x1024 input. Norms, activations, pooling, resizing and additions
 * are not counted.
 */
public final class CostModel {
    /** The reference input side for budgets. */
    public static final int REFERENCE_SIDE = 1024;

    private final NetworkSpec spec;
    private final double[] reference;

    public CostModel(NetworkSpec spec) {
        this.spec = spec;
        this.reference = routeGmacAt(REFERENCE_SIDE, REFERENCE_SIDE);
    }

    public NetworkSpec spec() {
        return spec;
    }

    /** MACs of one node for the given shapes (0 for ops that are not convolutions). */
    public static long macs(Node node, Map<String, Shape> shapes) {
        if (!(node.op() instanceof Op.Conv c)) return 0;
        Shape out = shapes.get(node.name());
        return (long) out.h() * out.w() * c.outC() * (c.inC() / c.groups()) * c.kernel() * c.kernel();
    }

    /** MACs of a route at an input size (multiple of 32), summed over the nodes it runs. */
    public long routeMacs(Route route, int h, int w) {
        Map<String, Shape> shapes = spec.shapes(h, w);
        return routeMacs(route, shapes);
    }

    private long routeMacs(Route route, Map<String, Shape> shapes) {
        long sum = 0;
        for (Node n : spec.nodes()) if (n.runsOn(route)) sum += macs(n, shapes);
        return sum;
    }

    /** GMAC of all routes (indexed by mask) at an input size. */
    public double[] routeGmacAt(int h, int w) {
        Map<String, Shape> shapes = spec.shapes(h, w);
        Route[] all = Route.all(NetworkSpec.GROUPS);
        double[] g = new double[all.length];
        for (Route r : all) g[r.mask()] = routeMacs(r, shapes) / 1e9;
        return g;
    }

    /** GMAC of a route at 1024x1024: the budget unit. */
    public double gmac(Route route) {
        return reference[route.mask()];
    }

    /** Cost of the cheapest route (every group bypassed). */
    public double smallest() {
        return reference[0];
    }

    /** Cost of the full route. */
    public double largest() {
        return reference[reference.length - 1];
    }

    /** GMAC at 1024x1024 of each part's nodes (by name prefix before the first dot) on a route. */
    public Map<String, Double> breakdown(Route route) {
        Map<String, Shape> shapes = spec.shapes(REFERENCE_SIDE, REFERENCE_SIDE);
        Map<String, Double> parts = new java.util.LinkedHashMap<>();
        for (Node n : spec.nodes()) {
            if (!n.runsOn(route)) continue;
            String part = n.name().contains(".") ? n.name().substring(0, n.name().indexOf('.')) : n.name();
            parts.merge(part, macs(n, shapes) / 1e9, Double::sum);
        }
        return parts;
    }

    /** The nodes of a route, for callers that need to sum their own way. */
    public List<Node> nodes(Route route) {
        return spec.nodesOn(route);
    }
}
