package io.pam.spi;

/**
 * What inference and training backends share: a name, a rank, and a capability probe. Found with
 * {@link java.util.ServiceLoader}; construction is cheap and loads no native code.
 */
public interface Provider {
    /** Short name used by options and reports: {@code cpu}, {@code cuda}, {@code reference}. */
    String name();

    /** Higher is preferred by {@code auto}. */
    int priority();

    /** A capability probe: loads what it needs, never throws, caches the answer. */
    boolean isAvailable();

    /** Why the provider is unavailable (what was tried), or an empty string when it is available. */
    String unavailableReason();
}
