package io.pam.train;

import io.pam.net.Tensor;
import io.pam.train.data.Batch;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Times the host training losses (L1, composition, Laplacian) on one deterministic batch:
 * {@code SyntheticBatches(seed 1, batch, side)} with the ground-truth alpha perturbed by a seeded
 * +-0.05 noise as the prediction. Prints the median of the repeats after warm-up, in ms per call,
 * and each loss's value and gradient checksum (so two builds can be compared for equal results).
 *
 * <p>Usage: {@code LossBenchmark [batch=8] [side=512] [repeats=7] [warmup=3]}.
 */
public final class LossBenchmark {
    private LossBenchmark() {}

    public static void main(String[] args) {
        int batch = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        int side = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 7;
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        Batch b = new SyntheticBatches(1, batch, side).next();
        Tensor gt = b.alpha();
        float[] p = gt.data().clone();
        Rng rng = new Rng(2);
        for (int i = 0; i < p.length; i++) p[i] = (float) Math.min(1, Math.max(0, p[i] + 0.1 * (rng.nextDouble() - 0.5)));
        Tensor pred = new Tensor(gt.n(), gt.c(), gt.h(), gt.w(), p);
        System.out.printf(Locale.ROOT, "host losses, batch %d x %dx%d, %d threads available (common pool parallelism %d), median of %d after %d warm-up%n",
                batch, side, side, Runtime.getRuntime().availableProcessors(),
                java.util.concurrent.ForkJoinPool.getCommonPoolParallelism(), repeats, warmup);
        double total = 0;
        total += time("l1", () -> Losses.l1(pred, gt, b.input()), repeats, warmup);
        total += time("composition", () -> Losses.composition(pred, b.fg(), b.bg(), b.input()), repeats, warmup);
        total += time("laplacian", () -> Losses.laplacian(pred, gt, b.input()), repeats, warmup);
        System.out.printf(Locale.ROOT, "%-12s %8.2f ms%n", "sum", total);
    }

    private static double time(String name, Supplier<Losses.Value> loss, int repeats, int warmup) {
        Losses.Value v = null;
        for (int i = 0; i < warmup; i++) v = loss.get();
        double[] ms = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            v = loss.get();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        double median = ms[repeats / 2];
        double gsum = 0;
        for (float g : v.grad().data()) gsum += g;
        System.out.printf(Locale.ROOT, "%-12s %8.2f ms (min %.2f, max %.2f)  loss %.17g  grad sum %.17g  grad hash %08x%n",
                name, median, ms[0], ms[repeats - 1], v.loss(), gsum, Arrays.hashCode(v.grad().data()));
        return median;
    }
}
