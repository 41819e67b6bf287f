package io.pam.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pam.cuda.tools.LeakCheck;
import org.junit.jupiter.api.Test;

/**
 * Hundreds of small inferences keep device, pinned and process memory bounded, and closing the
 * engine gives back everything it allocated ({@link LeakCheck}). Skipped where there is no GPU.
 */
class CudaLeakTest {
    @Test
    void manyRunsKeepMemoryBoundedAndCloseReturnsIt() {
        CudaBackend b = new CudaBackend();
        assumeTrue(b.isAvailable(), () -> "no usable CUDA GPU: " + b.unavailableReason());
        LeakCheck.Result r = LeakCheck.run(b, CudaParityTest.SPEC, CudaParityTest.WEIGHTS, CudaSettings.defaults());
        assertThat(r.problems()).as(r.report()).isEmpty();
        // the measured engine really held memory while open, so "returned" means something
        assertThat(r.late().allocatedDeviceBytes()).isGreaterThan(r.opened().allocatedDeviceBytes());
        assertThat(r.late().pinnedHostBytes()).isGreaterThan(r.opened().pinnedHostBytes());
    }
}
