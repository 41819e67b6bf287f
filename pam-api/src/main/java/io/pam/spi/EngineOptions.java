package io.pam.spi;

/**
 * Options for an engine.
 *
 * @param threads compute threads for CPU backends; 0 = the backend's default (all cores)
 */
public record EngineOptions(int threads) {
    public EngineOptions {
        if (threads < 0) throw new IllegalArgumentException("threads must be >= 0, got " + threads);
    }

    public static EngineOptions defaults() {
        return new EngineOptions(0);
    }
}
