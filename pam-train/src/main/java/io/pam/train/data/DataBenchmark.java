package io.pam.train.data;

import java.nio.file.Path;
import java.util.List;

/**
 * Measures batches per second of {@link TrainingData} from the shared data.
 * Arguments: [crop=256] [batch=4] [threads=2] [batches=50] [realFraction=0.5].
 * Loading (photo decoding, foreground estimation, backgrounds) is timed separately.
 */
public final class DataBenchmark {
    private DataBenchmark() {}

    public static void main(String[] args) {
        int crop = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int count = args.length > 3 ? Integer.parseInt(args[3]) : 50;
        double real = args.length > 4 ? Double.parseDouble(args[4]) : 0.5;
        Path root = DataPaths.requireSharedData();
        long t0 = System.nanoTime();
        DataSources src = DataSources.load(root, DataSources.DEFAULT_VALIDATION, 40);
        long t1 = System.nanoTime();
        System.out.printf("load: %d training photos, %d backgrounds in %.1f s%n", src.training().size(), src.backgrounds().size(), (t1 - t0) / 1e9);
        TrainingDataConfig cfg = new TrainingDataConfig(1, crop, batch, real, 0.5, threads, 2 * threads);
        try (TrainingData d = new TrainingData(src, cfg)) {
            for (int i = 0; i < 5; i++) d.next();  // warm-up
            long t2 = System.nanoTime();
            for (int i = 0; i < count; i++) d.next();
            double s = (System.nanoTime() - t2) / 1e9;
            System.out.printf("crop %d, batch %d, %d threads, real %.2f: %.2f batches/s (%.1f ms/batch, %d batches)%n",
                    crop, batch, threads, real, count / s, 1000 * s / count, count);
            // CPU time of one batch in this thread: what an unloaded core would need (the wall
            // rate above suffers when other processes share the cores).
            var mx = java.lang.management.ManagementFactory.getThreadMXBean();
            long c0 = mx.getCurrentThreadCpuTime();
            for (int i = 0; i < count; i++) d.batch(1000 + i);
            double cpuMs = (mx.getCurrentThreadCpuTime() - c0) / 1e6 / count;
            System.out.printf("CPU time per batch (one thread): %.1f ms -> %.1f batches/s per busy core%n", cpuMs, 1000 / cpuMs);
        }
    }
}
