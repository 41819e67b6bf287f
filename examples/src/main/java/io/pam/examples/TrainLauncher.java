package io.pam.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;

/** {@code pam train}: hands the arguments to the trainer of pam-train ({@link io.pam.train.TrainCommand}). */
final class TrainLauncher {
    private TrainLauncher() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            return new io.pam.train.TrainCommand(out).run(args);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
