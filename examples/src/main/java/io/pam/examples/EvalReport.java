package io.pam.examples;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pam.examples.EvalCommand.BudgetScores;
import io.pam.examples.EvalCommand.Score;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes {@code report.json} and {@code report.md} of {@code pam eval}. Fixed formatting
 * (Locale.ROOT, fixed decimals, rows sorted by name) so two runs differ only in the timings.
 */
final class EvalReport {
    private EvalReport() {}

    static void write(Path dir, Map<String, String> about, List<BudgetScores> results) {
        MatteCommand.writeText(dir.resolve("report.json"), json(about, results));
        MatteCommand.writeText(dir.resolve("report.md"), markdown(about, results));
    }

    static String json(Map<String, String> about, List<BudgetScores> results) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        about.forEach(root::put);
        root.put("budgetUnit", "GMAC at 1024x1024");
        root.put("metrics", "Composition-1K over the trimap's unknown pixels on the 8-bit alpha: SAD/1000, MSE (raw mean), Grad/1000, Conn/1000");
        root.put("timing", "ms of one Matter.infer call (validation, padding, network, cropping), after one untimed warm-up call");
        ArrayNode budgets = root.putArray("budgets");
        for (BudgetScores b : results) {
            ObjectNode o = budgets.addObject();
            o.put("budget", b.label()).put("gmac", b.gmac());
            ObjectNode mean = o.putObject("mean");
            mean.put("sad", r6(b.mean(s -> s.errors().sad()))).put("mse", r6(b.mean(s -> s.errors().mse())))
                    .put("grad", r6(b.mean(s -> s.errors().grad()))).put("conn", r6(b.mean(s -> s.errors().conn())))
                    .put("gmacAt1024", r6(b.mean(Score::gmacAt1024))).put("gmacActual", r6(b.mean(Score::gmacActual)))
                    .put("ms", Json.round(b.mean(Score::ms), 1));
            ObjectNode routes = o.putObject("routes");
            b.routes().forEach(routes::put);
            ArrayNode images = o.putArray("images");
            for (Score s : b.scores()) {
                images.addObject().put("name", s.name()).put("route", s.route()).put("gmacAt1024", r6(s.gmacAt1024()))
                        .put("gmacActual", r6(s.gmacActual())).put("sad", r6(s.errors().sad())).put("mse", r6(s.errors().mse()))
                        .put("grad", r6(s.errors().grad())).put("conn", r6(s.errors().conn()))
                        .put("unknownPixels", s.errors().unknownPixels()).put("ms", Json.round(s.ms(), 1));
            }
        }
        return Json.pretty(root) + "\n";
    }

    private static double r6(double v) {
        return Json.round(v, 6);
    }

    static String markdown(Map<String, String> about, List<BudgetScores> results) {
        StringBuilder md = new StringBuilder("# PAM evaluation\n\n");
        about.forEach((k, v) -> md.append("- ").append(k).append(": `").append(v).append("`\n"));
        md.append("""
                - errors over the trimap's unknown pixels of the 8-bit alpha (Composition-1K): SAD and Grad and Conn divided by 1000, MSE multiplied by 1000
                - budgets and costs in GMAC at 1024x1024; ms: one inference call after a warm-up (noisy)

                ## Means per budget

                | budget | GMAC@1024 (mean) | SAD | MSE x1000 | Grad | Conn | ms | routes |
                |---|---:|---:|---:|---:|---:|---:|---|
                """);
        for (BudgetScores b : results) {
            md.append(String.format(Locale.ROOT, "| %s | %.2f | %.3f | %.3f | %.3f | %.3f | %.1f | %s |%n", b.label(), b.mean(Score::gmacAt1024),
                    b.mean(s -> s.errors().sad()), 1000 * b.mean(s -> s.errors().mse()), b.mean(s -> s.errors().grad()),
                    b.mean(s -> s.errors().conn()), b.mean(Score::ms), routes(b)));
        }
        for (BudgetScores b : results) {
            md.append(String.format(Locale.ROOT, "%n## Budget %s (< %.2f GMAC)%n%n", b.label(), b.gmac()));
            md.append("| image | route | GMAC@1024 | GMAC actual | SAD | MSE x1000 | Grad | Conn | ms |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
            for (Score s : b.scores()) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.3f | %.3f | %.3f | %.3f | %.1f |%n", s.name(), s.route(),
                        s.gmacAt1024(), s.gmacActual(), s.errors().sad(), 1000 * s.errors().mse(), s.errors().grad(), s.errors().conn(), s.ms()));
            }
            md.append(String.format(Locale.ROOT, "| **mean** | | %.2f | %.2f | %.3f | %.3f | %.3f | %.3f | %.1f |%n", b.mean(Score::gmacAt1024),
                    b.mean(Score::gmacActual), b.mean(s -> s.errors().sad()), 1000 * b.mean(s -> s.errors().mse()),
                    b.mean(s -> s.errors().grad()), b.mean(s -> s.errors().conn()), b.mean(Score::ms)));
        }
        return md.toString();
    }

    /** {@code 1111 x3, 1011 x1}. */
    private static String routes(BudgetScores b) {
        StringBuilder s = new StringBuilder();
        b.routes().forEach((r, n) -> s.append(s.isEmpty() ? "" : ", ").append(r).append(" x").append(n));
        return s.toString();
    }
}
