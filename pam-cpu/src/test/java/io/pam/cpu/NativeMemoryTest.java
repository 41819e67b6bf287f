package io.pam.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pam.Route;
import io.pam.net.CostModel;
import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.PathSelector;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import io.pam.spi.EngineOptions;
import io.pam.spi.InferenceEngine;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;

/** Many small inferences must not grow native memory: every per-call Mat and vector is freed. */
class NativeMemoryTest {
    @Test
    void thousandsOfCallsKeepNativeMemoryBounded() {
        assumeTrue(new CpuBackend().isAvailable());
        NetworkSpec spec = NetworkSpec.of(NetworkConfig.tiny());
        Weights w = Weights.randomForTests(spec, 5);
        CostModel cost = new CostModel(spec);
        // 64x96: the input Mat alone is 147 KB, so leaking it per call would add ~150 MB below
        Tensor x = Inputs.random(1, 64, 96, 9);
        Route[] routes = Route.all(4);
        try (InferenceEngine e = new CpuBackend().open(spec, w, EngineOptions.defaults())) {
            for (int i = 0; i < 100; i++) e.run(x, PathSelector.fixed(cost, routes[i % 16], 60));
            System.gc();
            long tracked0 = Pointer.totalBytes(), rss0 = Pointer.physicalBytes();
            int calls = 1000;
            for (int i = 0; i < calls; i++) e.run(x, PathSelector.fixed(cost, routes[i % 16], 60));
            long tracked1 = Pointer.totalBytes(), rss1 = Pointer.physicalBytes();
            assertThat(tracked1 - tracked0).as("JavaCPP-tracked native bytes after %d calls", calls).isLessThanOrEqualTo(64 * 1024);
            assertThat(rss1 - rss0).as("resident memory growth over %d calls (RSS %d -> %d MB)", calls, rss0 >> 20, rss1 >> 20)
                    .isLessThan(32L << 20);
        }
    }
}
