package io.pam.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pam.Route;
import io.pam.net.CostModel;
import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.Op;
import io.pam.net.PathSelector;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import io.pam.ref.ReferenceExecutor;
import io.pam.spi.EngineOptions;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The OpenCV backend against the plain-Java reference (unfolded BatchNorm, exact ops).
 *
 * <p>Tolerances: alpha is compared at 1e-4 absolute with {@link Inputs#damped} weights, whose
 * activations stay O(1). With the raw {@link Weights#randomForTests} weights activations reach
 * 1e3-1e5 through the residual sums and both implementations' float32 rounding (relative ~1e-6)
 * moves alpha by up to ~1e-3; those runs are compared tensor by tensor at 1e-4 relative to the
 * largest magnitude among the op's reference inputs and output.
 */
class CpuParityTest {
    static final double TOL = 1e-4;
    static final NetworkSpec PAPER = NetworkSpec.paper();
    static final Weights RAW = Weights.randomForTests(PAPER, 11);
    static final Weights DAMPED = Inputs.damped(PAPER, 11, 0.3f);
    static final CostModel PAPER_COST = new CostModel(PAPER);
    static CpuEngine paper;

    @BeforeAll
    static void open() {
        assumeTrue(new CpuBackend().isAvailable(), () -> "OpenCV not loadable: " + new CpuBackend().unavailableReason());
        paper = (CpuEngine) new CpuBackend().open(PAPER, DAMPED, EngineOptions.defaults());
    }

    @AfterAll
    static void close() {
        if (paper != null) paper.close();
    }

    @ParameterizedTest(name = "paper {0}x{1} route {2}")
    @CsvSource({"64,64,1111", "64,64,1011", "64,64,0000", "64,64,0110", "96,160,1111", "96,160,0101"})
    void paperFixedRoutesMatchTheReference(int h, int w, String route) {
        Tensor x = Inputs.random(1, h, w, h * 31L + w);
        Route r = Route.parse(route);
        Tensor got = paper.run(x, PathSelector.fixed(PAPER_COST, r, 66));
        Tensor ref = new ReferenceExecutor(PAPER, DAMPED).run(x, PathSelector.fixed(PAPER_COST, r, 66)).alpha();
        assertThat(Inputs.maxAbsDiff(got, ref, "alpha"))
                .as("alpha, paper net, route %s, input 1x6x%dx%d: max |cpu - reference| vs tolerance %.0e", route, h, w, TOL)
                .isLessThanOrEqualTo(TOL);
    }

    @ParameterizedTest(name = "paper 96x160 budget {0}")
    @CsvSource({"60.5", "68"})
    void budgetRoutingTakesTheReferenceRoute(double budget) {
        Tensor x = Inputs.random(1, 96, 160, 5);
        PathSelector mine = new PathSelector(PAPER_COST, budget);
        PathSelector theirs = new PathSelector(PAPER_COST, budget);
        Tensor got = paper.run(x, mine);
        ReferenceExecutor.Result ref = new ReferenceExecutor(PAPER, DAMPED).run(x, theirs);
        assertThat(mine.done()).as("all groups decided").isTrue();
        assertThat(mine.route()).as("route under budget %.1f", budget).isEqualTo(ref.route());
        assertThat(PAPER_COST.gmac(mine.route())).isLessThan(budget);
        assertThat(Inputs.maxAbsDiff(got, ref.alpha(), "alpha"))
                .as("alpha, budget %.1f, route %s, tolerance %.0e", budget, mine.route(), TOL).isLessThanOrEqualTo(TOL);
    }

    /** Every intermediate tensor of every segment, against the reference's. */
    @ParameterizedTest(name = "{0} weights, {1}x{2}, route {3}")
    @CsvSource({"paper-raw,96,160,0000", "paper-raw,64,64,1101", "paper-damped,96,160,1010", "tiny-raw,128,96,0110",
            "tiny-damped,64,64,1111", "tiny-damped,32,32,1001"})
    void everyIntermediateTensorMatches(String weightsName, int h, int w, String route) {
        NetworkSpec spec = weightsName.startsWith("tiny") ? NetworkSpec.of(NetworkConfig.tiny()) : PAPER;
        Weights weights = switch (weightsName) {
            case "paper-raw" -> RAW;
            case "paper-damped" -> DAMPED;
            case "tiny-raw" -> Weights.randomForTests(spec, 3);
            default -> Inputs.damped(spec, 3, 0.3f);
        };
        boolean damped = weightsName.endsWith("damped");
        CostModel cost = new CostModel(spec);
        Set<String> all = new HashSet<>();
        for (Node n : spec.nodes()) all.add(n.name());
        Tensor x = Inputs.random(1, h, w, 99);
        Route r = Route.parse(route);
        Map<String, Tensor> got = new HashMap<>();
        try (CpuEngine e = new CpuEngine(spec, weights, EngineOptions.defaults(), all)) {
            e.run(x, PathSelector.fixed(cost, r, 60), got);
        }
        ReferenceExecutor.Result ref = new ReferenceExecutor(spec, weights).run(x, PathSelector.fixed(cost, r, 60));
        int compared = 0;
        for (Node n : spec.nodesOn(r)) {
            if (n.op() instanceof Op.CostEmbedding) continue; // fed from Java, not computed
            Tensor mine = got.get(n.name());
            assertThat(mine).as("%s: no output from the CPU backend", n.name()).isNotNull();
            Tensor want = ref.tensors().get(n.name());
            double scale = Inputs.maxAbs(want);
            for (String in : n.inputs()) scale = Math.max(scale, Inputs.maxAbs(ref.tensors().get(in)));
            double tol = damped ? TOL : TOL * Math.max(1, scale);
            double d = Inputs.maxAbsDiff(mine, want, n.name());
            if (Boolean.getBoolean("pam.test.verbose"))
                System.out.printf("%-16s %-14s scale %10.3g  diff %10.3g%n", n.name(), want.shape(), scale, d);
            assertThat(d).as("%s (%s, group %d%s), shape %s, %s weights, route %s: max |cpu - reference| vs tolerance %.2e",
                    n.name(), n.op().getClass().getSimpleName(), n.group(), n.bypass() ? " bypass" : "", want.shape(),
                    weightsName, route, tol).isLessThanOrEqualTo(tol);
            compared++;
        }
        assertThat(compared).isEqualTo(spec.nodesOn(r).size() - NetworkSpec.GROUPS);
    }

    @Test
    void tinyBatchOfTwoMatchesPerSample() {
        NetworkSpec spec = NetworkSpec.of(NetworkConfig.tiny());
        Weights weights = Inputs.damped(spec, 4, 0.3f);
        CostModel cost = new CostModel(spec);
        Tensor x = Inputs.random(2, 64, 96, 8);
        try (var e = new CpuBackend().open(spec, weights, EngineOptions.defaults())) {
            Tensor got = e.run(x, PathSelector.fixed(cost, Route.parse("0111"), 70));
            Tensor ref = new ReferenceExecutor(spec, weights).run(x, PathSelector.fixed(cost, Route.parse("0111"), 70)).alpha();
            assertThat(got.n()).isEqualTo(2);
            assertThat(Inputs.maxAbsDiff(got, ref, "alpha")).as("tiny, batch 2, 64x96: max |cpu - reference| vs %.0e", TOL)
                    .isLessThanOrEqualTo(TOL);
        }
    }
}
