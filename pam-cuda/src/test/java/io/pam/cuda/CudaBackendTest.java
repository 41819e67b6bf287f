package io.pam.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.Weights;
import io.pam.spi.Backend;
import io.pam.spi.BackendUnavailableException;
import io.pam.spi.Backends;
import io.pam.spi.EngineOptions;
import org.junit.jupiter.api.Test;

/** The service-provider contract; runs with and without a GPU. */
class CudaBackendTest {
    @Test
    void isDiscoveredAsTheHighestPriorityBackend() {
        Backend cuda = Backends.all().stream().filter(b -> b.name().equals("cuda")).findFirst().orElseThrow();
        assertThat(cuda).isInstanceOf(CudaBackend.class);
        assertThat(cuda.priority()).isEqualTo(100);
        assertThat(Backends.all().getFirst().name()).isEqualTo("cuda");
    }

    @Test
    void probeNeverThrowsAndExplainsItself() {
        CudaBackend b = new CudaBackend();
        boolean available = b.isAvailable();
        assertThat(b.isAvailable()).isEqualTo(available);
        if (available) {
            assertThat(b.unavailableReason()).isEmpty();
        } else {
            assertThat(b.unavailableReason()).isNotBlank();
            NetworkSpec spec = NetworkSpec.of(NetworkConfig.tiny());
            Weights w = Weights.init(spec, 1);
            assertThatThrownBy(() -> b.open(spec, w, EngineOptions.defaults()))
                    .isInstanceOf(BackendUnavailableException.class)
                    .hasMessageContaining(b.unavailableReason());
        }
    }

    @Test
    void settingsRejectUnknownValuesByName() {
        String old = System.getProperty("pam.cuda.math");
        System.setProperty("pam.cuda.math", "fp16");
        try {
            assertThatThrownBy(CudaSettings::fromSystemProperties).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("pam.cuda.math=fp16").hasMessageContaining("fp32, tf32");
        } finally {
            if (old == null) System.clearProperty("pam.cuda.math");
            else System.setProperty("pam.cuda.math", old);
        }
        assertThat(CudaSettings.fromSystemProperties()).isEqualTo(CudaSettings.defaults());
    }

    @Test
    void fp32IsTheDefaultAndTf32IsAnExplicitOptIn() {
        assertThat(CudaSettings.defaults().math()).isEqualTo(CudaSettings.MathMode.FP32);
        String old = System.getProperty("pam.cuda.math");
        System.setProperty("pam.cuda.math", " TF32 ");
        try {
            assertThat(CudaSettings.fromSystemProperties()).isEqualTo(CudaSettings.defaults().withMath(CudaSettings.MathMode.TF32));
        } finally {
            if (old == null) System.clearProperty("pam.cuda.math");
            else System.setProperty("pam.cuda.math", old);
        }
    }
}
