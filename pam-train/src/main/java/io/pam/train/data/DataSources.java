package io.pam.train.data;

import io.pam.image.ForegroundEstimator;
import io.pam.image.GrayImage;
import io.pam.image.ImageFiles;
import io.pam.image.RgbImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The raw material of the training data: real photos (split into training and held-aside
 * validation) and background photos.
 *
 * <p>Loading is cached per process (foreground estimation and decoding large JPEGs take a while):
 * loading the same files twice returns the same objects. Backgrounds are box-downscaled by an
 * integer factor so that their long side is at most {@link #BACKGROUND_MAX_SIDE} (the real
 * foregrounds are 800 px).
 */
public record DataSources(List<RealPhoto> training, List<RealPhoto> validation, List<RgbImage> backgrounds) {
    public static final int BACKGROUND_MAX_SIDE = 800;
    /** The real photos held aside for validation unless told otherwise (the last three names). */
    public static final List<String> DEFAULT_VALIDATION = List.of("GT23", "GT25", "GT27");

    private static final Map<Path, RealPhoto> PHOTOS = new ConcurrentHashMap<>();
    private static final Map<Path, RgbImage> BACKGROUNDS = new ConcurrentHashMap<>();

    public DataSources {
        training = List.copyOf(training);
        validation = List.copyOf(validation);
        backgrounds = List.copyOf(backgrounds);
        if (backgrounds.isEmpty()) throw new IllegalArgumentException("at least one background is needed");
    }

    /**
     * Loads from the shared data folder: every alphamatting image, those named in
     * {@code validationNames} held aside; the first {@code maxBackgrounds} backgrounds in name order.
     */
    public static DataSources load(Path dataRoot, Collection<String> validationNames, int maxBackgrounds) {
        Path am = dataRoot.resolve("alphamatting-dev");
        List<String> names = realNames(am);
        for (String v : validationNames)
            if (!names.contains(v)) throw new IllegalArgumentException("validation image " + v + " not in " + am + "; have " + names);
        List<RealPhoto> train = new ArrayList<>(), val = new ArrayList<>();
        List<RealPhoto> all = names.parallelStream().map(n -> realPhoto(am, n)).toList();
        for (RealPhoto p : all) (validationNames.contains(p.name()) ? val : train).add(p);
        List<Path> bgFiles = backgroundFiles(dataRoot.resolve("backgrounds"));
        List<RgbImage> bgs = bgFiles.subList(0, Math.min(maxBackgrounds, bgFiles.size())).parallelStream()
                .map(DataSources::background).toList();
        return new DataSources(train, val, bgs);
    }

    /** Image stems of an alphamatting-style folder (with image/, alpha/, trimap1/, trimap2/), sorted. */
    public static List<String> realNames(Path alphamattingRoot) {
        try (Stream<Path> s = Files.list(alphamattingRoot.resolve("image"))) {
            return s.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".png"))
                    .map(f -> f.substring(0, f.length() - 4)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + alphamattingRoot.resolve("image"), e);
        }
    }

    /** Background photos (JPEG/PNG) in a folder, sorted by name. */
    public static List<Path> backgroundFiles(Path folder) {
        try (Stream<Path> s = Files.list(folder)) {
            return s.filter(p -> {
                String f = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
                return f.endsWith(".jpg") || f.endsWith(".jpeg") || f.endsWith(".png");
            }).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list backgrounds in " + folder, e);
        }
    }

    /** One real photo with its trimaps and estimated foreground (cached per process). */
    public static RealPhoto realPhoto(Path alphamattingRoot, String name) {
        Path key = alphamattingRoot.toAbsolutePath().normalize().resolve(name);
        return PHOTOS.computeIfAbsent(key, k -> {
            try {
                String file = name + ".png";
                RgbImage image = ImageFiles.readRgb(alphamattingRoot.resolve("image").resolve(file));
                GrayImage alpha8 = ImageFiles.readGray(alphamattingRoot.resolve("alpha").resolve(file));
                GrayImage t1 = ImageFiles.readGray(alphamattingRoot.resolve("trimap1").resolve(file));
                GrayImage t2 = ImageFiles.readGray(alphamattingRoot.resolve("trimap2").resolve(file));
                for (GrayImage g : List.of(alpha8, t1, t2))
                    if (g.width() != image.width() || g.height() != image.height())
                        throw new IllegalStateException(name + ": alpha/trimap size differs from the image's " + image.width() + "x" + image.height());
                float[] alpha = alpha8.toUnitFloats();
                ForegroundEstimator.Result fb = ForegroundEstimator.estimate(image, alpha);
                return new RealPhoto(name, image, alpha, t1, t2, fb.foreground(), fb.background());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load real photo " + name + " from " + alphamattingRoot, e);
            }
        });
    }

    /** A background photo, downscaled to at most {@link #BACKGROUND_MAX_SIDE} (cached per process). */
    public static RgbImage background(Path file) {
        return BACKGROUNDS.computeIfAbsent(file.toAbsolutePath().normalize(), k -> {
            try {
                RgbImage full = ImageFiles.readRgb(file);
                int factor = (Math.max(full.width(), full.height()) + BACKGROUND_MAX_SIDE - 1) / BACKGROUND_MAX_SIDE;
                return factor <= 1 ? full : boxDownscale(full, factor);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load background " + file, e);
            }
        });
    }

    /** Averages {@code f x f} blocks (the last partial row/column of blocks is dropped). */
    static RgbImage boxDownscale(RgbImage src, int f) {
        int w = src.width() / f, h = src.height() / f, sw = src.width(), sn = src.plane(), n = w * h;
        float[] out = new float[3 * n];
        float inv = 1f / (f * f);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    float s = 0;
                    for (int dy = 0; dy < f; dy++) {
                        int row = c * sn + (y * f + dy) * sw + x * f;
                        for (int dx = 0; dx < f; dx++) s += src.planar()[row + dx];
                    }
                    out[c * n + y * w + x] = s * inv;
                }
        return new RgbImage(w, h, out);
    }
}
