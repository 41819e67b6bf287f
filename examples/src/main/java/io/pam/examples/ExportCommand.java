package io.pam.examples;

import io.pam.Route;
import io.pam.net.CostModel;
import io.pam.net.NetworkSpec;
import io.pam.net.Weights;
import io.pam.onnx.OnnxExporter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * {@code pam export}: writes the network with its weights as an ONNX model for other runtimes,
 * either one fixed path or the whole path-adaptive network (see {@link OnnxExporter}).
 */
final class ExportCommand {
    static final String USAGE = """
            pam export --onnx FILE (--path BITS | --adaptive) [--weights FILE | --untrained]
              --path BITS   one fixed route, group 1 first (1 = compute, 0 = bypass), e.g. 1111 or 1011
              --adaptive    the whole network; the route is chosen in the graph from input 'budget'
            Input 'input': float 1x6xHxW (RGB in [0,1], then trimap one-hot bg/unknown/fg), H and W
            multiples of 32. Output 'alpha': float 1x1xHxW, composed with the trimap. Adaptive models
            also take 'budget' (float [1], GMAC at 1024x1024) and give 'route' (int64 [1], bit g-1 = group g).""";

    int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = Args.parse("export", argv, Set.of("onnx", "path", "weights"), Set.of("adaptive", "untrained"));
        if (a.flag("help")) {
            out.println("usage: " + USAGE);
            return 0;
        }
        Path file = Path.of(a.required("onnx"));
        if (a.has("path") == a.flag("adaptive"))
            throw new UsageException("give exactly one of --path BITS (one fixed route) or --adaptive (the whole network)");
        Route route = null;
        if (a.has("path")) {
            String bits = a.get("path", "");
            if (!bits.matches("[01]{" + NetworkSpec.GROUPS + "}"))
                throw new UsageException("--path must be " + NetworkSpec.GROUPS + " digits 0/1, group 1 first (e.g. 1011); got '" + bits + "'");
            route = Route.parse(bits);
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) throw new UsageException("--onnx " + file + ": no such directory " + parent);
        Weights w = MatterOptions.weights(a, err);
        byte[] model = route != null ? OnnxExporter.fixedPath(w, route) : OnnxExporter.adaptive(w);
        try {
            Files.write(file, model);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        CostModel costs = new CostModel(NetworkSpec.of(w.config()));
        String what = route != null
                ? String.format(Locale.ROOT, "path %s (%.2f GMAC at 1024x1024)", route, costs.gmac(route))
                : String.format(Locale.ROOT, "path-adaptive network (budgets above %.2f GMAC at 1024x1024; above %.2f runs the full path)",
                        costs.smallest(), costs.largest());
        out.printf(Locale.ROOT, "wrote %s: %s, weights %s, %.1f MB, ONNX opset %d%n", file, what,
                MatterOptions.weightsLabel(a), model.length / 1e6, OnnxExporter.OPSET);
        out.println("input 'input' 1x6xHxW (H, W multiples of 32) -> output 'alpha' 1x1xHxW"
                + (route != null ? "" : "; input 'budget' [1] GMAC at 1024x1024, output 'route' [1]"));
        return 0;
    }
}
