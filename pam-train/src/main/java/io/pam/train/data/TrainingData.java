package io.pam.train.data;

import io.pam.image.RgbImage;
import io.pam.net.Tensor;
import java.util.ArrayDeque;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The training batch stream: composites of real and procedural foregrounds over background
 * photos (see {@link SampleMaker} for the recipe).
 *
 * <p>Reproducible: sample j of batch k is made from its own random state, seeded from
 * (seed, k, j) alone, so the same seed and settings give bit-identical batches whatever the
 * thread timing. Batches are prepared ahead by {@code threads} daemon workers, at most
 * {@code queueDepth} of them, and handed out in order.
 */
public final class TrainingData implements BatchSource {
    private final SampleMaker maker;
    private final TrainingDataConfig config;
    private final ExecutorService pool;
    private final ArrayDeque<Future<Batch>> pending = new ArrayDeque<>();
    private long nextToSubmit;
    private boolean closed;

    /** Real training photos from {@code sources} plus procedural foregrounds. */
    public TrainingData(DataSources sources, TrainingDataConfig config) {
        this(sources.training().stream().map(RealPhoto::matte).toList(), sources.backgrounds(), config);
    }

    /** Given foreground layers (may be empty: procedural only) and backgrounds. */
    public TrainingData(List<Matte> realForegrounds, List<RgbImage> backgrounds, TrainingDataConfig config) {
        this.config = config;
        this.maker = new SampleMaker(realForegrounds, backgrounds, config.cropSize(), config.realFraction(), config.mixProbability());
        this.pool = Executors.newFixedThreadPool(config.threads(), r -> {
            Thread t = new Thread(r, "pam-data");
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < config.queueDepth(); i++) submit();
    }

    private void submit() {
        long index = nextToSubmit++;
        pending.add(pool.submit(() -> batch(index)));
    }

    /** The next batch in order; blocks until it is ready. */
    @Override
    public synchronized Batch next() {
        if (closed) throw new IllegalStateException("training data is closed");
        Future<Batch> f = pending.poll();
        submit();
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a batch", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("preparing a training batch failed: " + e.getCause(), e.getCause());
        }
    }

    /** Batch number {@code index} of this stream, computed in the calling thread. */
    public Batch batch(long index) {
        Sample[] samples = new Sample[config.batchSize()];
        for (int j = 0; j < samples.length; j++)
            samples[j] = maker.make(new SplittableRandom(seedOf(config.seed(), index, j)));
        return toBatch(samples);
    }

    /** A seed from (seed, batch, sample) with SplitMix64-style mixing, so neighbours are unrelated. */
    static long seedOf(long seed, long batch, int sample) {
        return mix(mix(mix(seed) ^ batch) ^ sample);
    }

    private static long mix(long z) {
        z += 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Stacks samples of one size into a {@link Batch} (input = RGB + trimap one-hot). */
    static Batch toBatch(Sample[] samples) {
        int s = samples[0].size(), n = s * s, b = samples.length;
        float[] input = new float[b * 6 * n], alpha = new float[b * n], fg = new float[b * 3 * n], bg = new float[b * 3 * n];
        for (int k = 0; k < b; k++) {
            Sample x = samples[k];
            if (x.size() != s) throw new IllegalArgumentException("samples of different sizes in one batch");
            System.arraycopy(x.image(), 0, input, k * 6 * n, 3 * n);
            int oh = k * 6 * n + 3 * n;
            for (int i = 0; i < n; i++) {
                int t = x.trimap()[i] & 0xff;
                input[oh + (t == 0 ? 0 : t == 255 ? 2 : 1) * n + i] = 1f;
            }
            System.arraycopy(x.alpha(), 0, alpha, k * n, n);
            System.arraycopy(x.fg(), 0, fg, k * 3 * n, 3 * n);
            System.arraycopy(x.bg(), 0, bg, k * 3 * n, 3 * n);
        }
        return new Batch(new Tensor(b, 6, s, s, input), new Tensor(b, 1, s, s, alpha), new Tensor(b, 3, s, s, fg), new Tensor(b, 3, s, s, bg));
    }

    public TrainingDataConfig config() {
        return config;
    }

    @Override
    public synchronized void close() {
        closed = true;
        pending.forEach(f -> f.cancel(true));
        pending.clear();
        pool.shutdownNow();
    }
}
