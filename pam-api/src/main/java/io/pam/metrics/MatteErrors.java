package io.pam.metrics;

/**
 * The four Composition-1K errors of one predicted matte, in the units of {@link Metrics}.
 *
 * @param sad  sum of absolute differences / 1000
 * @param mse  mean squared error (raw mean; papers print it x 1000)
 * @param grad gradient error / 1000
 * @param conn connectivity error / 1000
 * @param unknownPixels number of unknown trimap pixels the errors were taken over
 */
public record MatteErrors(double sad, double mse, double grad, double conn, long unknownPixels) {
    @Override
    public String toString() {
        return String.format("SAD %.3f  MSE(x1000) %.3f  Grad %.3f  Conn %.3f  (%d unknown px)",
                sad, mse * 1000, grad, conn, unknownPixels);
    }
}
