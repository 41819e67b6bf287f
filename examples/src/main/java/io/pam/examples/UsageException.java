package io.pam.examples;

/** A mistake in the command line or its inputs: printed as one line, exit code 2, no stack trace. */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
