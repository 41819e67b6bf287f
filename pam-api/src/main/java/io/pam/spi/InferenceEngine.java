package io.pam.spi;

import io.pam.net.PathSelector;
import io.pam.net.Tensor;

/**
 * A network compiled by one backend. Not thread-safe: callers use one engine per thread (or a
 * pool). Closing frees every native resource the engine holds; using it afterwards throws.
 */
public interface InferenceEngine extends AutoCloseable {
    /**
     * Runs the network on an aligned input ({@code 1 x 6 x H x W}, H and W multiples of 32),
     * deciding each group with {@code selector} as the selection layers produce their logits.
     *
     * @return the final alpha {@code 1 x 1 x H x W}, composed with the trimap
     */
    Tensor run(Tensor input, PathSelector selector);

    /** Per-segment time of the last run, in nanoseconds, by segment name (for benchmarks). */
    default java.util.Map<String, Long> lastTimings() {
        return java.util.Map.of();
    }

    @Override
    void close();
}
