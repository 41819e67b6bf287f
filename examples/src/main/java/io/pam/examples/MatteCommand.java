package io.pam.examples;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pam.Budget;
import io.pam.Cutout;
import io.pam.InvalidInputException;
import io.pam.MatteResult;
import io.pam.Matter;
import io.pam.net.Weights;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SortedMap;

/**
 * {@code pam matte}: alpha mattes for one image or a directory of images under a budget.
 *
 * <p>Directory mode pairs {@code --image DIR} and {@code --trimap DIR} by base name and writes
 * {@code --out DIR/<name>.png}; unpaired files are listed and skipped, and an image that fails
 * (e.g. a trimap of the wrong size) is reported without stopping the others (exit code 1).
 */
final class MatteCommand {
    static final String USAGE = """
            pam matte --image FILE|DIR --trimap FILE|DIR --out FILE|DIR
                      [--flops G|mild|moderate|aggressive] [--backend auto|cpu|cuda|reference]
                      [--weights FILE | --untrained] [--report FILE.json] [--trimap-policy strict|nearest]
                      [--threads N] [--cutout] [--background FILE] [--verbose]

              --out gets an 8-bit gray alpha PNG of the input's size, or with
              --cutout          an RGBA PNG: colours = the estimated foreground (no old-background fringes), A = alpha
              --background FILE an RGB PNG: the cutout composited over FILE, which is scaled uniformly to cover
                                the image (never stretched), centred and cropped""";

    /** One image to matte. */
    record Job(String name, Path image, Path trimap, Path out) {}

    int run(String[] argv, PrintStream out, PrintStream err) {
        Set<String> options = new HashSet<>(MatterOptions.OPTIONS);
        options.addAll(Set.of("image", "trimap", "out", "flops", "report", "background"));
        Set<String> flags = new HashSet<>(MatterOptions.FLAGS);
        flags.add("cutout");
        Args a = Args.parse("matte", argv, options, flags);
        MatterOptions.validate(a);
        a.required("image");
        a.required("trimap");
        Path outPath = Path.of(a.required("out"));
        Path image = a.existing("image"), trimap = a.existing("trimap");
        Path report = a.path("report");
        if (report != null && !report.getFileName().toString().endsWith(".json"))
            throw new UsageException("--report must name a .json file; got " + report);

        List<Job> jobs = new ArrayList<>();
        List<String> noTrimap = List.of(), noImage = List.of();
        boolean directory = Files.isDirectory(image);
        if (directory) {
            if (!Files.isDirectory(trimap)) throw new UsageException("--image is a directory, so --trimap must be one too; got file " + trimap);
            if (Files.exists(outPath) && !Files.isDirectory(outPath))
                throw new UsageException("--image is a directory, so --out must be a directory; " + outPath + " is a file");
            if (sameFile(outPath, image) || sameFile(outPath, trimap))
                throw new UsageException("--out " + outPath + " is an input directory; its images would be overwritten: choose another");
            SortedMap<String, Path> images = ImageDir.list(image, "--image"), trimaps = ImageDir.list(trimap, "--trimap");
            noTrimap = ImageDir.missing(images, trimaps);
            noImage = ImageDir.missing(trimaps, images);
            for (var e : images.entrySet()) {
                Path t = trimaps.get(e.getKey());
                if (t != null) jobs.add(new Job(e.getKey(), e.getValue(), t, outPath.resolve(e.getKey() + ".png")));
            }
            if (!noTrimap.isEmpty()) err.println("skipping " + noTrimap.size() + " image(s) without a trimap in " + trimap + ": " + ImageDir.names(noTrimap));
            if (!noImage.isEmpty()) err.println("ignoring " + noImage.size() + " trimap(s) without an image in " + image + ": " + ImageDir.names(noImage));
            if (jobs.isEmpty())
                throw new UsageException("no image in " + image + " has a trimap of the same base name in " + trimap);
        } else {
            if (Files.isDirectory(trimap)) throw new UsageException("--image is a file, so --trimap must be a file too; got directory " + trimap);
            Path target = Files.isDirectory(outPath) ? outPath.resolve(ImageDir.baseName(image) + ".png") : outPath;
            if (!Images.isPng(target)) throw new UsageException("--out must be a .png file or a directory; got " + outPath);
            if (sameFile(target, image) || sameFile(target, trimap))
                throw new UsageException("--out " + target + " is an input file and would be overwritten: choose another");
            jobs.add(new Job(ImageDir.baseName(image), image, trimap, target));
        }

        BufferedImage background = a.has("background") ? Images.read(a.path("background"), "--background") : null;
        Output output = background != null ? Output.COMPOSITE : a.flag("cutout") ? Output.CUTOUT : Output.ALPHA;

        Weights weights = MatterOptions.weights(a, err);
        Budget budget = MatterOptions.budget(a, weights);
        List<ObjectNode> done = new ArrayList<>();
        List<String> failures = new ArrayList<>(), failedNames = new ArrayList<>();
        ArrayNode failedJson = Json.MAPPER.createArrayNode();
        String backend;
        try (Matter matter = MatterOptions.open(a, weights)) {
            backend = matter.backendName();
            ProgressBar bar = ProgressBar.forTerminal(err, jobs.size());
            for (Job job : jobs) {
                try {
                    done.add(matte(matter, job, budget, output, background));
                    if (!directory) out.println(summary(done.getLast()));
                } catch (UsageException | InvalidInputException e) {
                    if (!directory) throw e;
                    bar.interrupt();
                    String msg = job.name() + ": " + e.getMessage();
                    err.println("failed: " + msg);
                    failures.add(msg);
                    failedNames.add(job.name());
                    failedJson.addObject().put("name", job.name()).put("image", job.image().toString()).put("error", e.getMessage());
                }
                bar.step();
            }
        }
        if (report != null) {
            ObjectNode root = Json.MAPPER.createObjectNode();
            root.put("backend", backend).put("weights", MatterOptions.weightsLabel(a)).put("budget", budget.toString())
                    .put("budgetGmac", budget.gmac()).put("budgetUnit", "GMAC at 1024x1024");
            root.putArray("images").addAll(done);
            root.set("failed", failedJson);
            root.set("imagesWithoutTrimap", Json.MAPPER.valueToTree(noTrimap));
            root.set("trimapsWithoutImage", Json.MAPPER.valueToTree(noImage));
            writeText(report, Json.pretty(root) + "\n");
        }
        if (directory) {
            out.printf(Locale.ROOT, "matted %d of %d image(s) into %s (budget %s, backend %s)%n", done.size(), jobs.size(), outPath, budget, backend);
            if (!failures.isEmpty()) {
                err.println(failures.size() + " image(s) failed: " + ImageDir.names(failedNames));
                return 1;
            }
        }
        return 0;
    }

    /** What --out receives. */
    enum Output { ALPHA, CUTOUT, COMPOSITE }

    /** Mattes one image, writes the output PNG and returns its report entry. */
    private static ObjectNode matte(Matter matter, Job job, Budget budget, Output output, BufferedImage background) {
        BufferedImage img = Images.read(job.image(), "image");
        BufferedImage tri = Images.read(job.trimap(), "trimap");
        MatteResult r;
        try {
            r = matter.infer(img, tri, budget);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(e.getMessage() + " (image " + job.image() + ", trimap " + job.trimap() + ")");
        }
        Images.writePng(switch (output) {
            case ALPHA -> r.toGrayImage();
            case CUTOUT -> Cutout.of(img, r).toImage();
            case COMPOSITE -> Cutout.of(img, r).compose(background);
        }, job.out());
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("name", job.name()).put("image", job.image().toString()).put("trimap", job.trimap().toString()).put("out", job.out().toString())
                .put("width", r.width()).put("height", r.height());
        if (r.route().isPresent()) o.put("route", r.route().get().toString());
        else o.putNull("route");
        o.put("gmacAt1024", Json.round(r.gmacAt1024(), 4)).put("gmacActual", Json.round(r.gmacActual(), 4))
                .put("ms", Json.round(r.elapsed().toNanos() / 1e6, 1)).put("backend", r.backend())
                .put("output", output.name().toLowerCase(Locale.ROOT));
        return o;
    }

    private static String summary(ObjectNode o) {
        return String.format(Locale.ROOT, "%s -> %s  route %s  %.2f GMAC@1024 (%.2f actual)  %.0f ms  [%s]", o.get("image").asText(),
                o.get("out").asText(), o.get("route").isNull() ? "none (no unknown pixels)" : o.get("route").asText(),
                o.get("gmacAt1024").asDouble(), o.get("gmacActual").asDouble(), o.get("ms").asDouble(), o.get("backend").asText());
    }

    /** Whether two paths name the same existing file or directory. */
    static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    static void writeText(Path file, String text) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UsageException("cannot write " + file + ": " + e.getMessage());
        }
    }
}
