package io.pam.examples;

import io.pam.train.TrainCommand;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/** {@code pam train}: hands the arguments to pam-train's {@link TrainCommand} (see {@code pam train --help}). */
final class TrainLauncher {
    private TrainLauncher() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        String[] rest = Arrays.stream(args).filter(s -> !s.equals("--verbose")).toArray(String[]::new);
        try {
            return new TrainCommand(out).run(rest);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }
}
