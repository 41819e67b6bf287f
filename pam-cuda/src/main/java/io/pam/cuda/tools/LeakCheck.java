package io.pam.cuda.tools;

import io.pam.Route;
import io.pam.cuda.CudaBackend;
import io.pam.cuda.CudaEngine;
import io.pam.cuda.CudaMemory;
import io.pam.cuda.CudaSettings;
import io.pam.net.CostModel;
import io.pam.net.NetworkSpec;
import io.pam.net.PathSelector;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Runs many small inferences on one engine and checks that memory stays bounded, then that
 * closing the engine gives it back. Used by {@code CudaLeakTest} and by {@link GpuCheck}.
 *
 * <p>The runs alternate between two sizes every 25 runs (each switch replaces the plan: device
 * buffers, descriptors, pinned staging) and between fixed and budget-routed selectors (the
 * routing copies). Memory is compared between two points at the end of a block of the same
 * size, 200 runs apart; and before opening vs after closing the engine, after a first engine
 * has warmed the process-wide state (every route run once at each size: cuDNN's lazily loaded
 * kernels, the algorithm choices, the NVRTC image cache).
 */
public final class LeakCheck {
    private LeakCheck() {}

    /** Slack of device free memory (cudaMemGetInfo also sees cuDNN's and the driver's own pools). */
    public static final long DEVICE_SLACK_BYTES = 16L << 20;
    /** Slack of the process's resident set between the two points (JIT, heap noise). */
    public static final long RSS_SLACK_BYTES = 64L << 20;

    /**
     * What was measured and what went wrong (empty {@code problems}: no leak).
     *
     * @param runs     inferences run
     * @param opened   before opening the measured engine (after the warm-up engine closed)
     * @param early    after run 75 (end of a block at the first size)
     * @param late     after run 275 (end of a block at the same size)
     * @param closed   after closing the measured engine
     * @param problems human-readable failures
     */
    public record Result(int runs, CudaMemory opened, CudaMemory early, CudaMemory late, CudaMemory closed, List<String> problems) {
        public String report() {
            return String.format(Locale.ROOT, "%d runs%n    before open: %s%n    after run %d: %s%n    after run %d: %s%n    after close: %s%n    %s",
                    runs, opened, EARLY, early, LATE, late, closed, problems.isEmpty() ? "no leak" : "LEAK: " + String.join("; ", problems));
        }
    }

    private static final int RUNS = 300, EARLY = 75, LATE = 275, BLOCK = 25;

    /** Runs the check (a GPU is required). */
    public static Result run(CudaBackend backend, NetworkSpec spec, Weights weights, CudaSettings settings) {
        CostModel cost = new CostModel(spec);
        Tensor[] inputs = {input(64, 64, 1), input(64, 96, 2)};
        double lo = cost.gmac(Route.parse("0000")), hi = cost.gmac(Route.full(NetworkSpec.GROUPS));
        double[] budgets = {(lo + hi) / 2, hi + 1}; // routed by the selection layers; unconstrained
        // every route and both selectors at both sizes: algorithm choices measured and cuDNN's
        // lazily loaded kernels resident before the first measurement
        try (CudaEngine warm = backend.open(spec, weights, settings)) {
            for (Tensor x : inputs) {
                for (Route r : Route.all(NetworkSpec.GROUPS)) warm.run(x, PathSelector.fixed(cost, r, (lo + hi) / 2));
                for (double b : budgets) warm.run(x, new PathSelector(cost, b));
            }
        }
        CudaMemory opened = settle(settings), early = null, late = null;
        try (CudaEngine e = backend.open(spec, weights, settings)) {
            for (int i = 1; i <= RUNS; i++) {
                Tensor x = inputs[(i - 1) / BLOCK % 2];
                PathSelector s = i % 2 == 0 ? new PathSelector(cost, budgets[i / 2 % 2])
                        : PathSelector.fixed(cost, Route.all(NetworkSpec.GROUPS)[(i - 1) / 2 % 16], (lo + hi) / 2);
                Tensor alpha = e.run(x, s);
                if (alpha.h() != x.h() || alpha.w() != x.w()) throw new IllegalStateException("alpha " + alpha + " for input " + x);
                if (i == EARLY) early = settle(settings);
                if (i == LATE) late = settle(settings);
            }
        }
        CudaMemory closed = settle(settings);
        List<String> problems = new ArrayList<>();
        if (late.allocatedDeviceBytes() != early.allocatedDeviceBytes())
            problems.add("engine device memory grew from " + early.allocatedDeviceBytes() + " to " + late.allocatedDeviceBytes() + " bytes");
        if (late.pinnedHostBytes() != early.pinnedHostBytes())
            problems.add("pinned host memory grew from " + early.pinnedHostBytes() + " to " + late.pinnedHostBytes() + " bytes");
        if (early.deviceFreeBytes() - late.deviceFreeBytes() > DEVICE_SLACK_BYTES)
            problems.add("device free memory fell by " + (early.deviceFreeBytes() - late.deviceFreeBytes()) + " bytes over " + (LATE - EARLY) + " runs");
        if (early.residentHostBytes() >= 0 && late.residentHostBytes() - early.residentHostBytes() > RSS_SLACK_BYTES)
            problems.add("process RSS grew by " + (late.residentHostBytes() - early.residentHostBytes()) + " bytes over " + (LATE - EARLY) + " runs");
        if (closed.allocatedDeviceBytes() != opened.allocatedDeviceBytes())
            problems.add("after close the engines hold " + closed.allocatedDeviceBytes() + " device bytes, before open " + opened.allocatedDeviceBytes());
        if (closed.pinnedHostBytes() != opened.pinnedHostBytes())
            problems.add("after close the engines hold " + closed.pinnedHostBytes() + " pinned bytes, before open " + opened.pinnedHostBytes());
        if (opened.deviceFreeBytes() - closed.deviceFreeBytes() > DEVICE_SLACK_BYTES)
            problems.add("device free memory after close is " + (opened.deviceFreeBytes() - closed.deviceFreeBytes()) + " bytes below before open");
        return new Result(RUNS, opened, early, late, closed, List.copyOf(problems));
    }

    /** Measures after a GC, so that the resident set is not dominated by garbage. */
    private static CudaMemory settle(CudaSettings settings) {
        System.gc();
        return CudaMemory.of(settings.device());
    }

    private static Tensor input(int h, int w, long seed) {
        Random r = new Random(seed);
        Tensor t = Tensor.zeros(1, NetworkSpec.INPUT_CHANNELS, h, w);
        int plane = h * w;
        for (int i = 0; i < 3 * plane; i++) t.data()[i] = r.nextFloat();
        for (int i = 0; i < plane; i++) t.data()[(3 + r.nextInt(3)) * plane + i] = 1f;
        return t;
    }
}
