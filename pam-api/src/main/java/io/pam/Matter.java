package io.pam;

import io.pam.net.CostModel;
import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.PathSelector;
import io.pam.net.Safetensors;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import io.pam.spi.Backend;
import io.pam.spi.Backends;
import io.pam.spi.EngineOptions;
import io.pam.spi.InferenceEngine;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import javax.imageio.ImageIO;

/**
 * Estimates alpha mattes under a compute budget with Path-Adaptive Matting.
 *
 * <pre>{@code
 * try (Matter matter = Matter.open()) {                       // shipped weights, best backend
 *     MatteResult r = matter.infer(Path.of("photo.png"), Path.of("trimap.png"), Budget.MODERATE);
 *     ImageIO.write(r.toGrayImage(), "png", new File("alpha.png"));
 *     System.out.println(r.route().orElseThrow() + " " + r.gmacAt1024() + " GMAC");
 * }
 * }</pre>
 *
 * <p>Budgets are in GMAC for a 1024x1024 input (the paper's unit; see {@link Budget}); the
 * route actually run and its cost come back with every result. Trimaps are 8-bit: 0 background,
 * 128 unknown, 255 foreground. A {@code Matter} is thread-safe: concurrent calls share up to
 * {@link Builder#concurrency(int)} engines. Close it to free native memory.
 */
public final class Matter implements AutoCloseable {
    /** Class-path location of the shipped weights. */
    public static final String DEFAULT_WEIGHTS_RESOURCE = "/io/pam/weights/pam-default.safetensors";
    /** Default limit on input pixels (16.8 megapixels, e.g. 4096x4096). */
    public static final long DEFAULT_MAX_PIXELS = 4096L * 4096L;

    private static final System.Logger LOG = System.getLogger(Matter.class.getName());

    private final NetworkSpec spec;
    private final CostModel costs;
    private final Weights weights;
    private final Backend backend;
    private final EngineOptions engineOptions;
    private final TrimapPolicy trimapPolicy;
    private final long maxPixels;
    private final Semaphore permits;
    private final ConcurrentLinkedQueue<InferenceEngine> idle = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    private Matter(Builder b, Weights weights) {
        this.weights = weights;
        this.spec = NetworkSpec.of(weights.config());
        this.costs = new CostModel(spec);
        this.backend = Backends.resolve(b.backend);
        this.engineOptions = new EngineOptions(b.threads);
        this.trimapPolicy = b.trimapPolicy;
        this.maxPixels = b.maxPixels;
        this.permits = new Semaphore(b.concurrency, true);
        LOG.log(System.Logger.Level.INFO, "PAM using backend {0} (asked: {1})", backend.name(), b.backend);
        // compile one engine now, so configuration errors surface here and not on the first image
        idle.add(backend.open(spec, weights, engineOptions));
    }

    /** The shipped weights on the best available backend. */
    public static Matter open() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Options for a {@link Matter}. */
    public static final class Builder {
        private String backend = System.getProperty("pam.backend", "auto");
        private Path weightsFile;
        private Weights weights;
        private int threads = Integer.getInteger("pam.threads", 0);
        private int concurrency = 1;
        private TrimapPolicy trimapPolicy = TrimapPolicy.STRICT;
        private long maxPixels = DEFAULT_MAX_PIXELS;

        private Builder() {}

        /** {@code auto} (default, or system property {@code pam.backend}), {@code cpu}, {@code cuda}, {@code reference}. */
        public Builder backend(String name) {
            this.backend = name;
            return this;
        }

        /** A safetensors weight file (written by {@code pam train} or {@link Safetensors}). */
        public Builder weights(Path file) {
            this.weightsFile = file;
            this.weights = null;
            return this;
        }

        public Builder weights(Weights w) {
            this.weights = w;
            this.weightsFile = null;
            return this;
        }

        /** Untrained, Kaiming-initialised weights of the paper network: for tests and benchmarks only. */
        public Builder untrained(long seed) {
            return weights(Weights.init(NetworkSpec.of(NetworkConfig.paper()), seed));
        }

        /** CPU threads (0 = all cores, the default; system property {@code pam.threads}). */
        public Builder threads(int n) {
            if (n < 0) throw new IllegalArgumentException("threads must be >= 0");
            this.threads = n;
            return this;
        }

        /** Engines shared by concurrent calls (default 1: calls queue; each engine holds its own buffers). */
        public Builder concurrency(int n) {
            if (n < 1) throw new IllegalArgumentException("concurrency must be >= 1");
            this.concurrency = n;
            return this;
        }

        public Builder trimapPolicy(TrimapPolicy p) {
            this.trimapPolicy = java.util.Objects.requireNonNull(p);
            return this;
        }

        /** Largest accepted image, in pixels (default {@link #DEFAULT_MAX_PIXELS}). */
        public Builder maxPixels(long n) {
            if (n < 1) throw new IllegalArgumentException("maxPixels must be >= 1");
            this.maxPixels = n;
            return this;
        }

        public Matter build() {
            Weights w = weights;
            try {
                if (w == null && weightsFile != null) w = Safetensors.read(weightsFile);
                if (w == null) w = shippedWeights();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read weights: " + e.getMessage(), e);
            }
            return new Matter(this, w);
        }
    }

    /** The weights shipped on the class path. */
    public static Weights shippedWeights() throws IOException {
        try (InputStream in = Matter.class.getResourceAsStream(DEFAULT_WEIGHTS_RESOURCE)) {
            if (in == null)
                throw new IllegalStateException("no shipped weights on the class path (" + DEFAULT_WEIGHTS_RESOURCE
                        + "): pass Matter.builder().weights(path), or untrained(seed) for tests");
            return Safetensors.read(in.readAllBytes(), "class-path resource " + DEFAULT_WEIGHTS_RESOURCE);
        }
    }

    /** The backend in use. */
    public String backendName() {
        return backend.name();
    }

    public NetworkSpec spec() {
        return spec;
    }

    public CostModel costModel() {
        return costs;
    }

    public MatteResult infer(Path image, Path trimap, Budget budget) {
        return infer(readImage(image, "image"), readImage(trimap, "trimap"), budget);
    }

    public MatteResult infer(Path image, Path trimap, double gmac) {
        return infer(image, trimap, Budget.of(gmac));
    }

    public MatteResult infer(BufferedImage image, BufferedImage trimap, double gmac) {
        return infer(image, trimap, Budget.of(gmac));
    }

    /** Matte a decoded image; its alpha channel, if any, is ignored. */
    public MatteResult infer(BufferedImage image, BufferedImage trimap, Budget budget) {
        if (image == null || trimap == null) throw new InvalidInputException("image and trimap must not be null");
        MatteInput.checkSize(image.getWidth(), image.getHeight(), maxPixels);
        if (image.getWidth() != trimap.getWidth() || image.getHeight() != trimap.getHeight())
            throw new InvalidInputException("trimap is " + trimap.getWidth() + "x" + trimap.getHeight() + " but the image is "
                    + image.getWidth() + "x" + image.getHeight() + "; they must be the same size");
        return infer(rgbOf(image), grayOf(trimap), image.getWidth(), image.getHeight(), budget);
    }

    public MatteResult infer(float[] rgb, byte[] trimap, int width, int height, double gmac) {
        return infer(rgb, trimap, width, height, Budget.of(gmac));
    }

    /**
     * The embedding entry point.
     *
     * @param rgb    interleaved R,G,B per pixel, row-major, values in [0,1]
     * @param trimap row-major 8-bit trimap (0 / 128 / 255, read as unsigned)
     */
    public MatteResult infer(float[] rgb, byte[] trimap, int width, int height, Budget budget) {
        long t0 = System.nanoTime();
        if (budget == null) throw new InvalidInputException("budget must not be null");
        try {
            PathSelector.checkBudget(costs, budget.gmac());
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(e.getMessage());
        }
        MatteInput in = MatteInput.of(rgb, trimap, width, height, trimapPolicy, maxPixels);
        if (in.unknown == 0) {
            return new MatteResult(in.trimapAlpha(), width, height, Optional.empty(), 0, 0,
                    Duration.ofNanos(System.nanoTime() - t0), "none");
        }
        PathSelector selector = new PathSelector(costs, budget.gmac());
        Tensor alpha = run(in.toTensor(), selector);
        Route route = selector.route();
        double actual = costs.routeMacs(route, in.paddedH, in.paddedW) / 1e9;
        return new MatteResult(in.crop(alpha), width, height, Optional.of(route), costs.gmac(route), actual,
                Duration.ofNanos(System.nanoTime() - t0), backend.name());
    }

    private Tensor run(Tensor input, PathSelector selector) {
        if (closed) throw new IllegalStateException("this Matter is closed");
        permits.acquireUninterruptibly();
        InferenceEngine engine = null;
        try {
            engine = idle.poll();
            if (engine == null) engine = backend.open(spec, weights, engineOptions);
            return engine.run(input, selector);
        } finally {
            if (engine != null) {
                if (closed) engine.close();
                else idle.add(engine);
                if (closed) drain();
            }
            permits.release();
        }
    }

    private void drain() {
        for (InferenceEngine e; (e = idle.poll()) != null; ) e.close();
    }

    /** Frees every engine; calls in flight finish first on their own engine, later calls throw. */
    @Override
    public void close() {
        closed = true;
        drain();
    }

    private static BufferedImage readImage(Path file, String what) {
        if (file == null) throw new InvalidInputException(what + " path must not be null");
        if (!Files.isRegularFile(file)) throw new InvalidInputException(what + " file not found: " + file);
        try {
            BufferedImage img = ImageIO.read(file.toFile());
            if (img == null)
                throw new InvalidInputException(what + " file " + file + " is not an image this JVM can decode (PNG, JPEG, BMP, GIF)");
            return img;
        } catch (IOException e) {
            throw new InvalidInputException(what + " file " + file + " cannot be read: " + e.getMessage());
        }
    }

    /** Interleaved RGB in [0,1]. */
    static float[] rgbOf(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        float[] rgb = new float[argb.length * 3];
        for (int i = 0; i < argb.length; i++) {
            int p = argb[i];
            rgb[3 * i] = (p >> 16 & 0xff) / 255f;
            rgb[3 * i + 1] = (p >> 8 & 0xff) / 255f;
            rgb[3 * i + 2] = (p & 0xff) / 255f;
        }
        return rgb;
    }

    /** 8-bit gray values of a trimap image; colour images must have R = G = B. */
    static byte[] grayOf(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[w * h];
        Raster r = img.getRaster();
        boolean gray = img.getColorModel().getNumComponents() == 1 && r.getNumBands() == 1;
        if (gray) {
            int bits = img.getColorModel().getComponentSize(0);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) out[y * w + x] = (byte) (bits > 8 ? row[x] >> (bits - 8) : row[x]);
            }
            return out;
        }
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < argb.length; i++) {
            int p = argb[i], rr = p >> 16 & 0xff, g = p >> 8 & 0xff, b = p & 0xff;
            if (rr != g || g != b)
                throw new InvalidInputException("trimap must be a grayscale image (0/128/255); pixel " + (i % w) + "," + (i / w)
                        + " has colour " + rr + "," + g + "," + b);
            out[i] = (byte) rr;
        }
        return out;
    }
}
