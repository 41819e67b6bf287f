package io.pam.train;

import io.pam.Route;
import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.Nchw;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import io.pam.ref.RefTrainingOps;
import io.pam.spi.BackendUnavailableException;
import io.pam.spi.TrainingBackend;
import io.pam.spi.TrainingBackends;
import io.pam.spi.TrainingOps;
import io.pam.train.data.Batch;
import io.pam.train.data.BatchSource;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.LongFunction;

/**
 * The training part of the GPU check, for any training backend (normally {@code cuda}), run as
 * one program on the GPU machine (no Maven there):
 * <ol>
 *   <li>gradient parity: one TRAIN forward and backward of the whole network (alpha, selection
 *       logits, every parameter gradient, BatchNorm running statistics) on the backend and on the
 *       plain-Java reference ({@link RefTrainingOps}), tiny network on every route and the paper
 *       network on three (criterion: {@link #GRAD_TOLERANCE});</li>
 *   <li>optimiser parity: three full {@link Trainer} steps (losses, RAdam on the backend) from the
 *       same weights and batches on both, weights compared;</li>
 *   <li>throughput: stage-1 and stage-3 steps of the paper network at {@code --crop} x {@code --crop},
 *       batch {@code --batch}, samples/s of training time;</li>
 *   <li>a short training run through all stages on procedural batches, with the validation
 *       error before and after.</li>
 * </ol>
 * It avoids {@code java.desktop} (no curve PNGs) so that the runtime carried to the GPU machine
 * stays small. Exit status: 0 pass, 1 a parity check failed, 2 backend unavailable, 3 error.
 *
 * <p>Usage: {@code TrainingCheck [--backend cuda] [--crop 512] [--batch 8] [--steps 10] [--parts parity,steps,throughput,run]
 * [--quick | --smoke]}
 */
public final class TrainingCheck {
    /**
     * Gradient parity criterion. A float implementation cannot match the double reference to
     * 1e-3 on every tensor of the whole network: rounding in the forward flips a few ReLUs, and
     * BatchNorm over few values (the pooled pyramid branches, the 1/32 maps) divides by a tiny
     * spread, which amplifies the differences on the way back. Measured with the CPU float
     * kernels (an independent implementation) against the reference, tiny network at 4x128x128:
     * route 1111, 47 of 205 tensors above 1e-3, worst 3.6e-3 (enc3.pw1.bias); route 1100, worst
     * 2.7e-2 (ppm1.conv3.weight). Hence: at least {@link #GRAD_SHARE} of the tensors within
     * {@link #GRAD_TOLERANCE}, every tensor within {@link #GRAD_LIMIT}; a wiring, scope or kernel
     * bug gives errors of order 1. Each op alone is held to 1e-4 by the backends' op tests.
     */
    static final double GRAD_TOLERANCE = 1e-2, GRAD_SHARE = 0.95, GRAD_LIMIT = 0.1;
    static final String ALL_PARTS = "parity,steps,throughput,run";
    /** Alpha and logits: absolute. */
    static final double OUTPUT_TOLERANCE = 1e-4;

    private TrainingCheck() {}

    public static void main(String[] args) {
        Map<String, String> opt = new HashMap<>(Map.of("backend", "cuda", "crop", "512", "batch", "8", "steps", "10", "parts", ALL_PARTS));
        boolean quick = false, smoke = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--quick")) quick = true;
            else if (a.equals("--smoke")) smoke = true;
            else if (a.startsWith("--") && i + 1 < args.length && opt.containsKey(a.substring(2))) opt.put(a.substring(2), args[++i]);
            else {
                System.err.println("usage: TrainingCheck [--backend cuda] [--crop 512] [--batch 8] [--steps 10] "
                        + "[--parts " + ALL_PARTS + "] [--quick | --smoke]");
                System.exit(3);
            }
        }
        Set<String> parts = new HashSet<>(List.of(opt.get("parts").split(",")));
        if (!Set.of(ALL_PARTS.split(",")).containsAll(parts)) {
            System.err.println("--parts takes a comma-separated subset of " + ALL_PARTS + ", not " + opt.get("parts"));
            System.exit(3);
        }
        int status;
        try {
            status = run(opt.get("backend"), Integer.parseInt(opt.get("crop")), Integer.parseInt(opt.get("batch")),
                    Integer.parseInt(opt.get("steps")), parts, quick, smoke);
        } catch (BackendUnavailableException e) {
            System.out.println("TRAINING RESULT: UNAVAILABLE: " + e.getMessage());
            status = 2;
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.out.println("TRAINING RESULT: ERROR: " + t);
            status = 3;
        }
        System.exit(status);
    }

    /**
     * @param quick fewer routes, no short run
     * @param smoke the tiny network only, one route and the trainer steps (a start-up test of the
     *              carried runtime on a machine without the backend: {@code --backend reference})
     */
    static int run(String backendName, int crop, int batch, int steps, Set<String> parts, boolean quick, boolean smoke) {
        TrainingBackend backend = TrainingBackends.resolve(backendName);
        List<String> summary = new ArrayList<>();
        boolean ok = true;
        try (TrainingOps<?, ?> ops = backend.open(Runtime.getRuntime().availableProcessors());
             RefTrainingOps ref = new RefTrainingOps()) {
            System.out.println("== training check: backend '" + ops.name() + "' against 'reference'");
            // 1. whole-network gradients
            boolean parity = parts.contains("parity");
            List<Route> tinyRoutes = !parity ? List.<Route>of() : smoke ? List.of(Route.parse("1011"))
                    : quick ? List.of(Route.parse("1111"), Route.parse("0000"), Route.parse("1011"))
                    : List.of(Route.all(NetworkSpec.GROUPS));
            ok &= gradientParity(ops, ref, "tiny", NetworkConfig.tiny(), tinyRoutes, 128, summary);
            List<Route> paperRoutes = smoke || !parity ? List.<Route>of() : quick ? List.of(Route.parse("1111"))
                    : List.of(Route.parse("1111"), Route.parse("0110"), Route.parse("0000"));
            ok &= gradientParity(ops, ref, "paper", NetworkConfig.paper(), paperRoutes, 64, summary);
            if (parity && ops.computesLosses()) {
                for (int[] size : smoke ? new int[][] {{2, 64}} : new int[][] {{4, 128}, {2, 96}, {8, 512}}) {
                    LossComparison c = compareLosses(ops, size[0], size[1]);
                    System.out.println("  " + c.line());
                    summary.add(c.line());
                    ok &= c.passes();
                }
            }

            // 2. optimiser steps through the Trainer
            if (parts.contains("steps")) {
                double drift = compareSteps(ops, ref);
                boolean stepsOk = drift < 1e-3;
                ok &= stepsOk;
                summary.add(String.format(Locale.ROOT, "3 trainer steps (tiny, RAdam on the backend): max weight difference %.2e %s", drift,
                        stepsOk ? "ok" : "FAIL (limit 1e-3)"));
            }

            // 3. throughput, 4. short run
            if (!smoke && parts.contains("throughput")) summary.addAll(throughput(ops, crop, batch, steps));
            if (!quick && !smoke && parts.contains("run")) summary.addAll(shortRun(ops, crop, batch));
        }
        System.out.println("== summary");
        summary.forEach(s -> System.out.println("  " + s));
        System.out.println("TRAINING RESULT: " + (ok ? "PASS" : "FAIL"));
        return ok ? 0 : 1;
    }

    // ---- gradient parity --------------------------------------------------------------------

    /**
     * Whole-network gradient parity of one network on the given routes at 4 x side x side: a line
     * per route, a summary line when any ran; whether all passed.
     */
    private static boolean gradientParity(TrainingOps<?, ?> ops, TrainingOps<?, ?> ref, String name, NetworkConfig config, List<Route> routes,
                                          int side, List<String> summary) {
        if (routes.isEmpty()) return true;
        NetworkSpec spec = NetworkSpec.of(config);
        String size = "4x" + side + "x" + side;
        boolean ok = true;
        double worst = 0;
        for (Route r : routes) {
            Compared c = compareGradients(ops, ref, spec, r, 4, side, side);
            System.out.println(c.line(String.format(Locale.ROOT, "%-5s %s %s", name, r, size)));
            worst = Math.max(worst, c.worstGrad());
            ok &= c.passes();
        }
        summary.add(String.format(Locale.ROOT, "gradient parity, %s network, %d routes at %s: worst tensor rel. error %.2e", name, routes.size(),
                size, worst));
        return ok;
    }

    /** What one TRAIN forward + backward produced, on the host. */
    record Result(Tensor alpha, Tensor[] logits, Map<String, float[]> grads, Map<String, float[]> running) {}

    record Compared(double alphaErr, double logitsErr, double worstGrad, String worstName, int over, double worstRunning, int tensors) {
        boolean passes() {
            return alphaErr <= OUTPUT_TOLERANCE && logitsErr <= OUTPUT_TOLERANCE && worstGrad <= GRAD_LIMIT
                    && over <= (1 - GRAD_SHARE) * tensors && worstRunning <= GRAD_TOLERANCE;
        }

        String line(String what) {
            return String.format(Locale.ROOT, "  %s: alpha %.1e, logits %.1e, %d gradient tensors: %d over %.0e, worst %.2e (%s); running stats %.1e  %s",
                    what, alphaErr, logitsErr, tensors, over, GRAD_TOLERANCE, worstGrad, worstName, worstRunning, passes() ? "ok" : "FAIL");
        }
    }

    static Compared compareGradients(TrainingOps<?, ?> ops, TrainingOps<?, ?> ref, NetworkSpec spec, Route route, int n, int h, int w) {
        Random rnd = new Random(11);
        Map<String, float[]> p = Weights.init(spec, 5).copyOf();
        // open the zero-initialised residual branches and keep the prediction inside (0, 1)
        p.forEach((k, v) -> {
            if (k.endsWith(".bn.weight")) for (int i = 0; i < v.length; i++) if (v[i] == 0) v[i] = 0.3f;
        });
        Trainer.startHeadAtOneHalf(spec, p);
        Tensor x = Tensor.zeros(n, 6, h, w);
        for (int b = 0; b < n; b++)
            for (int i = 0; i < h * w; i++) {
                for (int c = 0; c < 3; c++) x.data()[x.index(b, c, 0, 0) + i] = rnd.nextFloat();
                x.data()[x.index(b, 3 + rnd.nextInt(3), 0, 0) + i] = 1f;
            }
        Tensor dAlpha = Tensor.zeros(n, 1, h, w);
        for (int i = 0; i < dAlpha.data().length; i++) dAlpha.data()[i] = (float) rnd.nextGaussian() / dAlpha.data().length;
        Route label = Route.parse("0110");
        Result a = trainPass(ops, spec, p, x, dAlpha, route, label), b = trainPass(ref, spec, p, x, dAlpha, route, label);
        double logitsErr = 0;
        for (int g = 0; g < a.logits.length; g++) logitsErr = Math.max(logitsErr, maxAbs(a.logits[g].data(), b.logits[g].data()));
        if (!a.grads.keySet().equals(b.grads.keySet()))
            throw new IllegalStateException("the backends touched different parameters: " + a.grads.keySet() + " vs " + b.grads.keySet());
        // Some gradients are zero in exact arithmetic (a conv bias or a BatchNorm shift whose output
        // feeds a BatchNorm, which removes per-channel means): both sides then hold rounding noise
        // and their relative error means nothing. Each tensor's error is therefore taken relative to
        // max(its own norm, a floor of 1e-3 of the largest per-element RMS gradient in the network).
        double rmsMax = 0;
        for (float[] g : b.grads.values()) rmsMax = Math.max(rmsMax, norm(g) / Math.sqrt(g.length));
        double worst = 0;
        String worstName = "-";
        int over = 0;
        for (String k : b.grads.keySet()) {
            float[] want = b.grads.get(k);
            double e = distance(a.grads.get(k), want) / Math.max(norm(want), 1e-3 * rmsMax * Math.sqrt(want.length));
            if (e > GRAD_TOLERANCE) over++;
            if (e > worst) {
                worst = e;
                worstName = k;
            }
        }
        double running = 0;
        for (String k : b.running.keySet()) running = Math.max(running, relative(a.running.get(k), b.running.get(k)));
        return new Compared(maxAbs(a.alpha.data(), b.alpha.data()), logitsErr, worst, worstName, over, running, b.grads.size());
    }

    static <T extends Nchw, P> Result trainPass(TrainingOps<T, P> ops, NetworkSpec spec, Map<String, float[]> host, Tensor x,
                                                Tensor dAlpha, Route route, Route label) {
        Map<String, P> p = new LinkedHashMap<>();
        for (NetworkSpec.Param q : spec.params()) p.put(q.name(), ops.fromHost(host.get(q.name())));
        try (TrainingOps.Scope scope = ops.scope()) {
            TrainGraph<T, P> graph = new TrainGraph<>(spec, ops);
            TrainGraph.Pass<T, P> pass = graph.forward(p, ops.upload(x), 70, TrainGraph.Router.fixed(route), TrainGraph.Mode.TRAIN);
            Tensor alpha = ops.download(pass.alpha());
            Tensor[] logits = new Tensor[NetworkSpec.GROUPS], dLogits = new Tensor[NetworkSpec.GROUPS];
            for (int g = 0; g < logits.length; g++) logits[g] = ops.download(pass.output(spec.group(g + 1).logits()));
            Losses.pathCrossEntropy(logits, label, dLogits);
            List<T> dl = new ArrayList<>();
            for (Tensor t : dLogits) dl.add(ops.upload(t));
            Map<String, P> grads = new HashMap<>();
            Set<String> touched = graph.backward(pass, p, ops.upload(dAlpha), dl, grads);
            Map<String, float[]> g = new LinkedHashMap<>();
            for (String k : touched) g.put(k, ops.toHost(grads.get(k)));
            Map<String, float[]> running = new LinkedHashMap<>();
            p.forEach((k, v) -> {
                if (k.endsWith("running_mean") || k.endsWith("running_var")) running.put(k, ops.toHost(v));
            });
            return new Result(alpha, logits, g, running);
        } finally {
            p.values().forEach(ops::release);
        }
    }

    static double maxAbs(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs((double) a[i] - b[i]));
        return m;
    }

    static double norm(float[] a) {
        double n = 0;
        for (float v : a) n += (double) v * v;
        return Math.sqrt(n);
    }

    static double distance(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) d += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
        return Math.sqrt(d);
    }

    /** {@code ||a - b|| / ||b||} (absolute when b is all zeros). */
    static double relative(float[] a, float[] b) {
        double n = norm(b);
        return n == 0 ? distance(a, b) : distance(a, b) / n;
    }

    // ---- trainer steps ----------------------------------------------------------------------

    static TrainConfig tinySteps() {
        return TrainConfig.ci().with(kv("stage1Steps", "3", "stage2Steps", "0", "stage3Steps", "0", "bnBatches", "0",
                "validateEvery", "0", "validationImages", "1", "logEvery", "100", "lr", "1e-3"));
    }

    /** Three stage-1 steps on both backends from the same state; the largest weight difference. */
    static double compareSteps(TrainingOps<?, ?> ops, TrainingOps<?, ?> ref) {
        TrainConfig cfg = tinySteps();
        Map<String, float[]> a = threeSteps(ops, cfg), b = threeSteps(ref, cfg);
        double m = 0;
        for (String k : b.keySet()) m = Math.max(m, maxAbs(a.get(k), b.get(k)));
        return m;
    }

    private static <T extends Nchw, P> Map<String, float[]> threeSteps(TrainingOps<T, P> ops, TrainConfig cfg) {
        try (Trainer<T, P> t = trainer(ops, cfg, line -> {})) {
            t.runUntil(Trainer.FULL, cfg.stage1Steps());
            return t.hostParams();
        }
    }

    static <T extends Nchw, P> Trainer<T, P> trainer(TrainingOps<T, P> ops, TrainConfig cfg, java.util.function.Consumer<String> out) {
        return trainer(ops, cfg, out, seed -> new SyntheticBatches(seed, cfg.batch(), cfg.crop()));
    }

    static <T extends Nchw, P> Trainer<T, P> trainer(TrainingOps<T, P> ops, TrainConfig cfg, java.util.function.Consumer<String> out,
                                                     LongFunction<BatchSource> data) {
        return new Trainer<>(cfg, ops, data, () -> new SyntheticBatches(99, 1, cfg.validationCrop()), out::accept);
    }

    /**
     * A few batches made once and handed out in turn. The throughput figures use it so that they
     * measure the training step: making a procedural 512x512 batch of 8 takes one host thread
     * about 70 ms, and the real pipeline ({@code TrainingData}) makes its batches on worker
     * threads ahead of the trainer anyway.
     */
    static LongFunction<BatchSource> madeBeforehand(TrainConfig cfg, int count) {
        SyntheticBatches maker = new SyntheticBatches(7, cfg.batch(), cfg.crop());
        List<Batch> made = new ArrayList<>();
        for (int i = 0; i < count; i++) made.add(maker.next());
        return seed -> new BatchSource() {
            private int next;

            @Override
            public Batch next() {
                return made.get(next++ % made.size());
            }

            @Override
            public void close() {}
        };
    }

    // ---- the backend's losses ----------------------------------------------------------------

    /** Values: relative; gradient: max abs difference over max |host gradient| (float rounding of the weighted sum). */
    static final double LOSS_VALUE_TOLERANCE = 1e-9, LOSS_GRAD_TOLERANCE = 1e-5;

    record LossComparison(String what, double worstValue, double gradErr, double deviceMs, double hostMs) {
        boolean passes() {
            return worstValue <= LOSS_VALUE_TOLERANCE && gradErr <= LOSS_GRAD_TOLERANCE;
        }

        String line() {
            return String.format(Locale.ROOT, "losses on the backend vs the host, %s: values within %.1e, gradient %.1e; %.1f ms there, %.1f ms on the host  %s",
                    what, worstValue, gradErr, deviceMs, hostMs, passes() ? "ok" : "FAIL");
        }
    }

    /**
     * {@link TrainingOps#mattingLosses} against {@link Losses#total} on a procedural batch with
     * a noisy prediction and a teacher (every term present).
     */
    static LossComparison compareLosses(TrainingOps<?, ?> ops, int n, int side) {
        return compareLossesOn(ops, n, side);
    }

    private static <T extends Nchw, P> LossComparison compareLossesOn(TrainingOps<T, P> ops, int n, int side) {
        LossCheckCase c = LossCheckCase.of(n, side);
        Batch b = c.batch();
        TrainingOps.LossSpec spec = Trainer.LOSSES;
        Losses.total(c.alpha(), b, c.teacher(), spec); // warm-up (the first call of a size also makes the pyramid's workspaces)
        long h0 = System.nanoTime();
        TrainingOps.LossValues<Tensor> host = Losses.total(c.alpha(), b, c.teacher(), spec);
        double hostMs = (System.nanoTime() - h0) / 1e6;
        try (TrainingOps.Scope scope = ops.scope()) {
            T a = ops.upload(c.alpha()), in = ops.upload(b.input()), tg = ops.upload(Losses.targets(b)), te = ops.upload(c.teacher());
            ops.mattingLosses(a, in, tg, te, spec); // warm-up
            ops.synchronize();
            long d0 = System.nanoTime();
            TrainingOps.LossValues<T> dev = ops.mattingLosses(a, in, tg, te, spec);
            ops.synchronize();
            double deviceMs = (System.nanoTime() - d0) / 1e6;
            double worst = LossCheckCase.valueError(new double[] {dev.l1(), dev.composition(), dev.laplacian(), dev.distillation()},
                    new double[] {host.l1(), host.composition(), host.laplacian(), host.distillation()});
            double gradErr = LossCheckCase.gradientError(ops.download(dev.grad()).data(), host.grad().data());
            return new LossComparison(n + "x" + side + "x" + side, worst, gradErr, deviceMs, hostMs);
        }
    }

    // ---- throughput and a short run ---------------------------------------------------------

    static List<String> throughput(TrainingOps<?, ?> ops, int crop, int batch, int steps) {
        TrainConfig cfg = TrainConfig.paper().with(kv("crop", String.valueOf(crop), "batch", String.valueOf(batch),
                "stage1Steps", String.valueOf(steps + 2), "stage2Steps", "1", "stage3Steps", String.valueOf(steps + 2),
                "priorImages", String.valueOf(batch), "bnBatches", "0", "validateEvery", "0", "validationImages", "1",
                "validationCrop", "64", "logEvery", "1000", "checkpointEvery", "100000"));
        return timeStages(ops, cfg, steps);
    }

    private static <T extends Nchw, P> List<String> timeStages(TrainingOps<T, P> ops, TrainConfig cfg, int steps) {
        List<String> r = new ArrayList<>();
        LongFunction<BatchSource> data = madeBeforehand(cfg, 4);
        try (Trainer<T, P> t = trainer(ops, cfg, line -> {}, data)) {
            t.runUntil(Trainer.FULL, 2); // warm-up: kernels, algorithms, the memory pool
            long t0 = System.nanoTime();
            t.runUntil(Trainer.FULL, 2 + steps);
            double s1 = (System.nanoTime() - t0) / 1e9;
            r.add(String.format(Locale.ROOT, "stage 1 (full path) paper network %dx%d batch %d, data made beforehand: %.2f samples/s (%.3f s/step)",
                    cfg.crop(), cfg.crop(), cfg.batch(), steps * cfg.batch() / s1, s1 / steps));
            t.runUntil(Trainer.PATHS, 2); // stage 2, the prior, two warm-up steps of stage 3
            t0 = System.nanoTime();
            t.runUntil(Trainer.PATHS, 2 + steps);
            double s3 = (System.nanoTime() - t0) / 1e9;
            r.add(String.format(Locale.ROOT, "stage 3 (Algorithm 1: %d prior routes + network route + label route) %dx%d batch %d: %.2f samples/s (%.3f s/step)",
                    cfg.priorDraws(), cfg.crop(), cfg.crop(), cfg.batch(), steps * cfg.batch() / s3, s3 / steps));
        }
        // the same stage-1 steps with each optional feature of the backend turned off in turn
        for (Feature off : Feature.values()) {
            if (off == Feature.LOSSES && !ops.computesLosses()) continue;
            try (Trainer<T, P> t = trainer(without(ops, off), cfg, line -> {}, data)) {
                t.runUntil(Trainer.FULL, 2);
                long t0 = System.nanoTime();
                t.runUntil(Trainer.FULL, 2 + steps);
                double s1 = (System.nanoTime() - t0) / 1e9;
                String how = off == Feature.COPY_AHEAD ? "each batch uploaded when used (no copy ahead)"
                        : "losses on the host (alpha down, gradient up)";
                r.add(String.format(Locale.ROOT, "stage 1 as above, %s: %.2f samples/s (%.3f s/step)", how, steps * cfg.batch() / s1, s1 / steps));
            }
        }
        // where a stage-1 step goes, op by op (synchronised after every op)
        OpProfile profile = new OpProfile();
        try (Trainer<T, P> t = trainer(profile.wrap(ops), cfg, line -> {}, data)) {
            t.runUntil(Trainer.FULL, 1);
            profile.clear();
            t.runUntil(Trainer.FULL, 4);
        }
        System.out.println("  op profile of 3 stage-1 steps (synchronised after each op):");
        profile.report(14).forEach(l -> System.out.println("    " + l));
        // the host's share: the losses of one batch (alpha in, gradient out)
        Batch b = data.apply(0).next();
        Losses.laplacian(b.alpha(), b.alpha(), b.input()); // warm-up
        long t0 = System.nanoTime();
        for (int i = 0; i < 3; i++) {
            Losses.l1(b.alpha(), b.alpha(), b.input());
            Losses.composition(b.alpha(), b.fg(), b.bg(), b.input());
            Losses.laplacian(b.alpha(), b.alpha(), b.input());
        }
        r.add(String.format(Locale.ROOT, "host losses (L1 + composition + Laplacian) per batch: %.1f ms", (System.nanoTime() - t0) / 3e6));
        return r;
    }

    /** What {@link #without} can turn off. */
    enum Feature {
        /** {@link TrainingOps#prefetch} becomes an upload when the tensor is taken. */
        COPY_AHEAD,
        /** {@link TrainingOps#computesLosses()} answers false: the trainer downloads alpha and computes the losses on the host. */
        LOSSES
    }

    /**
     * {@code ops} with one optional feature turned off, for the comparisons in the throughput
     * figures; everything else is passed through.
     */
    @SuppressWarnings("unchecked")
    static <T extends Nchw, P> TrainingOps<T, P> without(TrainingOps<T, P> ops, Feature off) {
        InvocationHandler h = (proxy, m, args) -> {
            if (off == Feature.COPY_AHEAD && m.getName().equals("prefetch")) {
                Tensor t = (Tensor) args[0];
                return new TrainingOps.Incoming<T>() {
                    public T take() {
                        return ops.upload(t);
                    }

                    public void close() {}
                };
            }
            if (off == Feature.LOSSES && m.getName().equals("computesLosses")) return false;
            try {
                return m.invoke(ops, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (TrainingOps<T, P>) Proxy.newProxyInstance(TrainingOps.class.getClassLoader(), new Class<?>[] {TrainingOps.class}, h);
    }

    static List<String> shortRun(TrainingOps<?, ?> ops, int crop, int batch) {
        TrainConfig cfg = TrainConfig.paper().with(kv("crop", String.valueOf(crop), "batch", String.valueOf(batch),
                "stage1Steps", "60", "stage2Steps", "20", "stage3Steps", "20", "priorImages", String.valueOf(2 * batch),
                "bnBatches", "4", "validateEvery", "0", "validationImages", "4", "validationCrop", "320", "logEvery", "20",
                "checkpointEvery", "100000", "lr", "1e-3"));
        return shortRunOn(ops, cfg);
    }

    private static <T extends Nchw, P> List<String> shortRunOn(TrainingOps<T, P> ops, TrainConfig cfg) {
        System.out.println("== short training run: paper network, " + cfg.crop() + "x" + cfg.crop() + " batch " + cfg.batch() + ", stages "
                + cfg.stage1Steps() + "/" + cfg.stage2Steps() + "/" + cfg.stage3Steps() + " steps, procedural batches");
        long t0 = System.nanoTime();
        try (Trainer<T, P> t = trainer(ops, cfg, line -> System.out.println("  " + line))) {
            t.run();
            String budget = t.history().validations.getFirst().budget();
            List<History.ValidationPoint> v = t.history().validations.stream().filter(p -> p.budget().equals(budget)).toList();
            double first = v.getFirst().l1(), last = v.getLast().l1();
            List<History.LossPoint> losses = t.history().losses;
            int k = Math.min(10, losses.size() / 2);
            return List.of(String.format(Locale.ROOT,
                    "short run (%d steps, %.0f s): training L1 (mean of %d steps) %.4f -> %.4f, validation L1 at '%s' %.4f -> %.4f %s",
                    losses.size(), (System.nanoTime() - t0) / 1e9, k, meanL1(losses.subList(0, k)),
                    meanL1(losses.subList(losses.size() - k, losses.size())), budget, first, last, last < first ? "(improved)" : "(NOT improved)"));
        }
    }

    /** A map from alternating keys and values (more pairs than Map.of takes). */
    static Map<String, String> kv(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) m.put(pairs[i], pairs[i + 1]);
        return m;
    }

    private static double meanL1(List<History.LossPoint> l) {
        return l.stream().mapToDouble(p -> p.parts()[1]).average().orElse(Double.NaN);
    }
}
