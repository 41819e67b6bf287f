package io.pam.cpu;

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
import io.pam.spi.Backend;
import io.pam.spi.Backends;
import io.pam.spi.EngineOptions;
import io.pam.spi.InferenceEngine;
import org.junit.jupiter.api.Test;

class CpuBackendTest {
    static final NetworkSpec TINY = NetworkSpec.of(NetworkConfig.tiny());
    static final Weights W = Weights.randomForTests(TINY, 2);
    static final CostModel COST = new CostModel(TINY);

    @Test
    void isFoundByServiceLoaderAndPreferredOverTheReference() {
        Backend cpu = Backends.all().stream().filter(b -> b.name().equals("cpu")).findFirst().orElseThrow();
        assertThat(cpu).isInstanceOf(CpuBackend.class);
        assertThat(cpu.priority()).isEqualTo(50);
        assertThat(cpu.isAvailable()).as(cpu.unavailableReason()).isTrue();
        assertThat(cpu.unavailableReason()).isEmpty();
        assertThat(Backends.resolve("cpu")).isInstanceOf(CpuBackend.class);
    }

    @Test
    void rejectsBadInputsWithClearMessages() {
        assumeTrue(new CpuBackend().isAvailable());
        try (InferenceEngine e = new CpuBackend().open(TINY, W, EngineOptions.defaults())) {
            PathSelector sel = PathSelector.fixed(COST, Route.full(4), 60);
            assertThatThrownBy(() -> e.run(Tensor.zeros(1, 3, 64, 64), sel))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("6 channels").hasMessageContaining("got 3");
            assertThatThrownBy(() -> e.run(Tensor.zeros(1, 6, 64, 50), sel))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of 32").hasMessageContaining("64x50");
            assertThatThrownBy(() -> e.run(Tensor.zeros(1, 6, 64, 64), null)).isInstanceOf(IllegalArgumentException.class);
        }
        Weights paperWeights = Weights.randomForTests(NetworkSpec.paper(), 1);
        assertThatThrownBy(() -> new CpuBackend().open(TINY, paperWeights, EngineOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weights are for");
    }

    @Test
    void closedEngineRefusesToRunAndCloseIsIdempotent() {
        assumeTrue(new CpuBackend().isAvailable());
        InferenceEngine e = new CpuBackend().open(TINY, W, new EngineOptions(1));
        Tensor x = Inputs.random(1, 32, 32, 1);
        assertThat(e.run(x, PathSelector.fixed(COST, Route.full(4), 60)).shape().toString()).isEqualTo("1x32x32");
        e.close();
        e.close();
        assertThatThrownBy(() -> e.run(x, PathSelector.fixed(COST, Route.full(4), 60)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void timingsNameEverySegmentThatRan() {
        assumeTrue(new CpuBackend().isAvailable());
        try (InferenceEngine e = new CpuBackend().open(TINY, W, EngineOptions.defaults())) {
            e.run(Inputs.random(1, 64, 64, 1), PathSelector.fixed(COST, Route.parse("1010"), 60));
            assertThat(e.lastTimings()).containsKeys("stem0..ps1.logits", "g1-compute", "g2-bypass", "g3-compute", "g4-bypass",
                    "ppm1.pool0..alpha", "copy-out");
            assertThat(e.lastTimings()).doesNotContainKeys("g1-bypass", "g2-compute", "g3-bypass", "g4-compute");
            assertThat(e.lastTimings().values()).allMatch(ns -> ns > 0);
        }
    }

    @Test
    void sizesBeyondTheCacheAreRecompiledAndStillCorrect() {
        assumeTrue(new CpuBackend().isAvailable());
        Tensor a = Inputs.random(1, 64, 64, 3);
        try (InferenceEngine e = new CpuBackend().open(TINY, W, EngineOptions.defaults())) {
            PathSelector s = PathSelector.fixed(COST, Route.full(4), 60);
            Tensor first = e.run(a, s);
            // more sizes than CpuEngine.CACHED_SIZES, so the 64x64 nets are evicted and rebuilt
            for (int side = 96; side <= 64 + 32 * (CpuEngine.CACHED_SIZES + 1); side += 32)
                e.run(Inputs.random(1, side, 64, side), PathSelector.fixed(COST, Route.full(4), 60));
            Tensor again = e.run(a, PathSelector.fixed(COST, Route.full(4), 60));
            assertThat(again.data()).containsExactly(first.data());
        }
    }

    @Test
    void largeInputModeBuildsAndFreesNetsPerCallWithIdenticalResults() {
        assumeTrue(new CpuBackend().isAvailable());
        Tensor x = Inputs.random(1, 96, 64, 12);
        try (CpuEngine cached = new CpuEngine(TINY, W, EngineOptions.defaults());
             CpuEngine perCall = new CpuEngine(TINY, W, EngineOptions.defaults()).cacheMaxPixels(0)) {
            for (String r : new String[] {"1111", "0101"}) {
                Tensor a = cached.run(x, PathSelector.fixed(COST, Route.parse(r), 60));
                Tensor b = perCall.run(x, PathSelector.fixed(COST, Route.parse(r), 60));
                Tensor c = perCall.run(x, PathSelector.fixed(COST, Route.parse(r), 60));
                assertThat(b.data()).as("route %s, nets built per call vs cached", r).containsExactly(a.data());
                assertThat(c.data()).as("route %s, second per-call run", r).containsExactly(a.data());
            }
        }
    }
}
