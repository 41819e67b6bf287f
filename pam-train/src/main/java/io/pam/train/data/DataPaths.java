package io.pam.train.data;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the shared data folder. It lives at {@code ../shared/data} relative to the project root;
 * programs and tests may run in the root or in a module folder, so this walks up from the working
 * directory. The system property {@code pam.data} (a path to the data folder) overrides the search.
 */
public final class DataPaths {
    private DataPaths() {}

    /** The shared data folder, or empty if it cannot be found. */
    public static java.util.Optional<Path> sharedData() {
        String override = System.getProperty("pam.data");
        if (override != null) {
            Path p = Path.of(override);
            return Files.isDirectory(p) ? java.util.Optional.of(p) : java.util.Optional.empty();
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolveSibling("shared").resolve("data");
            if (d.getParent() != null && Files.isDirectory(candidate.resolve("alphamatting-dev"))) return java.util.Optional.of(candidate.normalize());
        }
        return java.util.Optional.empty();
    }

    /** The shared data folder; fails with a message saying where it was looked for. */
    public static Path requireSharedData() {
        return sharedData().orElseThrow(() -> new IllegalStateException(
                "shared data not found: expected ../shared/data (with alphamatting-dev/ and backgrounds/) next to the project root, "
                        + "searched upwards from " + Path.of("").toAbsolutePath() + "; set -Dpam.data=DIR to point at it"));
    }
}
