package io.pam.ref;

import io.pam.net.NetworkSpec;
import io.pam.net.PathSelector;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import io.pam.spi.Backend;
import io.pam.spi.EngineOptions;
import io.pam.spi.InferenceEngine;

/**
 * The plain-Java reference as a backend: always available, very slow (about 1 GMAC/s), the last
 * fallback of {@code auto} and the oracle in tests.
 */
public final class ReferenceBackend implements Backend {
    @Override
    public String name() {
        return "reference";
    }

    @Override
    public int priority() {
        return 0;
    }

    @Override
    public boolean isAvailable() {
        return true;
    }

    @Override
    public String unavailableReason() {
        return "";
    }

    @Override
    public InferenceEngine open(NetworkSpec spec, Weights weights, EngineOptions options) {
        ReferenceExecutor exec = new ReferenceExecutor(spec, weights);
        return new InferenceEngine() {
            private volatile boolean closed;

            @Override
            public Tensor run(Tensor input, PathSelector selector) {
                if (closed) throw new IllegalStateException("engine is closed");
                return exec.run(input, selector).alpha();
            }

            @Override
            public void close() {
                closed = true;
            }
        };
    }
}
