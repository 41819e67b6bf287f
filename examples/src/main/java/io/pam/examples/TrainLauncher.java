package io.pam.examples;

import java.io.PrintStream;

/** {@code pam train}: hands the arguments to the trainer of pam-train. */
final class TrainLauncher {
    private TrainLauncher() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        throw new UsageException("'pam train' is not in this build yet: the trainer (pam-train) has not been merged");
    }
}
