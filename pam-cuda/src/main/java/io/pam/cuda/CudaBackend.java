package io.pam.cuda;

import io.pam.net.NetworkSpec;
import io.pam.net.Weights;
import io.pam.spi.Backend;
import io.pam.spi.BackendUnavailableException;
import io.pam.spi.EngineOptions;

/**
 * The GPU backend: cuDNN 9 (and NVRTC for a few kernels) through Java's FFM API, found on the
 * machine at run time (see {@code docs/cuda.md} for where it looks). Constructing it loads
 * nothing; {@link #isAvailable()} probes once per process and never throws.
 */
public final class CudaBackend extends CudaProvider implements Backend {
    /** Opens an engine with settings from the {@code pam.cuda.*} system properties. */
    @Override
    public CudaEngine open(NetworkSpec spec, Weights weights, EngineOptions options) {
        return open(spec, weights, CudaSettings.fromSystemProperties());
    }

    /**
     * Compiles the network for the GPU with explicit settings.
     *
     * @throws BackendUnavailableException when there is no usable GPU or library (the message
     *                                     says what was tried)
     */
    public CudaEngine open(NetworkSpec spec, Weights weights, CudaSettings settings) {
        String why = unavailableReason();
        if (!why.isEmpty()) throw new BackendUnavailableException("CUDA backend is not available: " + why);
        return new CudaEngine(spec, weights, settings);
    }
}
