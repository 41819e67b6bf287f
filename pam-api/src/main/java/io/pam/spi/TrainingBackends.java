package io.pam.spi;

import java.util.List;

/** Finds training backends on the class path; resolves {@code auto} or a name to one. */
public final class TrainingBackends {
    private TrainingBackends() {}

    /** All training backends found, best first. */
    public static List<TrainingBackend> all() {
        return Providers.all(TrainingBackend.class);
    }

    /**
     * {@code auto} (or null) takes the best available backend; a name must be available, or the
     * error says why.
     */
    public static TrainingBackend resolve(String name) {
        return Providers.resolve(all(), name, "training backend");
    }
}
