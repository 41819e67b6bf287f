package io.pam.cpu.bench;

import io.pam.Route;
import io.pam.cpu.CpuBackend;
import io.pam.net.CostModel;
import io.pam.net.NetworkSpec;
import io.pam.net.PathSelector;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import io.pam.spi.EngineOptions;
import io.pam.spi.InferenceEngine;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * Latency of the CPU backend on the paper network at one input size: warm-up, then the median
 * over repeats for each operating point (fixed routes) and thread count, with achieved GMAC/s
 * (MACs of the route at that size / median time), the median per-segment split, and the
 * process's peak resident memory (VmHWM). Run one size per JVM so the peak belongs to it.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp ... \
 *     io.pam.cpu.bench.CpuBenchmark [--size 1024] [--threads 1,2] [--routes 1111,1011,0000]
 *     [--repeats 5] [--warmup 1]
 * </pre>
 * With {@code -Dpam.cpu.profile=true} the split also lists OpenCV's per-layer times by op kind.
 */
public final class CpuBenchmark {
    private CpuBenchmark() {}

    public static void main(String[] args) throws IOException {
        Map<String, String> opt = new LinkedHashMap<>(Map.of("size", "1024", "threads", "1,2", "routes", "1111,1011,0000",
                "repeats", "5", "warmup", "1"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--") || !opt.containsKey(args[i].substring(2)))
                throw new IllegalArgumentException("unknown option " + args[i] + "; known: " + opt.keySet());
            opt.put(args[i].substring(2), args[i + 1]);
        }
        int size = Integer.parseInt(opt.get("size"));
        int repeats = Integer.parseInt(opt.get("repeats")), warmup = Integer.parseInt(opt.get("warmup"));
        NetworkSpec spec = NetworkSpec.paper();
        Weights weights = Weights.init(spec, 1);
        CostModel cost = new CostModel(spec);
        CpuBackend backend = new CpuBackend();
        if (!backend.isAvailable()) throw new IllegalStateException(backend.unavailableReason());
        Tensor x = input(size, size);
        System.out.printf(Locale.ROOT, "CPU backend benchmark: paper network, input %dx%d, %d warm-up + %d timed runs, %d cores, %s%n",
                size, size, warmup, repeats, Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
        System.out.println(memory("after load"));
        for (String t : opt.get("threads").split(",")) {
            int threads = Integer.parseInt(t.trim());
            try (InferenceEngine engine = backend.open(spec, weights, new EngineOptions(threads))) {
                for (String rs : opt.get("routes").split(",")) {
                    Route route = Route.parse(rs.trim());
                    long macs = cost.routeMacs(route, size, size);
                    long first = 0;
                    for (int i = 0; i < warmup; i++) {
                        long t0 = System.nanoTime();
                        engine.run(x, PathSelector.fixed(cost, route, cost.gmac(route) + 0.5));
                        if (i == 0) first = System.nanoTime() - t0;
                    }
                    long[] total = new long[repeats];
                    Map<String, long[]> parts = new TreeMap<>();
                    for (int i = 0; i < repeats; i++) {
                        long t0 = System.nanoTime();
                        engine.run(x, PathSelector.fixed(cost, route, cost.gmac(route) + 0.5));
                        total[i] = System.nanoTime() - t0;
                        int r = i;
                        engine.lastTimings().forEach((k, v) -> parts.computeIfAbsent(k, q -> new long[repeats])[r] = v);
                    }
                    double med = median(total) / 1e9;
                    System.out.printf(Locale.ROOT, "%n%dx%d threads=%s route %s (%.2f GMAC@1024, %.2f GMAC here): median %.3f s "
                                    + "(min %.3f, max %.3f), %.1f GMAC/s; first warm-up run %.3f s%n",
                            size, size, threads == 0 ? "all" : threads, route, cost.gmac(route), macs / 1e9, med,
                            Arrays.stream(total).min().getAsLong() / 1e9, Arrays.stream(total).max().getAsLong() / 1e9,
                            macs / 1e9 / med, first / 1e9);
                    List<String> keys = new ArrayList<>(parts.keySet());
                    keys.sort((a, b) -> Boolean.compare(a.startsWith("op:"), b.startsWith("op:")));
                    for (String k : keys) {
                        double m = median(parts.get(k)) / 1e9;
                        System.out.printf(Locale.ROOT, "  %-26s %8.3f s  %5.1f%%%n", k, m, 100 * m / med);
                    }
                    System.out.println("  " + memory("now"));
                }
            }
        }
        System.out.println(memory("end"));
    }

    private static Tensor input(int h, int w) {
        Random r = new Random(42);
        Tensor x = Tensor.zeros(1, 6, h, w);
        for (int c = 0; c < 3; c++) for (int i = 0; i < h * w; i++) x.data()[c * h * w + i] = r.nextFloat();
        for (int i = 0; i < h * w; i++) x.data()[(3 + (i * 7 / (h * w + 1)) % 3) * h * w + i] = 1f;
        return x;
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }

    /** VmHWM (peak) and VmRSS (current) from /proc/self/status, plus the Java heap in use. */
    static String memory(String when) throws IOException {
        String hwm = "?", rss = "?";
        Path status = Path.of("/proc/self/status");
        if (Files.exists(status)) {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) hwm = line.substring(6).trim();
                if (line.startsWith("VmRSS:")) rss = line.substring(6).trim();
            }
        }
        Runtime rt = Runtime.getRuntime();
        return String.format(Locale.ROOT, "memory %s: peak RSS (VmHWM) %s, RSS %s, Java heap used %d MB", when, hwm, rss,
                (rt.totalMemory() - rt.freeMemory()) >> 20);
    }
}
