package io.pam.examples;

import java.io.PrintStream;

/** {@code pam make-testset}: composites a test set with pam-train's test-set maker. */
final class MakeTestsetCommand {
    static final String USAGE = "pam make-testset (not in this build yet)";

    private MakeTestsetCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        throw new UsageException("'pam make-testset' is not in this build yet: the test-set maker (pam-train) has not been merged");
    }
}
