package io.pam.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pam.Route;
import io.pam.net.CostModel;
import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.PathSelector;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import io.pam.ref.ReferenceExecutor;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Forward parity of the CUDA engine with the plain-Java reference (FP32, max abs error 1e-3 on
 * alpha), every route, two sizes, several engine settings. Skipped where there is no GPU.
 */
class CudaParityTest {
    static final double TOLERANCE = 1e-3;
    static final NetworkSpec SPEC = NetworkSpec.of(NetworkConfig.tiny());
    static final Weights WEIGHTS = io.pam.cuda.tools.GpuCheck.parityWeights(SPEC, 7);
    static final CostModel COST = new CostModel(SPEC);
    static final ReferenceExecutor REF = new ReferenceExecutor(SPEC, WEIGHTS);

    @BeforeEach
    void needsGpu() {
        CudaBackend b = new CudaBackend();
        assumeTrue(b.isAvailable(), () -> "no usable CUDA GPU: " + b.unavailableReason());
    }

    static Tensor input(int h, int w, long seed) {
        Random r = new Random(seed);
        Tensor t = Tensor.zeros(1, 6, h, w);
        int plane = h * w;
        for (int i = 0; i < 3 * plane; i++) t.data()[i] = r.nextFloat();
        for (int i = 0; i < plane; i++) t.data()[(3 + r.nextInt(3)) * plane + i] = 1f;
        return t;
    }

    static double maxAbs(Tensor a, Tensor b) {
        assertThat(a.shape()).isEqualTo(b.shape());
        double m = 0;
        for (int i = 0; i < a.data().length; i++) m = Math.max(m, Math.abs(a.data()[i] - b.data()[i]));
        return m;
    }

    private static void everyRoute(CudaSettings settings, int[][] sizes) {
        try (CudaEngine e = new CudaBackend().open(SPEC, WEIGHTS, settings)) {
            for (int[] s : sizes) {
                Tensor x = input(s[0], s[1], s[0] * 31L + s[1]);
                for (Route r : Route.all(NetworkSpec.GROUPS)) {
                    Tensor want = REF.run(x, PathSelector.fixed(COST, r, 66)).alpha();
                    Tensor got = e.run(x, PathSelector.fixed(COST, r, 66));
                    assertThat(maxAbs(got, want)).as("alpha, cuda (%s) vs reference, route %s, %dx%d, tolerance %g",
                            settings, r, s[0], s[1], TOLERANCE).isLessThanOrEqualTo(TOLERANCE);
                }
            }
        }
    }

    @Test
    void everyRouteMatchesTheReferenceAtTwoSizes() {
        everyRoute(CudaSettings.defaults(), new int[][] {{64, 64}, {96, 160}});
    }

    @Test
    void cudnnDepthwiseAndKernelPoolingMatchToo() {
        everyRoute(CudaSettings.defaults().withDepthwiseKernel(false).withPoolingKernel(true).withMeasureAlgorithms(false),
                new int[][] {{96, 160}});
    }

    @Test
    void intermediateTensorsMatchWhenKeptForDiagnostics() {
        Tensor x = input(64, 96, 5);
        Route r = Route.parse("1011");
        var ref = REF.run(x, PathSelector.fixed(COST, r, 60));
        try (CudaEngine e = new CudaBackend().open(SPEC, WEIGHTS, CudaSettings.defaults().withReuseMemory(false))) {
            e.run(x, PathSelector.fixed(COST, r, 60));
            for (var n : SPEC.nodesOn(r)) {
                Tensor want = ref.tensors().get(n.name());
                double scale = 1;
                for (float v : want.data()) scale = Math.max(scale, Math.abs(v));
                assertThat(maxAbs(e.tensor(n.name()), want) / scale).as("node %s (%s), relative to max %g", n.name(), n.op(), scale)
                        .isLessThanOrEqualTo(TOLERANCE);
            }
        }
    }

    @Test
    void budgetRoutingFollowsTheSameDecisionsAsTheReference() {
        Tensor x = input(96, 96, 11);
        try (CudaEngine e = new CudaBackend().open(SPEC, WEIGHTS, CudaSettings.defaults())) {
            double lo = COST.smallest(), hi = COST.largest();
            for (double budget : new double[] {lo + 0.01, lo + (hi - lo) * 0.3, lo + (hi - lo) * 0.7, hi + 1}) {
                PathSelector mine = new PathSelector(COST, budget), theirs = new PathSelector(COST, budget);
                Tensor got = e.run(x, mine);
                var want = REF.run(x, theirs);
                assertThat(mine.route()).as("route at budget %.2f", budget).isEqualTo(want.route());
                assertThat(COST.gmac(mine.route())).isLessThan(budget);
                assertThat(maxAbs(got, want.alpha())).as("alpha at budget %.2f", budget).isLessThanOrEqualTo(TOLERANCE);
            }
        }
    }

    @Test
    void badInputAndUseAfterCloseAreClearErrors() {
        CudaEngine e = new CudaBackend().open(SPEC, WEIGHTS, CudaSettings.defaults());
        PathSelector s = PathSelector.fixed(COST, Route.full(4), 66);
        assertThatThrownBy(() -> e.run(Tensor.zeros(1, 3, 64, 64), s)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 x 6 x H x W");
        assertThatThrownBy(() -> e.run(Tensor.zeros(1, 6, 64, 70), s)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of 32");
        e.close();
        e.close();
        assertThatThrownBy(() -> e.run(input(64, 64, 1), s)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }
}
