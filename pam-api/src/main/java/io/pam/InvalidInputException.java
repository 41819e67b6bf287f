package io.pam;

/** The image, trimap or budget given to {@link Matter} is not acceptable; the message says what is allowed. */
public class InvalidInputException extends IllegalArgumentException {
    public InvalidInputException(String message) {
        super(message);
    }
}
