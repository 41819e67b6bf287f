package io.pam.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pam.Matter;
import io.pam.Route;
import io.pam.cpu.CpuBackend;
import io.pam.net.CostModel;
import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.PathSelector;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import io.pam.onnx.OnnxExporter;
import io.pam.spi.EngineOptions;
import io.pam.spi.InferenceEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The exported ONNX models, run by ONNX Runtime, give the alpha (and, adaptive, the route) of
 * the library's CPU backend: max |difference| {@value #TOLERANCE} at 64x64 (the PPM windows do
 * not fit the 2x2 map at 1/32: global averages) and 96x160 (they fit).
 */
class OrtParityTest {
    static final double TOLERANCE = 1e-4;
    /**
     * Residual branches scaled by 0.5 (see {@link #damped}): with the plain test weights 95% of
     * the alpha clamps to 0 or 1 and float32 rounding of ~1e3 activations alone reaches 1e-4.
     */
    static final float DAMPING = 0.5f;
    static final int[][] SIZES = {{64, 64}, {96, 160}};
    static final NetworkSpec SPEC = NetworkSpec.of(NetworkConfig.tiny());
    static final CostModel COSTS = new CostModel(SPEC);
    static final Weights WEIGHTS = damped(SPEC, Weights.randomForTests(SPEC, 11), DAMPING);

    @BeforeAll
    static void needsOpenCv() {
        CpuBackend b = new CpuBackend();
        assumeTrue(b.isAvailable(), "OpenCV not loadable: " + b.unavailableReason());
    }

    @Test
    void fixedPathsMatchTheCpuBackend() {
        List<Tensor> alphas = new ArrayList<>();
        for (String bits : List.of("1111", "0000", "1011", "0110")) {
            Route route = Route.parse(bits);
            try (OrtModel ort = new OrtModel(OnnxExporter.fixedPath(WEIGHTS, route));
                 InferenceEngine engine = new CpuBackend().open(SPEC, WEIGHTS, EngineOptions.defaults())) {
                for (int[] hw : SIZES) {
                    Tensor x = input(hw[0], hw[1], 5);
                    Tensor ours = engine.run(x, PathSelector.fixed(COSTS, route, COSTS.largest()));
                    Tensor theirs = ort.run(x).alpha();
                    assertClose(theirs, ours, "fixed path " + bits + " at " + hw[0] + "x" + hw[1]);
                    alphas.add(ours);
                }
            }
        }
        // not vacuous: the routes' mattes differ far beyond the tolerance (a wrong branch would show)
        for (int i = 0; i < alphas.size(); i++)
            for (int j = i + SIZES.length; j < alphas.size(); j += SIZES.length)
                assertThat(maxDiff(alphas.get(i), alphas.get(j))).as("routes %d and %d", i, j).isGreaterThan(100 * TOLERANCE);
    }

    static double maxDiff(Tensor a, Tensor b) {
        double m = 0;
        for (int i = 0; i < a.data().length; i++) m = Math.max(m, Math.abs((double) a.data()[i] - b.data()[i]));
        return m;
    }

    @Test
    void adaptiveModelRoutesAndMattesLikeTheCpuBackend() {
        // the trained-looking case: routes from the network's own logits; plus weights whose
        // selection layers always ask to compute, or to bypass group 2, so budgets decide
        List<Weights> variants = List.of(WEIGHTS, preferring(WEIGHTS, new boolean[] {true, true, true, true}),
                preferring(WEIGHTS, new boolean[] {true, false, true, true}));
        List<String> routesSeen = new ArrayList<>();
        for (int v = 0; v < variants.size(); v++) {
            Weights w = variants.get(v);
            try (OrtModel ort = new OrtModel(OnnxExporter.adaptive(w));
                 InferenceEngine engine = new CpuBackend().open(SPEC, w, EngineOptions.defaults())) {
                for (int[] hw : SIZES) {
                    Tensor x = input(hw[0], hw[1], 9);
                    for (float budget : budgets()) {
                        PathSelector selector = new PathSelector(COSTS, budget);
                        Tensor ours = engine.run(x, selector);
                        OrtModel.Result theirs = ort.run(x, budget);
                        String what = "weights " + v + ", budget " + budget + " at " + hw[0] + "x" + hw[1];
                        assertThat(theirs.route()).as(what + ": route").isEqualTo(selector.route());
                        assertClose(theirs.alpha(), ours, what + ", route " + selector.route());
                        routesSeen.add(selector.route().toString());
                    }
                }
            }
        }
        // the budgets force bypasses: several routes, not only the full one
        assertThat(routesSeen).contains("1111", "0000", "1011").hasSizeGreaterThan(10);
        assertThat(routesSeen.stream().distinct().count()).isGreaterThanOrEqualTo(5);
    }

    /**
     * The cost-embedding row (floor of the budget, clamped, minus the table's first budget) on
     * the paper network, whose table has 19 rows within its budget range (the tiny network's
     * costs span only two). Tables scaled up so each row pushes the logits its own way: the
     * routes then depend on which row was read.
     */
    @Test
    void embeddingRowFollowsTheBudgetOnThePaperNetwork() {
        NetworkSpec spec = NetworkSpec.paper();
        CostModel costs = new CostModel(spec);
        Map<String, float[]> t = damped(spec, Weights.randomForTests(spec, 5), DAMPING).copyOf();
        for (NetworkSpec.Group g : spec.groups()) {
            float[] table = t.get("ps" + g.index() + ".embed.weight");
            for (int i = 0; i < table.length; i++) table[i] *= 20f;
        }
        Weights w = Weights.of(spec, t);
        List<String> routes = new ArrayList<>();
        try (OrtModel ort = new OrtModel(OnnxExporter.adaptive(w));
             InferenceEngine engine = new CpuBackend().open(spec, w, EngineOptions.defaults())) {
            Tensor x = input(64, 64, 21);
            for (float budget : new float[] {58.5f, 60.2f, 61.9f, 63.0f, 64.7f, 66.4f, 68.1f, 69.9f, 71.5f, 72.3f, 74.0f, 74.9f, 90f}) {
                PathSelector selector = new PathSelector(costs, budget);
                Tensor ours = engine.run(x, selector);
                OrtModel.Result theirs = ort.run(x, budget);
                assertThat(theirs.route()).as("paper network, budget " + budget).isEqualTo(selector.route());
                assertWithin(theirs.alpha(), ours, "paper network, budget " + budget + ", route " + selector.route());
                routes.add(selector.route().toString());
            }
        }
        assertThat(routes.stream().distinct().count()).as("routes " + routes).isGreaterThanOrEqualTo(4);
    }

    @Test
    void shippedWeightsMatchToo() throws Exception {
        Weights shipped;
        try {
            shipped = Matter.shippedWeights();
        } catch (IllegalStateException e) {
            assumeTrue(false, "no shipped weights on the class path (" + Matter.DEFAULT_WEIGHTS_RESOURCE
                    + "): nothing trained to check yet; random weights are checked above");
            return;
        }
        NetworkSpec spec = NetworkSpec.of(shipped.config());
        CostModel costs = new CostModel(spec);
        try (OrtModel ort = new OrtModel(OnnxExporter.adaptive(shipped));
             InferenceEngine engine = new CpuBackend().open(spec, shipped, EngineOptions.defaults())) {
            Tensor x = input(96, 160, 13);
            for (double b : new double[] {costs.smallest() + 0.5, 70, costs.largest() + 1}) {
                PathSelector selector = new PathSelector(costs, b);
                Tensor ours = engine.run(x, selector);
                OrtModel.Result theirs = ort.run(x, (float) b);
                assertThat(theirs.route()).as("shipped weights, budget " + b).isEqualTo(selector.route());
                assertClose(theirs.alpha(), ours, "shipped weights, budget " + b);
            }
        }
    }

    /**
     * Budgets just above each route's cost (admits that route: strictly below) and just below it
     * (does not), and one above the full route's cost (every route fits).
     */
    static List<Float> budgets() {
        List<Float> out = new ArrayList<>();
        for (Route r : Route.all(NetworkSpec.GROUPS)) {
            double c = COSTS.gmac(r);
            float above = (float) (c + 1e-4), below = (float) (c - 1e-4);
            if (above > c) out.add(above);
            if (below < c && below > COSTS.smallest()) out.add(below);
        }
        out.add((float) COSTS.largest() + 1f);
        return out;
    }

    /**
     * Scales every residual branch's last conv by {@code scale}: the plain test weights let
     * activations grow through the residual sums until most of the alpha clamps to 0 or 1,
     * which would hide differences; damped, most unknown pixels keep a soft alpha.
     */
    static Weights damped(NetworkSpec spec, Weights base, float scale) {
        java.util.Set<String> branchEnds = new java.util.HashSet<>();
        for (io.pam.net.Node n : spec.nodes()) if (n.op() instanceof io.pam.net.Op.Add) branchEnds.addAll(n.inputs());
        Map<String, float[]> t = base.copyOf();
        for (io.pam.net.Node n : spec.nodes()) {
            if (!(n.op() instanceof io.pam.net.Op.Conv c) || !branchEnds.contains(n.name())) continue;
            for (String k : c.batchNorm() ? new String[] {".bn.weight", ".bn.bias"} : new String[] {".weight", ".bias"}) {
                float[] v = t.get(n.name() + k);
                if (v != null) for (int i = 0; i < v.length; i++) v[i] *= scale;
            }
        }
        return Weights.of(spec, t);
    }

    /** Weights whose selection layer g prefers compute when {@code compute[g-1]}, bypass otherwise. */
    static Weights preferring(Weights base, boolean[] compute) {
        Map<String, float[]> t = base.copyOf();
        for (NetworkSpec.Group g : SPEC.groups()) {
            float[] bias = t.get(g.logits() + ".bias");
            boolean c = compute[g.index() - 1];
            bias[0] = c ? 1e3f : -1e3f;
            bias[1] = c ? -1e3f : 1e3f;
        }
        return Weights.of(SPEC, t);
    }

    /** RGB in [0,1] and a one-hot trimap, most pixels unknown. */
    static Tensor input(int h, int w, long seed) {
        Random r = new Random(seed);
        Tensor x = Tensor.zeros(1, 6, h, w);
        int plane = h * w;
        for (int i = 0; i < 3 * plane; i++) x.data()[i] = r.nextFloat();
        for (int i = 0; i < plane; i++) {
            float u = r.nextFloat();
            int cls = u < 0.15f ? 0 : u < 0.85f ? 1 : 2;
            x.data()[(3 + cls) * plane + i] = 1f;
        }
        return x;
    }

    /** Max |difference| within tolerance (no softness requirement: for saturating weights). */
    static void assertWithin(Tensor ort, Tensor cpu, String what) {
        assertThat(maxDiff(ort, cpu)).as("%s: max |ONNX Runtime - CPU backend| alpha", what).isLessThanOrEqualTo(TOLERANCE);
    }

    static void assertClose(Tensor ort, Tensor cpu, String what) {
        assertThat(ort.h()).isEqualTo(cpu.h());
        assertThat(ort.w()).isEqualTo(cpu.w());
        double max = 0;
        int soft = 0;
        for (int i = 0; i < cpu.data().length; i++) {
            max = Math.max(max, Math.abs((double) ort.data()[i] - cpu.data()[i]));
            if (cpu.data()[i] > 1e-3 && cpu.data()[i] < 1 - 1e-3) soft++;
        }
        assertThat(max).as("%s: max |ONNX Runtime - CPU backend| alpha", what).isLessThanOrEqualTo(TOLERANCE);
        // not vacuous: the prediction is not clamped flat everywhere
        assertThat(soft).as("%s: pixels with alpha strictly inside (0,1)", what).isGreaterThan(cpu.data().length / 20);
    }
}
