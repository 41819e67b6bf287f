package io.pam.spi;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/** Discovery and name resolution shared by {@link Backends} and {@link TrainingBackends}. */
final class Providers {
    private Providers() {}

    /** All providers of a kind on the class path, best first. */
    static <T extends Provider> List<T> all(Class<T> type) {
        List<T> list = new ArrayList<>();
        ServiceLoader.load(type, Providers.class.getClassLoader()).forEach(list::add);
        list.sort(Comparator.comparingInt(Provider::priority).reversed());
        return list;
    }

    /**
     * {@code auto} (or blank) takes the highest-priority available provider; a named one must be
     * available, or the error says why (no silent fallback when asked by name).
     *
     * @param kind the words the messages use, e.g. {@code "backend"}
     */
    static <T extends Provider> T resolve(List<T> all, String name, String kind) {
        if (name == null || name.isBlank() || name.equalsIgnoreCase("auto")) {
            StringBuilder why = new StringBuilder();
            for (T p : all) {
                if (p.isAvailable()) return p;
                why.append("\n  ").append(p.name()).append(": ").append(p.unavailableReason());
            }
            throw new BackendUnavailableException("no " + kind + " is available:" + why);
        }
        for (T p : all) {
            if (p.name().equalsIgnoreCase(name)) {
                if (!p.isAvailable())
                    throw new BackendUnavailableException(kind + " '" + p.name() + "' is not available: " + p.unavailableReason());
                return p;
            }
        }
        throw new IllegalArgumentException("unknown " + kind + " '" + name + "'; known: auto, "
                + String.join(", ", all.stream().map(Provider::name).toList()));
    }
}
