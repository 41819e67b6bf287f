package io.pam.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pam.spi.BackendUnavailableException;
import io.pam.spi.TrainingBackend;
import io.pam.spi.TrainingBackends;
import io.pam.spi.TrainingOps;
import org.junit.jupiter.api.Test;

/** The training provider's contract; runs with and without a GPU. */
class CudaTrainingBackendTest {
    @Test
    void isDiscoveredAndRankedAboveTheHostBackends() {
        TrainingBackend cuda = TrainingBackends.all().stream().filter(b -> b.name().equals("cuda")).findFirst().orElseThrow();
        assertThat(cuda).isInstanceOf(CudaTrainingBackend.class);
        // the CPU training backend ranks 50, the reference 0
        assertThat(cuda.priority()).isGreaterThan(50);
        assertThat(TrainingBackends.all().getFirst().name()).isEqualTo("cuda");
    }

    @Test
    void probeNeverThrowsAndExplainsItselfWhenUnavailable() {
        CudaTrainingBackend b = new CudaTrainingBackend();
        boolean available = b.isAvailable();
        assertThat(b.isAvailable()).isEqualTo(available);
        if (available) {
            assertThat(b.unavailableReason()).isEmpty();
            assertThat(TrainingBackends.resolve("cuda")).isInstanceOf(CudaTrainingBackend.class);
            assertThat(TrainingBackends.resolve("auto").name()).isEqualTo("cuda");
            try (TrainingOps<?, ?> ops = b.open(1)) {
                assertThat(ops.name()).isEqualTo("cuda");
            }
        } else {
            String why = b.unavailableReason();
            assertThat(why).isNotBlank();
            // says what was tried: a library that is missing, or the device query that failed
            assertThat(why).containsAnyOf("lib", "GPU", "cuda", "CUDA", "driver");
            assertThatThrownBy(() -> TrainingBackends.resolve("cuda")).isInstanceOf(BackendUnavailableException.class)
                    .hasMessageContaining(why);
            assertThatThrownBy(() -> b.open(1)).isInstanceOf(BackendUnavailableException.class).hasMessageContaining(why);
            // auto falls back to a host backend
            assertThat(TrainingBackends.resolve("auto").name()).isNotEqualTo("cuda");
        }
    }
}
