package io.pam.bench;

import io.pam.Route;
import io.pam.cpu.CpuBackend;
import io.pam.net.CostModel;
import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.PathSelector;
import io.pam.net.Safetensors;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import io.pam.onnx.OnnxExporter;
import io.pam.spi.EngineOptions;
import io.pam.spi.InferenceEngine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The CPU backend (OpenCV DNN, {@link CpuBackend}) against ONNX Runtime (default session
 * options: all cores, every graph optimisation) on the same fixed path, exported with
 * {@link OnnxExporter#fixedPath}. One backend per process (their thread pools would otherwise
 * compete), medians of repeated runs after warm-up.
 *
 * <pre>
 * java ... io.pam.bench.OrtVsCpuBenchmark --backend cpu|ort [--routes 1111,0000] [--sizes 1024,2048]
 *      [--warmup 2] [--runs 5] [--weights FILE] [--profile true]
 * </pre>
 * Without {@code --weights}: Kaiming-initialised paper network (speed does not depend on the values).
 * Prints one line per (route, size); for the CPU backend the median time of each segment, for
 * ONNX Runtime ({@code --profile true}, the default) the node times of one profiled run by
 * segment and by kind of op.
 */
public final class OrtVsCpuBenchmark {
    private OrtVsCpuBenchmark() {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            if (!argv[i].startsWith("--")) throw new IllegalArgumentException("expected --name value pairs, got " + argv[i]);
            a.put(argv[i].substring(2), argv[i + 1]);
        }
        String backend = a.getOrDefault("backend", "cpu");
        if (!backend.equals("cpu") && !backend.equals("ort")) throw new IllegalArgumentException("--backend must be cpu or ort");
        int warmup = Integer.parseInt(a.getOrDefault("warmup", "2"));
        int runs = Integer.parseInt(a.getOrDefault("runs", "5"));
        Weights w = a.containsKey("weights") ? Safetensors.read(Path.of(a.get("weights")))
                : Weights.init(NetworkSpec.of(NetworkConfig.paper()), 42);
        NetworkSpec spec = NetworkSpec.of(w.config());
        CostModel costs = new CostModel(spec);
        System.out.printf(Locale.ROOT, "backend %s, %d cores, java %s, warm-up %d, runs %d%n", backend,
                Runtime.getRuntime().availableProcessors(), Runtime.version(), warmup, runs);
        for (String r : a.getOrDefault("routes", "1111,0000").split(",")) {
            Route route = Route.parse(r.trim());
            for (String s : a.getOrDefault("sizes", "1024,2048").split(",")) {
                int side = Integer.parseInt(s.trim());
                Tensor x = input(side, side);
                double gmac = costs.routeMacs(route, side, side) / 1e9;
                if (backend.equals("cpu")) cpu(spec, w, costs, route, x, warmup, runs, gmac);
                else ort(spec, w, route, x, warmup, runs, gmac, Boolean.parseBoolean(a.getOrDefault("profile", "true")));
            }
        }
    }

    private static void cpu(NetworkSpec spec, Weights w, CostModel costs, Route route, Tensor x, int warmup, int runs, double gmac) {
        try (InferenceEngine engine = new CpuBackend().open(spec, w, EngineOptions.defaults())) {
            for (int i = 0; i < warmup; i++) engine.run(x, PathSelector.fixed(costs, route, costs.largest()));
            long[] total = new long[runs];
            Map<String, long[]> segments = new LinkedHashMap<>();
            for (int i = 0; i < runs; i++) {
                long t0 = System.nanoTime();
                engine.run(x, PathSelector.fixed(costs, route, costs.largest()));
                total[i] = System.nanoTime() - t0;
                for (Map.Entry<String, Long> e : engine.lastTimings().entrySet())
                    segments.computeIfAbsent(e.getKey(), k -> new long[runs])[i] = e.getValue();
            }
            report("cpu", route, x, total, gmac);
            List<String> parts = new ArrayList<>();
            segments.forEach((k, v) -> parts.add(String.format(Locale.ROOT, "%s %.1f", k, median(v) / 1e6)));
            System.out.println("  cpu segments (median ms): " + String.join(", ", parts));
        }
    }

    private static void ort(NetworkSpec spec, Weights w, Route route, Tensor x, int warmup, int runs, double gmac,
                            boolean profile) throws java.io.IOException {
        long t0 = System.nanoTime();
        try (OrtModel model = new OrtModel(OnnxExporter.fixedPath(w, route))) {
            System.out.printf(Locale.ROOT, "  ort export + session %.1f s%n", (System.nanoTime() - t0) / 1e9);
            for (int i = 0; i < warmup; i++) model.run(x);
            long[] total = new long[runs];
            for (int i = 0; i < runs; i++) {
                long t1 = System.nanoTime();
                model.run(x);
                total[i] = System.nanoTime() - t1;
            }
            report("ort", route, x, total, gmac);
        }
        if (!profile) return;
        // a separate, profiled session (profiling slows runs down): one warm-up, one profiled run
        Path dir = java.nio.file.Files.createTempDirectory("pam-ort-profile");
        String file;
        try (OrtModel model = new OrtModel(OnnxExporter.fixedPath(w, route), dir.resolve("ort").toString())) {
            model.run(x);
            model.run(x);
            file = model.endProfiling();
        }
        OrtProfile p = OrtProfile.read(Path.of(file), spec, route);
        System.out.println("  ort segments (profiled run, ms): " + format(p.bySegmentMs()));
        System.out.println("  ort by kind (profiled run, ms): " + format(p.byKindMs()));
        java.nio.file.Files.deleteIfExists(Path.of(file));
        java.nio.file.Files.deleteIfExists(dir);
    }

    private static String format(Map<String, Double> ms) {
        List<String> parts = new ArrayList<>();
        ms.forEach((k, v) -> parts.add(String.format(Locale.ROOT, "%s %.1f", k, v)));
        return String.join(", ", parts);
    }

    private static void report(String backend, Route route, Tensor x, long[] total, double gmac) {
        double ms = median(total) / 1e6;
        long[] sorted = total.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT, "RESULT %s route %s %dx%d: median %.1f ms (min %.1f, max %.1f), %.1f GMAC, %.1f GMAC/s%n",
                backend, route, x.h(), x.w(), ms, sorted[0] / 1e6, sorted[sorted.length - 1] / 1e6, gmac, gmac / (ms / 1e3));
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2.0;
    }

    private static Tensor input(int h, int w) {
        Random r = new Random(1);
        Tensor x = Tensor.zeros(1, 6, h, w);
        int plane = h * w;
        for (int i = 0; i < 3 * plane; i++) x.data()[i] = r.nextFloat();
        for (int i = 0; i < plane; i++) x.data()[(3 + (i % 7 == 0 ? 0 : i % 7 < 5 ? 1 : 2)) * plane + i] = 1f;
        return x;
    }
}
