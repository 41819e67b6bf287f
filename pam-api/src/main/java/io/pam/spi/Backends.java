package io.pam.spi;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/** Finds backends on the class path and resolves a name ({@code auto}, {@code cpu}, ...) to one. */
public final class Backends {
    private Backends() {}

    /** All backends found, best first. */
    public static List<Backend> all() {
        List<Backend> list = new ArrayList<>();
        ServiceLoader.load(Backend.class, Backends.class.getClassLoader()).forEach(list::add);
        list.sort(Comparator.comparingInt(Backend::priority).reversed());
        return list;
    }

    /**
     * Resolves a backend by name. {@code auto} takes the highest-priority available one; a named
     * backend that is unavailable is an error that says why (no silent fallback when asked by name).
     */
    public static Backend resolve(String name) {
        List<Backend> all = all();
        if (name == null || name.isBlank() || name.equalsIgnoreCase("auto")) {
            StringBuilder why = new StringBuilder();
            for (Backend b : all) {
                if (b.isAvailable()) return b;
                why.append("\n  ").append(b.name()).append(": ").append(b.unavailableReason());
            }
            throw new BackendUnavailableException("no backend is available:" + why);
        }
        for (Backend b : all) {
            if (b.name().equalsIgnoreCase(name)) {
                if (!b.isAvailable()) throw new BackendUnavailableException("backend '" + b.name() + "' is not available: " + b.unavailableReason());
                return b;
            }
        }
        throw new IllegalArgumentException("unknown backend '" + name + "'; known: auto, "
                + String.join(", ", all.stream().map(Backend::name).toList()));
    }
}
