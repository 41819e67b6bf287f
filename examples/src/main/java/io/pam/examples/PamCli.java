package io.pam.examples;

import io.pam.InvalidInputException;
import io.pam.spi.BackendUnavailableException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * The {@code pam} command line: {@code info}, {@code matte}, {@code eval}, {@code make-testset},
 * {@code train}, {@code sample}, {@code export}.
 *
 * <p>Exit codes: 0 success; 1 a run that failed part-way (some images failed, an I/O or internal
 * error); 2 a usage or input error, printed as one line (with {@code --verbose}, the stack trace too).
 */
public final class PamCli {
    static final String USAGE = """
            usage: pam COMMAND [OPTIONS]   (pam COMMAND --help for its options)

            commands:
              info          the network, its 16 paths and their cost, the named budgets, the backends
              matte         alpha mattes for an image or a directory of images under a compute budget
              eval          SAD/MSE/Grad/Conn and time per budget against ground truth; report, chart, contact sheet
              make-testset  composite a test set (images, trimaps, alphas) from foregrounds and backgrounds
              train         train the network (see pam train --help)
              sample        draw the bundled synthetic sample (image, trimap, ground-truth alpha)
              export        write the network with its weights as an ONNX model (one path or path-adaptive)

            Budgets (--flops) are GMAC at 1024x1024 (a path fits when its cost is below the budget),
            or mild (< 75), moderate (< 70), aggressive (< 60).""";

    /** Held so the level set on it is not lost to garbage collection. */
    private static final java.util.logging.Logger LIBRARY_LOG = java.util.logging.Logger.getLogger("io.pam");

    private PamCli() {}

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }

    /** Runs one command; never calls {@code System.exit}, so tests can call it. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            (args.length == 0 ? err : out).println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String cmd = args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        boolean verbose = Arrays.asList(rest).contains("--verbose");
        // the library logs its backend choice at INFO; the CLI prints what matters itself
        LIBRARY_LOG.setLevel(verbose ? java.util.logging.Level.INFO : java.util.logging.Level.WARNING);
        if (Arrays.asList(rest).contains("--help") && !cmd.equals("train")) {
            String usage = usage(cmd);
            if (usage != null) {
                out.println("usage: " + usage);
                return 0;
            }
        }
        try {
            return switch (cmd) {
                case "info" -> new InfoCommand().run(rest, out, err);
                case "matte" -> new MatteCommand().run(rest, out, err);
                case "eval" -> new EvalCommand().run(rest, out, err);
                case "make-testset" -> MakeTestsetCommand.run(rest, out, err);
                case "train" -> TrainLauncher.run(rest, out, err);
                case "sample" -> SampleMaker.run(rest, out, err);
                case "export" -> new ExportCommand().run(rest, out, err);
                default -> throw new UsageException("unknown command '" + cmd + "'; commands: info, matte, eval, make-testset, train, sample, export");
            };
        } catch (UsageException | InvalidInputException | BackendUnavailableException e) {
            err.println("pam " + cmd + ": " + e.getMessage());
            if (verbose) e.printStackTrace(err);
            return 2;
        } catch (UncheckedIOException e) {
            err.println("pam " + cmd + ": " + e.getMessage());
            if (verbose) e.printStackTrace(err);
            return 1;
        } catch (RuntimeException | OutOfMemoryError e) {
            err.println("pam " + cmd + ": internal error: " + e + (verbose ? "" : " (run with --verbose for the stack trace)"));
            if (verbose) e.printStackTrace(err);
            return 1;
        }
    }

    private static String usage(String cmd) {
        return switch (cmd) {
            case "info" -> InfoCommand.USAGE;
            case "matte" -> MatteCommand.USAGE;
            case "eval" -> EvalCommand.USAGE;
            case "make-testset" -> MakeTestsetCommand.USAGE;
            case "sample" -> SampleMaker.USAGE;
            case "export" -> ExportCommand.USAGE;
            default -> null;
        };
    }
}
