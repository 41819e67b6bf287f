package io.pam.spi;

/**
 * A provider of training kernels, discovered with {@link java.util.ServiceLoader} (so pam-train
 * needs no compile-time dependency on a backend). Construction must be cheap; native code loads
 * in {@link #isAvailable()} or {@link #open}.
 */
public interface TrainingBackend extends Provider {
    /**
     * Opens the kernels.
     *
     * @param threads worker threads the kernels may use (>= 1)
     */
    TrainingOps<?, ?> open(int threads);
}
