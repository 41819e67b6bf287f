package io.pam.examples;

import java.io.PrintStream;

final class EvalCommand {
    static final String USAGE = "pam eval (not in this build yet)";

    int run(String[] argv, PrintStream out, PrintStream err) {
        throw new UsageException("'pam eval' needs io.pam.metrics, which has not been merged yet");
    }
}
