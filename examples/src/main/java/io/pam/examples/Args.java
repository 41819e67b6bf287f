package io.pam.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Parsed {@code --name value} / {@code --name=value} options and {@code --flag}s of one command.
 * Anything not declared is an error that lists what the command accepts.
 */
final class Args {
    private final String command;
    private final Map<String, String> values = new LinkedHashMap<>();
    private final Set<String> flags = new TreeSet<>();

    private Args(String command) {
        this.command = command;
    }

    /**
     * @param options names (without {@code --}) that take a value
     * @param flagNames names that take none; {@code verbose} and {@code help} are always accepted
     */
    static Args parse(String command, String[] argv, Set<String> options, Set<String> flagNames) {
        Args a = new Args(command);
        for (int i = 0; i < argv.length; i++) {
            String s = argv[i];
            if (!s.startsWith("--") || s.length() == 2)
                throw new UsageException("unexpected argument '" + s + "'; options start with --. " + a.accepted(options, flagNames));
            String name = s.substring(2), value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (options.contains(name)) {
                if (value == null) {
                    if (i + 1 >= argv.length || argv[i + 1].startsWith("--"))
                        throw new UsageException("option --" + name + " needs a value");
                    value = argv[++i];
                }
                if (a.values.put(name, value) != null) throw new UsageException("option --" + name + " given twice");
            } else if (flagNames.contains(name) || name.equals("verbose") || name.equals("help")) {
                if (value != null) throw new UsageException("--" + name + " takes no value");
                a.flags.add(name);
            } else {
                throw new UsageException("unknown option --" + name + " for 'pam " + command + "'. " + a.accepted(options, flagNames));
            }
        }
        return a;
    }

    private String accepted(Set<String> options, Set<String> flagNames) {
        List<String> all = new ArrayList<>();
        new TreeSet<>(options).forEach(o -> all.add("--" + o + " VALUE"));
        new TreeSet<>(flagNames).forEach(f -> all.add("--" + f));
        return "Accepted: " + String.join(", ", all);
    }

    boolean has(String name) {
        return values.containsKey(name) || flags.contains(name);
    }

    boolean flag(String name) {
        return flags.contains(name);
    }

    String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    String required(String name) {
        String v = values.get(name);
        if (v == null) throw new UsageException("'pam " + command + "' needs --" + name);
        return v;
    }

    Path path(String name) {
        String v = values.get(name);
        return v == null ? null : Path.of(v);
    }

    /** A path that must exist (file or directory). */
    Path existing(String name) {
        Path p = Path.of(required(name));
        if (!Files.exists(p)) throw new UsageException("--" + name + " " + p + ": no such file or directory");
        return p;
    }

    int intValue(String name, int fallback, int min) {
        String v = values.get(name);
        if (v == null) return fallback;
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min) throw new UsageException("--" + name + " must be >= " + min + "; got " + n);
            return n;
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be an integer; got '" + v + "'");
        }
    }
}
