package io.pam.examples;

import io.pam.Budget;
import io.pam.MatteResult;
import io.pam.Matter;
import io.pam.image.GrayImage;
import io.pam.image.ImageFiles;
import io.pam.image.RgbImage;
import io.pam.metrics.MatteErrors;
import io.pam.metrics.Metrics;
import io.pam.net.CostModel;
import io.pam.net.NetworkSpec;
import io.pam.net.Weights;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;

/**
 * {@code pam eval}: quality and speed per budget against ground truth. For every budget and
 * every image it runs the network and measures SAD, MSE, Grad and Conn over the trimap's unknown
 * pixels ({@link Metrics}, Composition-1K protocol) on the 8-bit alpha that {@code pam matte}
 * would write, and the time of the call. Writes {@code report.json}, {@code report.md},
 * {@code chart.png} and {@code contact-sheet.png}; everything but the timings is deterministic.
 */
final class EvalCommand {
    static final String USAGE = """
            pam eval --images DIR --trimaps DIR --alphas DIR [--out DIR (default pam-eval)]
                     [--flops LIST (default: mild,moderate,aggressive and every integer budget above the cheapest path
                      up to the first above the dearest)] [--backend auto|cpu|cuda|reference]
                     [--weights FILE | --untrained] [--threads N] [--contact N (images on the contact sheet, default 4)]
                     [--save-predictions] [--verbose]
              Files are matched by base name across the three directories; trimaps must be 0/128/255.""";

    /** The inputs of one image, decoded. */
    record Item(String name, RgbImage image, GrayImage trimap, GrayImage alpha) {
        int width() {
            return image.width();
        }

        int height() {
            return image.height();
        }
    }

    /** One image at one budget. */
    record Score(String name, String route, double gmacAt1024, double gmacActual, MatteErrors errors, double ms) {}

    /** A budget, its label in reports and the scores of every image (sorted by name). */
    record BudgetScores(String label, double gmac, List<Score> scores) {
        double mean(java.util.function.ToDoubleFunction<Score> f) {
            return scores.stream().mapToDouble(f).average().orElse(Double.NaN);
        }

        /** How many images ran each route, routes by name. */
        Map<String, Integer> routes() {
            Map<String, Integer> m = new java.util.TreeMap<>(Comparator.reverseOrder());
            for (Score s : scores) m.merge(s.route(), 1, Integer::sum);
            return m;
        }
    }

    int run(String[] argv, PrintStream out, PrintStream err) {
        Set<String> options = new HashSet<>(MatterOptions.OPTIONS);
        options.remove("trimap-policy"); // the protocol needs exact trimaps
        options.addAll(Set.of("images", "trimaps", "alphas", "out", "flops", "contact"));
        Set<String> flags = new HashSet<>(MatterOptions.FLAGS);
        flags.add("save-predictions");
        Args a = Args.parse("eval", argv, options, flags);
        Path imagesDir = a.existing("images"), trimapsDir = a.existing("trimaps"), alphasDir = a.existing("alphas");
        Path outDir = Path.of(a.get("out", "pam-eval"));
        int contact = a.intValue("contact", 4, 0);

        List<Path[]> files = match(imagesDir, trimapsDir, alphasDir);
        Weights weights = MatterOptions.weights(a, err);
        CostModel costs = new CostModel(NetworkSpec.of(weights.config()));
        List<Budget> budgets = budgets(a.get("flops", null), costs);
        List<Item> items = new ArrayList<>();
        for (Path[] f : files) items.add(load(f));

        List<List<Score>> table = new ArrayList<>();
        for (int b = 0; b < budgets.size(); b++) table.add(new ArrayList<>());
        List<float[]> contactPredictions = new ArrayList<>();
        String backend;
        try (Matter matter = MatterOptions.open(a, weights)) {
            backend = matter.backendName();
            infer(matter, items.getFirst(), budgets.getFirst()); // warm-up: JIT and first-size allocations are not timed
            ProgressBar bar = ProgressBar.forTerminal(err, items.size() * budgets.size());
            for (int i = 0; i < items.size(); i++) {
                Item it = items.get(i);
                for (int b = 0; b < budgets.size(); b++) {
                    MatteResult r = infer(matter, it, budgets.get(b));
                    float[] pred = quantised(r);
                    MatteErrors e = Metrics.all(r.width(), r.height(), pred, it.alpha().toUnitFloats(), it.trimap().values());
                    String route = r.route().map(Object::toString).orElse("none");
                    table.get(b).add(new Score(it.name(), route, r.gmacAt1024(), r.gmacActual(), e, r.elapsed().toNanos() / 1e6));
                    if (b == 0 && i < contact) contactPredictions.add(pred);
                    if (a.flag("save-predictions")) writeGray(outDir.resolve("predictions/" + label(budgets.get(b)) + "/" + it.name() + ".png"), r);
                    bar.step();
                }
            }
        }
        List<BudgetScores> results = new ArrayList<>();
        for (int b = 0; b < budgets.size(); b++) results.add(new BudgetScores(label(budgets.get(b)), budgets.get(b).gmac(), table.get(b)));
        Map<String, String> about = new LinkedHashMap<>();
        about.put("backend", backend);
        about.put("weights", MatterOptions.weightsLabel(a));
        about.put("images", imagesDir.toString());
        about.put("trimaps", trimapsDir.toString());
        about.put("alphas", alphasDir.toString());
        EvalReport.write(outDir, about, results);
        EvalCharts.writeChart(outDir.resolve("chart.png"), results);
        if (contact > 0) EvalCharts.writeContactSheet(outDir.resolve("contact-sheet.png"), items.subList(0, contactPredictions.size()),
                contactPredictions, results.getFirst().label());
        out.printf(Locale.ROOT, "evaluated %d image(s) x %d budget(s) on %s; wrote %s/{report.json,report.md,chart.png%s}%n",
                items.size(), budgets.size(), backend, outDir, contact > 0 ? ",contact-sheet.png" : "");
        for (BudgetScores s : results)
            out.printf(Locale.ROOT, "  %-10s SAD %8.3f  MSE(x1000) %7.3f  Grad %8.3f  Conn %8.3f  %7.1f ms  %.2f GMAC@1024%n", s.label(),
                    s.mean(x -> x.errors().sad()), 1000 * s.mean(x -> x.errors().mse()), s.mean(x -> x.errors().grad()),
                    s.mean(x -> x.errors().conn()), s.mean(Score::ms), s.mean(Score::gmacAt1024));
        return 0;
    }

    /** Image, trimap and alpha files by name; anything unmatched is an error listing the names. */
    static List<Path[]> match(Path imagesDir, Path trimapsDir, Path alphasDir) {
        SortedMap<String, Path> images = ImageDir.list(imagesDir, "--images"), trimaps = ImageDir.list(trimapsDir, "--trimaps"),
                alphas = ImageDir.list(alphasDir, "--alphas");
        List<String> problems = new ArrayList<>();
        List<String> m = ImageDir.missing(images, trimaps);
        if (!m.isEmpty()) problems.add("no trimap in " + trimapsDir + " for " + ImageDir.names(m));
        m = ImageDir.missing(images, alphas);
        if (!m.isEmpty()) problems.add("no alpha in " + alphasDir + " for " + ImageDir.names(m));
        m = ImageDir.missing(trimaps, images);
        if (!m.isEmpty()) problems.add("no image in " + imagesDir + " for trimap(s) " + ImageDir.names(m));
        m = ImageDir.missing(alphas, images);
        if (!m.isEmpty()) problems.add("no image in " + imagesDir + " for alpha(s) " + ImageDir.names(m));
        if (!problems.isEmpty()) throw new UsageException("the three directories must hold the same names: " + String.join("; ", problems));
        List<Path[]> out = new ArrayList<>();
        for (String n : images.keySet()) out.add(new Path[] {images.get(n), trimaps.get(n), alphas.get(n)});
        return out;
    }

    /** Decodes one image's files and checks sizes and trimap values, naming the file at fault. */
    static Item load(Path[] f) {
        RgbImage img;
        GrayImage tri, alpha;
        try {
            img = ImageFiles.readRgb(f[0]);
            tri = ImageFiles.readGray(f[1]);
            alpha = ImageFiles.readGray(f[2]);
        } catch (IOException e) {
            throw new UsageException(e.getMessage());
        }
        String size = img.width() + "x" + img.height();
        if (tri.width() != img.width() || tri.height() != img.height())
            throw new UsageException("trimap " + f[1] + " is " + tri.width() + "x" + tri.height() + " but image " + f[0] + " is " + size);
        if (alpha.width() != img.width() || alpha.height() != img.height())
            throw new UsageException("alpha " + f[2] + " is " + alpha.width() + "x" + alpha.height() + " but image " + f[0] + " is " + size);
        for (int i = 0; i < tri.values().length; i++) {
            int v = tri.get(i);
            if (v != 0 && v != 128 && v != 255)
                throw new UsageException("trimap " + f[1] + " has value " + v + " at pixel " + i % tri.width() + "," + i / tri.width()
                        + "; evaluation needs exact trimaps (0 background, 128 unknown, 255 foreground)");
        }
        return new Item(ImageDir.baseName(f[0]), img, tri, alpha);
    }

    private static MatteResult infer(Matter matter, Item it, Budget budget) {
        int w = it.image().width(), n = it.image().plane();
        float[] p = it.image().planar(), rgb = new float[3 * n];
        for (int i = 0; i < n; i++) {
            rgb[3 * i] = p[i];
            rgb[3 * i + 1] = p[n + i];
            rgb[3 * i + 2] = p[2 * n + i];
        }
        return matter.infer(rgb, it.trimap().values(), w, it.image().height(), budget);
    }

    /** The alpha as written to a PNG (8 bits), which is what the protocol scores. */
    static float[] quantised(MatteResult r) {
        byte[] b = r.alpha8();
        float[] f = new float[b.length];
        for (int i = 0; i < b.length; i++) f[i] = (b[i] & 0xff) / 255f;
        return f;
    }

    private static void writeGray(Path file, MatteResult r) {
        Images.writePng(r.toGrayImage(), file);
    }

    /**
     * The budgets to evaluate, dearest first, without duplicates. Default: the named budgets and
     * every integer budget from the first above the cheapest path to the first above the dearest.
     */
    static List<Budget> budgets(String list, CostModel costs) {
        List<Budget> out = new ArrayList<>();
        if (list == null) {
            out.addAll(List.of(Budget.MILD, Budget.MODERATE, Budget.AGGRESSIVE));
            int lo = (int) Math.floor(costs.smallest()) + 1, hi = (int) Math.floor(costs.largest()) + 1;
            for (int g = lo; g <= hi; g++) out.add(Budget.of(g));
        } else {
            for (String s : list.split(",")) {
                if (s.isBlank()) continue;
                try {
                    out.add(Budget.parse(s));
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--flops: " + e.getMessage());
                }
            }
            if (out.isEmpty()) throw new UsageException("--flops lists no budget");
        }
        for (Budget b : out) MatterOptions.checkBudget(b, costs);
        Map<Double, Budget> unique = new LinkedHashMap<>();
        for (Budget b : out) unique.putIfAbsent(b.gmac(), b); // a named budget keeps its name over the equal integer
        return unique.values().stream().sorted(Comparator.comparingDouble(Budget::gmac).reversed()).toList();
    }

    /** {@code mild}, {@code moderate}, {@code aggressive}, {@code 63} or {@code 63.50}. */
    static String label(Budget b) {
        String s = b.toString();
        if (Character.isLetter(s.charAt(0))) return s;
        return b.gmac() == Math.rint(b.gmac()) ? String.valueOf((long) b.gmac()) : String.format(Locale.ROOT, "%.2f", b.gmac());
    }
}
