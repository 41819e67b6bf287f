package io.pam.train.data;

import io.pam.image.GrayImage;
import io.pam.image.ImageFiles;
import io.pam.image.RgbImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds a composition test set in the spirit of Composition-1K: every real foreground (its
 * colours estimated from the photo) is composited over K backgrounds, chosen and placed with a
 * fixed seed, and written as PNG into {@code OUT/images}, {@code OUT/trimaps} and
 * {@code OUT/alphas} under the same file name, e.g. {@code GT01_bg003.png}, for
 * {@code pam eval --images OUT/images --trimaps OUT/trimaps --alphas OUT/alphas}.
 *
 * <p>Each foreground gets one trimap, shared by its K composites: the 8-bit alpha's {alpha = 255}
 * and {alpha = 0} eroded with elliptical kernels drawn from [7, 25] px ({@link Trimaps}). A
 * background is scaled (bilinear, from its 800 px copy) to cover the foreground and a random
 * window of it is used; composite = F alpha + B (1 - alpha), rounded to 8 bits. The backgrounds'
 * MANIFEST.tsv (licences, attributions) is copied alongside. The alphamatting images are for
 * research only: generated sets must not be committed or redistributed.
 */
public final class TestSetMaker {
    static final String USAGE = """
            usage: make-testset --foregrounds DIR --backgrounds DIR --out DIR [--per-image K] [--seed S] [--images GT01,GT02]
              --foregrounds  folder with image/ and alpha/ (e.g. ../shared/data/alphamatting-dev)
              --backgrounds  folder of background photos (e.g. ../shared/data/backgrounds)
              --out          output folder; images/, trimaps/, alphas/ are created in it
              --per-image    backgrounds per foreground (default 4)
              --seed         seed for background choice, placement and trimaps (default 1)
              --images       comma-separated subset of foreground names (default: all)""";

    private TestSetMaker() {}

    public static void main(String[] args) {
        try {
            int written = run(args, System.out);
            System.out.println("wrote " + written + " composites");
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        } catch (IOException | RuntimeException e) {
            System.err.println("make-testset failed: " + e);
            System.exit(1);
        }
    }

    /** Runs with command-line arguments; returns the number of composites written. */
    public static int run(String[] args, PrintStream log) throws IOException {
        Path fgRoot = null, bgRoot = null, out = null;
        int perImage = 4;
        long seed = 1;
        List<String> only = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) throw new IllegalArgumentException("missing value after " + a);
            String v = args[++i];
            switch (a) {
                case "--foregrounds" -> fgRoot = Path.of(v);
                case "--backgrounds" -> bgRoot = Path.of(v);
                case "--out" -> out = Path.of(v);
                case "--per-image" -> perImage = parseInt(a, v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--images" -> only = Arrays.asList(v.split(","));
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (fgRoot == null || bgRoot == null || out == null) throw new IllegalArgumentException("--foregrounds, --backgrounds and --out are required");
        if (!Files.isDirectory(fgRoot.resolve("image")) || !Files.isDirectory(fgRoot.resolve("alpha")))
            throw new IllegalArgumentException(fgRoot + " must contain image/ and alpha/ folders");
        List<Path> bgFiles = DataSources.backgroundFiles(bgRoot);
        if (perImage < 1 || perImage > bgFiles.size())
            throw new IllegalArgumentException("--per-image must be in 1.." + bgFiles.size() + " (backgrounds found in " + bgRoot + ")");
        List<String> names = DataSources.realNames(fgRoot);
        if (only != null) {
            for (String n : only) if (!names.contains(n)) throw new IllegalArgumentException("no foreground " + n + " in " + fgRoot + "; have " + names);
            names = only;
        }
        Path images = out.resolve("images"), trimaps = out.resolve("trimaps"), alphas = out.resolve("alphas");
        int written = 0;
        for (int f = 0; f < names.size(); f++) {
            String name = names.get(f);
            RealPhoto photo = DataSources.realPhoto(fgRoot, name);
            int w = photo.image().width(), h = photo.image().height(), n = w * h;
            SplittableRandom rnd = new SplittableRandom(TrainingData.seedOf(seed, f, 0));
            GrayImage alpha8 = GrayImage.fromUnitFloats(w, h, photo.alpha());
            float[] alpha = alpha8.toUnitFloats();
            byte[] tri = Trimaps.fromAlpha(w, h, alpha, 7 + rnd.nextInt(19), 7 + rnd.nextInt(19), 7 + rnd.nextInt(19), 7 + rnd.nextInt(19));
            for (int k : pick(rnd, bgFiles.size(), perImage)) {
                Path bgFile = bgFiles.get(k);
                float[] bg = cover(DataSources.background(bgFile), w, h, rnd);
                float[] comp = new float[3 * n], fg = photo.foreground().planar();
                for (int c = 0; c < 3; c++)
                    for (int i = 0; i < n; i++) comp[c * n + i] = fg[c * n + i] * alpha[i] + bg[c * n + i] * (1 - alpha[i]);
                String file = name + "_" + backgroundId(bgFile, k) + ".png";
                ImageFiles.writeRgb(images.resolve(file), new RgbImage(w, h, comp));
                ImageFiles.writeGray(trimaps.resolve(file), new GrayImage(w, h, tri));
                ImageFiles.writeGray(alphas.resolve(file), alpha8);
                written++;
            }
            log.println(name + ": " + perImage + " composites");
        }
        Path manifest = bgRoot.resolve("MANIFEST.tsv");
        if (Files.isRegularFile(manifest)) Files.copy(manifest, out.resolve("BACKGROUNDS_MANIFEST.tsv"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(out.resolve("README.txt"), """
                Composition test set made by io.pam.train.data.TestSetMaker (seed %d, %d backgrounds per foreground).
                Foregrounds: alphamatting.com training set (Rhemann et al., CVPR 2009), research use only:
                do not commit or redistribute this folder. Backgrounds: see BACKGROUNDS_MANIFEST.tsv for
                sources, licences and required attributions.
                """.formatted(seed, perImage));
        return written;
    }

    /** k distinct indices in [0, n), by a partial Fisher-Yates shuffle. */
    private static int[] pick(SplittableRandom rnd, int n, int k) {
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        for (int i = 0; i < k; i++) {
            int j = i + rnd.nextInt(n - i);
            int t = idx[i]; idx[i] = idx[j]; idx[j] = t;
        }
        return Arrays.copyOf(idx, k);
    }

    /** "bg003" from "bg003_FreshFlower.jpg", else "bg" + 1-based index. */
    static String backgroundId(Path file, int index) {
        Matcher m = Pattern.compile("^(bg\\d+)").matcher(file.getFileName().toString());
        return m.find() ? m.group(1) : String.format("bg%03d", index + 1);
    }

    /** The background scaled to cover w x h, a random window of it (planar RGB). */
    private static float[] cover(RgbImage b, int w, int h, SplittableRandom rnd) {
        double scale = Math.max((double) w / b.width(), (double) h / b.height());
        double sw = b.width() * scale, sh = b.height() * scale;
        double ox = rnd.nextDouble() * (sw - w), oy = rnd.nextDouble() * (sh - h);
        int n = w * h;
        float[] out = new float[3 * n];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double sx = (x + ox + 0.5) / scale - 0.5, sy = (y + oy + 0.5) / scale - 0.5;
                for (int c = 0; c < 3; c++) out[c * n + y * w + x] = Warp.bilinear(b.planar(), c * b.plane(), b.width(), b.height(), sx, sy);
            }
        return out;
    }

    private static int parseInt(String opt, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " needs an integer, got " + v);
        }
    }

    static List<String> names(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return new ArrayList<>(s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
