package io.pam.spi;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/** Finds training backends on the class path; resolves {@code auto} or a name to one. */
public final class TrainingBackends {
    private TrainingBackends() {}

    /** All training backends found, best first. */
    public static List<TrainingBackend> all() {
        List<TrainingBackend> list = new ArrayList<>();
        ServiceLoader.load(TrainingBackend.class, TrainingBackends.class.getClassLoader()).forEach(list::add);
        list.sort(Comparator.comparingInt(TrainingBackend::priority).reversed());
        return list;
    }

    /**
     * {@code auto} (or null) takes the best available backend; a name must be available, or the
     * error says why.
     */
    public static TrainingBackend resolve(String name) {
        List<TrainingBackend> all = all();
        if (name == null || name.isBlank() || name.equalsIgnoreCase("auto")) {
            StringBuilder why = new StringBuilder();
            for (TrainingBackend b : all) {
                if (b.isAvailable()) return b;
                why.append("\n  ").append(b.name()).append(": ").append(b.unavailableReason());
            }
            throw new BackendUnavailableException("no training backend is available:" + why);
        }
        for (TrainingBackend b : all) {
            if (b.name().equalsIgnoreCase(name)) {
                if (!b.isAvailable())
                    throw new BackendUnavailableException("training backend '" + b.name() + "' is not available: " + b.unavailableReason());
                return b;
            }
        }
        throw new IllegalArgumentException("unknown training backend '" + name + "'; known: auto, "
                + String.join(", ", all.stream().map(TrainingBackend::name).toList()));
    }
}
