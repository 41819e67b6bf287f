package io.pam.cuda.tools;

import io.pam.Route;
import io.pam.cuda.CudaBackend;
import io.pam.cuda.CudaEngine;
import io.pam.cuda.CudaSettings;
import io.pam.net.CostModel;
import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.PathSelector;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import io.pam.ref.ReferenceExecutor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.IntStream;

/**
 * The GPU check, one process, one report: device and libraries; forward parity of the paper
 * network with the plain-Java reference (16 routes, 2 sizes, several engine settings);
 * budget-routed runs; inference speed at 1024 and 2048 (routes 1111, 1011, 0000, FP32 and
 * TF32, with the upload/network/download phases of run()); a leak check ({@link LeakCheck});
 * training: see {@code io.pam.train.TrainingCheck} (pam-train), which scripts/gpu-check.sh runs next. Exit status 0 when FP32 parity and the leak check
 * hold, 1 when either fails, 2 when the backend is unavailable, 3 on an unexpected error.
 *
 * <p>Usage: {@code GpuCheck [--quick]} ({@code --quick}: parity and 1024 only).
 */
public final class GpuCheck {
    private static final double TOLERANCE = 1e-3;
    private static final int[][] PARITY_SIZES = {{64, 64}, {96, 160}};
    private static final String[] BENCH_ROUTES = {"1111", "1011", "0000"};
    private static final double EMBED_BUDGET = 66;

    private final NetworkSpec spec = NetworkSpec.paper();
    private final Weights weights = parityWeights(spec, 42);
    private final CostModel cost = new CostModel(spec);
    private final ReferenceExecutor reference = new ReferenceExecutor(spec, weights);
    private final List<String> summary = new ArrayList<>();
    private boolean parityFailed, leakFailed;

    /**
     * Random weights that keep activations O(1): {@link Weights#randomForTests} compounds
     * through the residual modules (activations up to 1e5 in the paper network, alpha then
     * clamped almost everywhere, and FP32 rounding of such sums alone near 1e-3). Here the
     * zero-init residual gammas are scaled by 0.3 and the last layer by 0.1 around a bias of
     * 0.5, so that nearly every prediction lies inside (0, 1), where alpha is most sensitive.
     */
    public static Weights parityWeights(NetworkSpec spec, long seed) {
        Map<String, float[]> m = Weights.randomForTests(spec, seed).copyOf();
        for (Node n : spec.nodes()) {
            if (n.conv() != null && n.conv().zeroInitGamma()) {
                float[] g = m.get(n.name() + ".bn.weight");
                for (int i = 0; i < g.length; i++) g[i] *= 0.3f;
            }
        }
        float[] w = m.get("head.out.weight");
        for (int i = 0; i < w.length; i++) w[i] *= 0.1f;
        m.get("head.out.bias")[0] = 0.5f;
        return Weights.of(spec, m);
    }

    public static void main(String[] args) {
        boolean quick = Arrays.asList(args).contains("--quick");
        CudaBackend backend = new CudaBackend();
        System.out.println("== PAM GPU check ==");
        if (!backend.isAvailable()) {
            System.out.println("CUDA backend unavailable:\n" + backend.unavailableReason());
            System.out.println("RESULT: UNAVAILABLE");
            System.exit(2);
        }
        try {
            GpuCheck c = new GpuCheck();
            c.run(backend, quick);
            System.out.println("\n== summary ==");
            c.summary.forEach(System.out::println);
            String failed = (c.parityFailed ? " FP32 parity (above " + TOLERANCE + " or routing)" : "") + (c.leakFailed ? " leak check" : "");
            System.out.println("RESULT: " + (failed.isEmpty() ? "PASS" : "FAIL:" + failed));
            System.exit(failed.isEmpty() ? 0 : 1);
        } catch (RuntimeException | Error e) {
            System.out.println("RESULT: ERROR " + e);
            e.printStackTrace(System.out);
            System.exit(3);
        }
    }

    private void run(CudaBackend backend, boolean quick) {
        long start = System.nanoTime();
        CudaSettings fp32 = CudaSettings.defaults();
        try (CudaEngine e = backend.open(spec, weights, fp32)) {
            System.out.println("device: " + e.deviceDescription());
            summary.add("device: " + e.deviceDescription().lines().findFirst().orElse(""));
        }
        System.out.printf(Locale.ROOT, "network: paper config, %.3f M parameters, random parity weights (seed 42)%n", spec.parameterCount() / 1e6);

        System.out.println("\n== parity vs ReferenceExecutor (max |alpha - ref|, tolerance " + TOLERANCE + ") ==");
        Map<String, Tensor> refs = references();
        System.out.printf(Locale.ROOT, "reference computed in %.1f s; unknown pixels with alpha inside (0,1) (sensitive to errors): %.1f%%%n",
                (System.nanoTime() - start) / 1e9, 100 * insideFraction(refs));
        parity(backend, fp32, refs, true);
        parity(backend, fp32.withDepthwiseKernel(false).withPoolingKernel(true).withMeasureAlgorithms(false), refs, true);
        parity(backend, fp32.withMath(CudaSettings.MathMode.TF32), refs, false);

        System.out.println("\n== budget-routed runs (96x160, routes decided by the selection layers) ==");
        routed(backend, fp32);

        System.out.println("\n== leak check (paper network, 64x64 and 64x96, FP32) ==");
        leaks(backend, fp32);

        System.out.println("\n== inference speed (median of 20 after 3 warm-ups; GMAC of the route at that size) ==");
        int[] sides = quick ? new int[] {1024} : new int[] {1024, 2048};
        bench(backend, fp32, sides, BENCH_ROUTES, 20);
        bench(backend, fp32.withMath(CudaSettings.MathMode.TF32), sides, BENCH_ROUTES, 20);
        if (!quick) {
            bench(backend, fp32.withDepthwiseKernel(false), new int[] {2048}, new String[] {"1111"}, 10);
            bench(backend, fp32.withMath(CudaSettings.MathMode.TF32).withDepthwiseKernel(false), new int[] {2048}, new String[] {"1111"}, 10);
        }

        System.out.println("\n== training ==");
        System.out.println("training: checked by io.pam.train.TrainingCheck (pam-train; step 3 of scripts/gpu-check.sh)");
        System.out.printf(Locale.ROOT, "%nGPU check took %.1f s%n", (System.nanoTime() - start) / 1e9);
    }

    private static Tensor input(int h, int w, long seed) {
        Random r = new Random(seed);
        Tensor t = Tensor.zeros(1, NetworkSpec.INPUT_CHANNELS, h, w);
        int plane = h * w;
        for (int i = 0; i < 3 * plane; i++) t.data()[i] = r.nextFloat();
        // trimap one-hot with blobs of each class, so that unknown regions are contiguous
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double v = Math.sin(x * 0.11 + seed) + Math.cos(y * 0.07 - seed);
                int cls = v < -0.5 ? 0 : v < 0.7 ? 1 : 2;
                t.data()[(3 + cls) * plane + y * w + x] = 1f;
            }
        }
        return t;
    }

    private static String key(int[] size, Route r) {
        return size[0] + "x" + size[1] + "/" + r;
    }

    /** Reference alphas of every route at both sizes, computed in parallel (the reference is slow). */
    private Map<String, Tensor> references() {
        Map<String, Tensor> refs = new ConcurrentHashMap<>();
        List<Object[]> jobs = new ArrayList<>();
        for (int[] s : PARITY_SIZES) for (Route r : Route.all(NetworkSpec.GROUPS)) jobs.add(new Object[] {s, r});
        IntStream.range(0, jobs.size()).parallel().forEach(i -> {
            int[] s = (int[]) jobs.get(i)[0];
            Route r = (Route) jobs.get(i)[1];
            refs.put(key(s, r), reference.run(input(s[0], s[1], s[0] + s[1]), PathSelector.fixed(cost, r, EMBED_BUDGET)).alpha());
        });
        return refs;
    }

    /** Fraction of the unknown pixels of the parity inputs whose reference alpha is strictly inside (0, 1). */
    private static double insideFraction(Map<String, Tensor> refs) {
        long inside = 0, unknown = 0;
        for (int[] s : PARITY_SIZES) {
            Tensor x = input(s[0], s[1], s[0] + s[1]);
            int plane = s[0] * s[1];
            for (Route r : Route.all(NetworkSpec.GROUPS)) {
                float[] a = refs.get(key(s, r)).data();
                for (int i = 0; i < plane; i++) {
                    if (x.data()[4 * plane + i] == 1f) {
                        unknown++;
                        if (a[i] > 0f && a[i] < 1f) inside++;
                    }
                }
            }
        }
        return unknown == 0 ? 0 : (double) inside / unknown;
    }

    private static double maxAbs(Tensor a, Tensor b) {
        if (!a.shape().equals(b.shape())) throw new IllegalStateException("shape " + a + " vs " + b);
        double m = 0;
        for (int i = 0; i < a.data().length; i++) {
            double d = Math.abs(a.data()[i] - b.data()[i]);
            if (!(d <= m)) m = Double.isNaN(d) ? Double.NaN : d;
            if (Double.isNaN(m)) return m;
        }
        return m;
    }

    private void parity(CudaBackend backend, CudaSettings settings, Map<String, Tensor> refs, boolean counts) {
        System.out.println("settings: " + settings + (counts ? "" : " (informational: TF32 is not expected to meet " + TOLERANCE + ")"));
        long t = System.nanoTime();
        try (CudaEngine e = backend.open(spec, weights, settings)) {
            for (int[] s : PARITY_SIZES) {
                Tensor x = input(s[0], s[1], s[0] + s[1]);
                double worst = 0;
                Route worstRoute = null;
                StringBuilder all = new StringBuilder();
                for (Route r : Route.all(NetworkSpec.GROUPS)) {
                    double err = maxAbs(e.run(x, PathSelector.fixed(cost, r, EMBED_BUDGET)), refs.get(key(s, r)));
                    all.append(String.format(Locale.ROOT, " %s:%.1e", r, err));
                    if (!(err <= worst)) {
                        worst = err;
                        worstRoute = r;
                    }
                }
                boolean ok = worst <= TOLERANCE;
                String line = String.format(Locale.ROOT, "  %dx%d: worst %.2e (route %s) %s", s[0], s[1], worst, worstRoute,
                        counts ? (ok ? "ok" : "FAIL") : "");
                System.out.println(line);
                System.out.println("    " + all.toString().trim());
                summary.add("parity [" + settings + "] " + line.trim());
                if (counts && !ok) {
                    parityFailed = true;
                    diagnose(backend, settings, s, worstRoute);
                }
            }
            System.out.println("  plan: " + e.describePlan());
        } catch (RuntimeException ex) {
            if (counts) parityFailed = true;
            System.out.println("  ERROR " + ex);
            ex.printStackTrace(System.out);
            summary.add("parity [" + settings + "] ERROR " + ex.getMessage().lines().findFirst().orElse(""));
        }
        System.out.printf(Locale.ROOT, "  (%.1f s)%n", (System.nanoTime() - t) / 1e9);
    }

    /** Reruns one route keeping every intermediate tensor and names the first node that deviates. */
    private void diagnose(CudaBackend backend, CudaSettings settings, int[] s, Route r) {
        if (r == null) return;
        Tensor x = input(s[0], s[1], s[0] + s[1]);
        var ref = reference.run(x, PathSelector.fixed(cost, r, EMBED_BUDGET));
        try (CudaEngine e = backend.open(spec, weights, settings.withReuseMemory(false))) {
            e.run(x, PathSelector.fixed(cost, r, EMBED_BUDGET));
            int shown = 0;
            for (Node n : spec.nodesOn(r)) {
                Tensor want = ref.tensors().get(n.name());
                double scale = 1;
                for (float v : want.data()) scale = Math.max(scale, Math.abs(v));
                double rel = maxAbs(e.tensor(n.name()), want) / scale;
                if (!(rel <= TOLERANCE)) {
                    System.out.printf(Locale.ROOT, "    diagnosis: node %s (%s) relative error %.2e (max |ref| %.3g)%n", n.name(), n.op(), rel, scale);
                    if (++shown == 3) break;
                }
            }
            if (shown == 0) System.out.println("    diagnosis: every node matches with memory reuse off: suspect buffer reuse");
        } catch (RuntimeException ex) {
            System.out.println("    diagnosis failed: " + ex);
        }
    }

    private void routed(CudaBackend backend, CudaSettings settings) {
        int[] s = {96, 160};
        Tensor x = input(s[0], s[1], 3);
        try (CudaEngine e = backend.open(spec, weights, settings)) {
            for (double budget : new double[] {58.5, 62, 66, 70, 74, 80}) {
                PathSelector mine = new PathSelector(cost, budget), theirs = new PathSelector(cost, budget);
                Tensor got = e.run(x, mine);
                var want = reference.run(x, theirs);
                double err = maxAbs(got, want.alpha());
                boolean ok = mine.route().equals(want.route()) && err <= TOLERANCE && cost.gmac(mine.route()) < budget;
                String line = String.format(Locale.ROOT, "  budget %5.1f: route %s (reference %s, %.2f GMAC) max err %.2e %s", budget,
                        mine.route(), want.route(), cost.gmac(mine.route()), err, ok ? "ok" : "FAIL");
                System.out.println(line);
                if (!ok) {
                    parityFailed = true;
                    summary.add("routing FAIL:" + line);
                }
            }
            summary.add("routing: budgets 58.5..80 checked");
        } catch (RuntimeException ex) {
            parityFailed = true;
            System.out.println("  ERROR " + ex);
            ex.printStackTrace(System.out);
        }
    }

    private void leaks(CudaBackend backend, CudaSettings settings) {
        long t = System.nanoTime();
        try {
            LeakCheck.Result r = LeakCheck.run(backend, spec, weights, settings);
            System.out.println("  " + r.report());
            summary.add("leak check: " + (r.problems().isEmpty() ? "ok (" + r.runs() + " runs, memory returned on close)" : "FAIL " + r.problems()));
            if (!r.problems().isEmpty()) leakFailed = true;
        } catch (RuntimeException ex) {
            leakFailed = true;
            System.out.println("  ERROR " + ex);
            ex.printStackTrace(System.out);
            summary.add("leak check ERROR " + ex.getMessage());
        }
        System.out.printf(Locale.ROOT, "  (%.1f s)%n", (System.nanoTime() - t) / 1e9);
    }

    private void bench(CudaBackend backend, CudaSettings settings, int[] sides, String[] routes, int runs) {
        System.out.println("settings: " + settings);
        try (CudaEngine e = backend.open(spec, weights, settings)) {
            for (int side : sides) {
                Tensor x = input(side, side, 1);
                for (String rs : routes) {
                    Route r = Route.parse(rs);
                    long t0 = System.nanoTime();
                    e.run(x, PathSelector.fixed(cost, r, EMBED_BUDGET));
                    double first = (System.nanoTime() - t0) / 1e6;
                    for (int i = 0; i < 2; i++) e.run(x, PathSelector.fixed(cost, r, EMBED_BUDGET));
                    double[] net = new double[runs], total = new double[runs], up = new double[runs], down = new double[runs];
                    for (int i = 0; i < runs; i++) {
                        long a = System.nanoTime();
                        e.run(x, PathSelector.fixed(cost, r, EMBED_BUDGET));
                        total[i] = (System.nanoTime() - a) / 1e6;
                        Map<String, Long> t = e.lastTimings();
                        net[i] = t.get("network") / 1e6;
                        up[i] = t.get("upload") / 1e6;
                        down[i] = t.get("download") / 1e6;
                    }
                    Arrays.sort(net);
                    Arrays.sort(total);
                    Arrays.sort(up);
                    Arrays.sort(down);
                    double gmac = cost.routeMacs(r, side, side) / 1e9;
                    String line = String.format(Locale.ROOT, "  %4d^2 route %s: network %.2f ms (p10 %.2f, p90 %.2f) = %.0f GMAC/s on %.1f GMAC;"
                                    + " run() %.2f ms = upload %.2f + network + download %.2f (+ %.2f other, medians); first run (plan) %.0f ms",
                            side, r, net[runs / 2], net[runs / 10], net[runs * 9 / 10], gmac / (net[runs / 2] / 1e3), gmac, total[runs / 2],
                            up[runs / 2], down[runs / 2], total[runs / 2] - up[runs / 2] - net[runs / 2] - down[runs / 2], first);
                    System.out.println(line);
                    summary.add("bench [" + settings.math().name().toLowerCase(Locale.ROOT) + ", dw " + (settings.depthwiseKernel() ? "kernel" : "cudnn")
                            + "] " + line.trim());
                }
                System.out.println("  plan: " + e.describePlan());
            }
        } catch (RuntimeException ex) {
            System.out.println("  ERROR " + ex);
            ex.printStackTrace(System.out);
            summary.add("bench [" + settings + "] ERROR " + ex.getMessage().lines().findFirst().orElse(""));
        }
    }
}
