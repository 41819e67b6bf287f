package io.pam.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pam.Route;
import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.ref.RefTrainingOps;
import io.pam.spi.TrainingBackend;
import io.pam.spi.TrainingBackends;
import io.pam.spi.TrainingOps;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole-network gradients of a fast backend against the double-precision reference, with the
 * criterion of {@link TrainingCheck} (most tensors within 1e-3, all within 0.1; alpha and logits
 * within 1e-4). The CPU kernels run everywhere; the CUDA backend is tested when it is on the
 * class path and a GPU is present (on the GPU machine the same comparison runs in TrainingCheck).
 */
class BackendGradientParityTest {
    @ParameterizedTest
    @ValueSource(strings = {"cpu", "cuda"})
    void wholeNetworkGradientsMatchTheReference(String backend) {
        TrainingBackend b = TrainingBackends.all().stream().filter(p -> p.name().equals(backend)).findFirst().orElse(null);
        assumeTrue(b != null && b.isAvailable(), () -> backend + " training backend not available here");
        NetworkSpec tiny = NetworkSpec.of(NetworkConfig.tiny());
        try (TrainingOps<?, ?> ops = b.open(2); RefTrainingOps ref = new RefTrainingOps()) {
            for (String r : new String[] {"1111", "0000", "1100", "0110"}) {
                TrainingCheck.Compared c = TrainingCheck.compareGradients(ops, ref, tiny, Route.parse(r), 4, 128, 128);
                assertThat(c.passes()).as(c.line(backend + " tiny " + r)).isTrue();
                assertThat(c.tensors()).isGreaterThan(180);
            }
        }
    }
}
