package io.pam.train.data;

/**
 * An endless, seeded stream of training batches. Implementations prepare batches in parallel
 * with the caller's compute; the same seed gives the same sequence of batches.
 */
public interface BatchSource extends AutoCloseable {
    /** The next batch; blocks until one is ready. */
    Batch next();

    @Override
    void close();
}
