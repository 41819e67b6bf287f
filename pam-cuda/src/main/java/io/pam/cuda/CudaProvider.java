package io.pam.cuda;

import io.pam.spi.Provider;

/**
 * What the inference and the training provider of this module share: the name {@code cuda},
 * their rank above the CPU ones, and one process-wide probe of the GPU and its libraries
 * ({@link CudaProbe}), so {@code auto} picks CUDA for both or for neither.
 */
abstract class CudaProvider implements Provider {
    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public boolean isAvailable() {
        return CudaProbe.unavailableReason().isEmpty();
    }

    @Override
    public String unavailableReason() {
        return CudaProbe.unavailableReason();
    }
}
