package io.pam.spi;

/**
 * A provider of training kernels, discovered with {@link java.util.ServiceLoader} (so pam-train
 * needs no compile-time dependency on a backend). Construction must be cheap; native code loads
 * in {@link #isAvailable()} or {@link #open}.
 */
public interface TrainingBackend {
    /** Short name: {@code reference}, {@code cpu}, {@code cuda}. */
    String name();

    /** Higher is preferred by {@code auto}. */
    int priority();

    /** A capability probe: never throws, caches the answer. */
    boolean isAvailable();

    /** Why the backend is unavailable, or an empty string. */
    String unavailableReason();

    /**
     * Opens the kernels.
     *
     * @param threads worker threads the kernels may use (>= 1)
     */
    TrainingOps open(int threads);
}
