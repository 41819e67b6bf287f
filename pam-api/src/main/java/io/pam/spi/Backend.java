package io.pam.spi;

import io.pam.net.NetworkSpec;
import io.pam.net.Weights;

/**
 * A compute backend, discovered with {@link java.util.ServiceLoader}. Implementations must be
 * cheap to construct: no native library is loaded before {@link #isAvailable()} or
 * {@link #open}. {@code auto} picks the available backend with the highest {@link #priority()}.
 */
public interface Backend extends Provider {
    /**
     * Compiles the network for this backend. The engine owns every native resource it makes.
     *
     * @throws BackendUnavailableException when the backend cannot run here
     */
    InferenceEngine open(NetworkSpec spec, Weights weights, EngineOptions options);
}
