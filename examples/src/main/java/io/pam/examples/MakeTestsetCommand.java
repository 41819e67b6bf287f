package io.pam.examples;

import io.pam.train.data.TestSetMaker;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/** {@code pam make-testset}: composites a test set for {@code pam eval} with pam-train's {@link TestSetMaker}. */
final class MakeTestsetCommand {
    static final String USAGE = """
            pam make-testset --foregrounds DIR --backgrounds DIR --out DIR [--per-image K (4)] [--seed S (1)] [--images GT01,GT02]
              --foregrounds  a folder with image/ and alpha/ (e.g. ../shared/data/alphamatting-dev)
              --backgrounds  a folder of background photos (e.g. ../shared/data/backgrounds)
              writes OUT/images, OUT/trimaps, OUT/alphas for:
              pam eval --images OUT/images --trimaps OUT/trimaps --alphas OUT/alphas
              (research-only photographs: do not commit or redistribute the output)""";

    private MakeTestsetCommand() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        String[] rest = Arrays.stream(args).filter(s -> !s.equals("--verbose")).toArray(String[]::new);
        try {
            int n = TestSetMaker.run(rest, out);
            out.println("wrote " + n + " composites");
            return 0;
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }
}
