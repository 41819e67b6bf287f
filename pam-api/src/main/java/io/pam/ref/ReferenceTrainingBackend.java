package io.pam.ref;

import io.pam.spi.TrainingBackend;

/** The plain-Java training kernels as a provider: always available, lowest priority. */
public final class ReferenceTrainingBackend implements TrainingBackend {
    public String name() {
        return "reference";
    }

    public int priority() {
        return 0;
    }

    public boolean isAvailable() {
        return true;
    }

    public String unavailableReason() {
        return "";
    }

    public RefTrainingOps open(int threads) {
        return new RefTrainingOps();
    }
}
