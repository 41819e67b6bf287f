package io.pam.cuda;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Native destructors run once, newest first, on {@link #close()} (cudnnDestroy*, cudaFree, ...):
 * whatever was created after a resource, and may depend on it, goes before it. A failing
 * destructor does not stop the others; the first failure is thrown at the end.
 */
final class Disposer implements AutoCloseable {
    private final Deque<Runnable> stack = new ArrayDeque<>();

    /** Registers the destructor of a handle just created; returns the handle. */
    long add(long handle, java.util.function.LongConsumer destroy) {
        stack.push(() -> destroy.accept(handle));
        return handle;
    }

    void add(Runnable destroy) {
        stack.push(destroy);
    }

    @Override
    public void close() {
        RuntimeException first = null;
        while (!stack.isEmpty()) {
            try {
                stack.pop().run();
            } catch (RuntimeException e) {
                if (first == null) first = e;
                else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }

    /**
     * For a constructor that failed part-way: runs the owner's {@code close} (freeing what was
     * created so far), records a failure of that as suppressed, and returns the original failure
     * for the caller to throw.
     */
    static RuntimeException closeAfterFailure(RuntimeException failure, Runnable close) {
        try {
            close.run();
        } catch (RuntimeException suppressed) {
            failure.addSuppressed(suppressed);
        }
        return failure;
    }
}
