package io.pam.spi;

import java.util.List;

/** Finds backends on the class path and resolves a name ({@code auto}, {@code cpu}, ...) to one. */
public final class Backends {
    private Backends() {}

    /** All backends found, best first. */
    public static List<Backend> all() {
        return Providers.all(Backend.class);
    }

    /**
     * Resolves a backend by name. {@code auto} takes the highest-priority available one; a named
     * backend that is unavailable is an error that says why (no silent fallback when asked by name).
     */
    public static Backend resolve(String name) {
        return Providers.resolve(all(), name, "backend");
    }
}
