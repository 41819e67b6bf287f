package io.pam.onnx;

import io.pam.Route;
import io.pam.net.CostModel;
import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.Op;
import io.pam.net.Weights;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes the network with its weights as a standalone ONNX model (opset {@value #OPSET}, IR
 * version {@value #IR_VERSION}) for other runtimes, with symbolic height and width.
 *
 * <p>Both forms take input {@value #INPUT}: float {@code 1 x 6 x H x W}, channels R, G, B in
 * [0, 1] (no mean/std), then the trimap one-hot background, unknown, foreground; H and W must
 * be positive multiples of 32 (reflect-pad the image and trimap, crop the alpha back). Output
 * {@value #OUTPUT}: float {@code 1 x 1 x H x W}, the final alpha
 * {@code clamp(pred, 0, 1) * unknown + foreground}, so known trimap regions are exact. BatchNorm
 * is folded into the convolutions, as every backend runs it.
 *
 * <ul>
 *   <li>{@link #fixedPath}: one route, a plain graph (only the PPM's average pools carry an
 *       {@code If}: the window where it fits the 1/32 map, else a global average);</li>
 *   <li>{@link #adaptive}: the whole path-adaptive network. Extra input {@value #BUDGET}: float
 *       {@code [1]}, the compute budget in GMAC (1e9 multiply-accumulates of convolutions and
 *       linear layers) for a 1024x1024 input, the library's budget unit. Each group runs inside
 *       an {@code If} on its selection layer's decision, made exactly as
 *       {@link io.pam.net.PathSelector} makes it. Extra output {@value #ROUTE}: int64 {@code [1]},
 *       the route taken as a mask (bit g-1 set = group g computed, see {@link Route}).</li>
 * </ul>
 */
public final class OnnxExporter {
    /** Default-domain opset of exported models. */
    public static final long OPSET = 17;
    /** IR version 8 goes with opset 17. */
    public static final long IR_VERSION = 8;
    public static final String INPUT = "input";
    public static final String OUTPUT = NetworkSpec.OUTPUT;
    public static final String BUDGET = "budget";
    public static final String ROUTE = "route";
    /** Symbolic input dimensions. */
    public static final String HEIGHT = "H", WIDTH = "W";

    private OnnxExporter() {}

    /**
     * One fixed route as a plain graph. Nodes the alpha does not depend on (the selection
     * layers' routing MLPs and cost embeddings) are left out.
     */
    public static byte[] fixedPath(Weights weights, Route route) {
        NetworkSpec spec = NetworkSpec.of(weights.config());
        if (route.groups() != NetworkSpec.GROUPS)
            throw new IllegalArgumentException("route must have " + NetworkSpec.GROUPS + " groups, got " + route);
        List<Node> nodes = spec.nodesOn(route);
        Set<String> needed = new HashSet<>(Set.of(OUTPUT));
        for (int i = nodes.size() - 1; i >= 0; i--) if (needed.contains(nodes.get(i).name())) needed.addAll(nodes.get(i).inputs());
        OnnxGraph g = start("pam-path-" + route, spec);
        for (Node n : nodes) if (needed.contains(n.name())) OnnxCompiler.emit(g, n, n.name(), weights, 1, null);
        g.output(OUTPUT, alphaDims());
        return g.toModel(OnnxCompiler.PRODUCER, OnnxCompiler.PRODUCER_VERSION, IR_VERSION, OPSET);
    }

    /**
     * The whole path-adaptive network in one graph. Routing, per group g in order, with the
     * route so far {@code m} (later groups bypassed) and {@code cost[r]} the GMAC at 1024x1024 of
     * route mask r from {@link CostModel} (a 16-entry constant):
     * <pre>
     *   compute_g = budget &gt; cost[full]                          (every route fits: full route)
     *            or (logits[0] &gt;= logits[1]                      (argmax, ties compute)
     *                and cost[m | 1 &lt;&lt; (g-1)] &lt; budget)          (still completable, strictly below)
     * </pre>
     * compared in double precision, as the library does. Each selection layer's cost-embedding
     * row is {@code clamp(floor(budget), lo, hi) - lo} (a {@code Gather} on its table).
     *
     * <p>Unlike the library, the graph cannot reject a budget: one at or below the cheapest
     * route's cost (or NaN) runs the cheapest route, where {@code Matter} throws. Check budgets
     * before feeding them.
     */
    public static byte[] adaptive(Weights weights) {
        NetworkSpec spec = NetworkSpec.of(weights.config());
        CostModel costs = new CostModel(spec);
        OnnxGraph g = start("pam-adaptive", spec);
        g.input(BUDGET, OnnxGraph.FLOAT, OnnxGraph.Dim.of(1));
        Routing r = new Routing(g, spec, costs);
        List<Segment> segments = Segment.split(spec);
        for (int i = 0; i < segments.size(); i++) {
            Segment seg = segments.get(i);
            if (seg.group() == 0) {
                for (Node n : seg.nodes()) r.emitShared(n, weights);
                continue;
            }
            Segment bypass = segments.get(++i);
            if (seg.bypass() || !bypass.bypass() || bypass.group() != seg.group())
                throw new IllegalStateException("expected group " + seg.group() + "'s compute then bypass branch, got "
                        + seg.name() + ", " + bypass.name());
            r.group(seg, bypass, weights);
        }
        g.output(OUTPUT, alphaDims());
        g.output(ROUTE, OnnxGraph.INT64, OnnxGraph.Dim.of(1));
        return g.toModel(OnnxCompiler.PRODUCER, OnnxCompiler.PRODUCER_VERSION, IR_VERSION, OPSET);
    }

    private static OnnxGraph start(String name, NetworkSpec spec) {
        OnnxGraph g = new OnnxGraph(name);
        g.input(INPUT, OnnxGraph.Dim.of(1), OnnxGraph.Dim.of(NetworkSpec.INPUT_CHANNELS),
                OnnxGraph.Dim.symbolic(HEIGHT), OnnxGraph.Dim.symbolic(WIDTH));
        g.node("Identity", List.of(INPUT), List.of(NetworkSpec.INPUT));
        return g;
    }

    private static OnnxGraph.Dim[] alphaDims() {
        return new OnnxGraph.Dim[] {OnnxGraph.Dim.of(1), OnnxGraph.Dim.of(1),
                OnnxGraph.Dim.symbolic(HEIGHT), OnnxGraph.Dim.symbolic(WIDTH)};
    }

    /** The routing state of {@link #adaptive} while its graph is built. */
    private static final class Routing {
        private final OnnxGraph g;
        private final NetworkSpec spec;
        private final Map<Integer, String> logitsByGroup = new HashMap<>();
        private String mask = "route/m0";

        Routing(OnnxGraph g, NetworkSpec spec, CostModel costs) {
            this.g = g;
            this.spec = spec;
            Route[] all = Route.all(NetworkSpec.GROUPS);
            double[] table = new double[all.length];
            for (Route route : all) table[route.mask()] = costs.gmac(route);
            Op.CostEmbedding e = spec.embedding();
            g.initializerDouble("route/costs", new long[] {table.length}, table);
            g.initializerDouble("route/full", new long[0], new double[] {costs.largest()});
            g.initializerDouble("route/lo", new long[0], new double[] {e.lo()});
            g.initializerDouble("route/hi", new long[0], new double[] {e.hi()});
            g.initializerInt64(mask, new long[] {1}, new long[] {0});
            g.initializerInt64("route/two", new long[] {1}, new long[] {2});
            g.initializerInt64("route/i0", new long[] {1}, new long[] {0});
            g.initializerInt64("route/i1", new long[] {1}, new long[] {1});
            g.initializerInt64("route/i2", new long[] {1}, new long[] {2});
            g.initializerInt64("route/embedShape", new long[] {4}, new long[] {1, e.dim(), 1, 1});
            g.node("Cast", List.of(BUDGET), List.of("route/budget"), OnnxGraph.Attr.i("to", OnnxGraph.DOUBLE));
            g.node("Greater", List.of("route/budget", "route/full"), List.of("route/unconstrained"));
            // Op.CostEmbedding#row: floor, clamp into [lo, hi], minus lo
            g.node("Floor", List.of("route/budget"), List.of("route/floor"));
            g.node("Clip", List.of("route/floor", "route/lo", "route/hi"), List.of("route/clamped"));
            g.node("Sub", List.of("route/clamped", "route/lo"), List.of("route/rowD"));
            g.node("Cast", List.of("route/rowD"), List.of("route/row"), OnnxGraph.Attr.i("to", OnnxGraph.INT64));
            for (NetworkSpec.Group grp : spec.groups()) logitsByGroup.put(grp.index(), grp.logits());
        }

        /** A shared node; cost embeddings become a row of their table. */
        void emitShared(Node n, Weights weights) {
            if (n.op() instanceof Op.CostEmbedding e) {
                String table = n.name() + ".weight";
                g.initializer(table, new long[] {e.rows(), e.dim()}, weights.get(table));
                g.node("Gather", List.of(table, "route/row"), List.of(n.name() + "/row"), OnnxGraph.Attr.i("axis", 0));
                g.node("Reshape", List.of(n.name() + "/row", "route/embedShape"), List.of(n.name()));
            } else {
                OnnxCompiler.emit(g, n, n.name(), weights, 1, null);
            }
        }

        /** The decision for one group and the {@code If} that runs its chosen branch. */
        void group(Segment compute, Segment bypass, Weights weights) {
            int grp = compute.group();
            String p = "route/g" + grp;
            String logits = logitsByGroup.get(grp);
            g.node("Reshape", List.of(logits, "route/two"), List.of(p + "/logits"));
            g.node("Slice", List.of(p + "/logits", "route/i0", "route/i1"), List.of(p + "/l0"));
            g.node("Slice", List.of(p + "/logits", "route/i1", "route/i2"), List.of(p + "/l1"));
            g.node("GreaterOrEqual", List.of(p + "/l0", p + "/l1"), List.of(p + "/prefers"));
            g.initializerInt64(p + "/bit", new long[] {1}, new long[] {1L << (grp - 1)});
            // the bit is clear in the route so far, so adding it sets it
            g.node("Add", List.of(mask, p + "/bit"), List.of(p + "/candidate"));
            g.node("Gather", List.of("route/costs", p + "/candidate"), List.of(p + "/cost"), OnnxGraph.Attr.i("axis", 0));
            g.node("Less", List.of(p + "/cost", "route/budget"), List.of(p + "/fits"));
            g.node("And", List.of(p + "/prefers", p + "/fits"), List.of(p + "/chosen"));
            g.node("Or", List.of("route/unconstrained", p + "/chosen"), List.of(p + "/compute"));
            String next = "route/m" + grp;
            g.node("Where", List.of(p + "/compute", p + "/candidate", mask), List.of(next));
            mask = next;
            String out = spec.group(grp).output();
            g.node("If", List.of(p + "/compute"), List.of(out),
                    OnnxGraph.Attr.graph("then_branch", branch(compute, out + "/compute", weights)),
                    OnnxGraph.Attr.graph("else_branch", branch(bypass, out + "/bypass", weights)));
            if (grp == NetworkSpec.GROUPS) g.node("Identity", List.of(mask), List.of(ROUTE));
        }

        /** One branch as a subgraph reading the group input from the outer graph. */
        private OnnxGraph branch(Segment seg, String out, Weights weights) {
            OnnxGraph b = new OnnxGraph(seg.name());
            String result = seg.outputs().get(0);
            for (Node n : seg.nodes()) OnnxCompiler.emit(b, n, n.name().equals(result) ? out : n.name(), weights, 1, null);
            b.output(out, OnnxCompiler.rank4(1));
            return b;
        }
    }
}
