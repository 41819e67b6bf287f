package io.pam.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The images of one directory (not recursive), by base name: {@code GT01.png} is {@code GT01}.
 * Matching across directories is by base name, so an image and its trimap may differ in format.
 */
final class ImageDir {
    static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif");

    private ImageDir() {}

    static String baseName(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 ? n.substring(0, dot) : n;
    }

    static boolean isImage(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT)) && Files.isRegularFile(file);
    }

    /** Base name to file, sorted by name; two files with one base name are an error. */
    static SortedMap<String, Path> list(Path dir, String what) {
        if (!Files.isDirectory(dir)) throw new UsageException(what + " " + dir + " is not a directory");
        SortedMap<String, Path> byName = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.sorted().toList()) {
                if (!isImage(p)) continue;
                Path old = byName.put(baseName(p), p);
                if (old != null)
                    throw new UsageException(what + " " + dir + " holds two images named " + baseName(p) + ": "
                            + old.getFileName() + " and " + p.getFileName() + "; keep one");
            }
        } catch (IOException e) {
            throw new UsageException("cannot list " + what + " " + dir + ": " + e.getMessage());
        }
        if (byName.isEmpty())
            throw new UsageException(what + " " + dir + " holds no images (looked for " + String.join(", ", new java.util.TreeSet<>(EXTENSIONS)) + ")");
        return byName;
    }

    /** Names in {@code a} missing from {@code b}, sorted. */
    static List<String> missing(SortedMap<String, Path> a, SortedMap<String, Path> b) {
        List<String> out = new ArrayList<>();
        for (String n : a.keySet()) if (!b.containsKey(n)) out.add(n);
        return out;
    }

    /** {@code "a, b, c"} or the first few and a count. */
    static String names(List<String> names) {
        int show = 8;
        if (names.size() <= show) return String.join(", ", names);
        return String.join(", ", names.subList(0, show)) + " and " + (names.size() - show) + " more";
    }
}
