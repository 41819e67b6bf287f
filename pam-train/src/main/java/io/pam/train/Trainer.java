package io.pam.train;

import io.pam.Route;
import io.pam.net.CostModel;
import io.pam.net.Nchw;
import io.pam.net.NetworkSpec;
import io.pam.net.PathSelector;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import io.pam.spi.TrainingOps;
import io.pam.train.data.Batch;
import io.pam.train.data.BatchSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * The paper's training recipe as a resumable state machine:
 * stage 1 (full network, L_alpha) -> stage 2 (SPOS warm-up, L_alpha + 0.05 L_ds) -> path prior
 * -> stage 3 (Algorithm 1, L_alpha + 0.05 L_ds + 0.05 L_pt) -> stage 4 (BatchNorm
 * re-estimation under learned routing) -> done. Every random choice comes from one {@link Rng}
 * and the data stream is reopened with a seed derived from (stage, step) at every checkpoint
 * boundary, so a run resumed from a checkpoint continues bit for bit.
 *
 * <p>Generic over the backend's data types ({@link TrainingOps}): weights, the teacher and the
 * optimiser state stay in the backend (device memory for a GPU backend) for the whole run; each
 * step moves the batch's input in and the alpha, the selection logits and the loss gradients
 * across, and computes the losses on the host. Every step's temporaries live in one
 * {@link TrainingOps#scope()}. {@link #close()} frees the backend memory the trainer holds.
 */
public final class Trainer<T extends Nchw, P> implements AutoCloseable {
    /** Stage numbers; {@link #DONE} after the BatchNorm re-estimation. */
    public static final int FULL = 1, SPOS = 2, PATHS = 3, BN = 4, DONE = 5;
    static final double W_COMP = 0.25, W_LAP = 0.5, W_DS = 0.05, W_PT = 0.05;

    /** Receives progress lines and events; the command prints them. */
    public interface Listener {
        void line(String text);

        default void checkpoint(Trainer<?, ?> trainer) {}

        default void validated(Trainer<?, ?> trainer) {}
    }

    final TrainConfig cfg;
    final NetworkSpec spec;
    final CostModel costs;
    final TrainingOps<T, P> ops;
    final TrainGraph<T, P> graph;
    final LongFunction<BatchSource> trainData;
    final Supplier<BatchSource> validationData;
    final Listener listener;
    final Route full = Route.full(NetworkSpec.GROUPS);

    Map<String, P> params;
    Map<String, P> teacher;
    RAdam<P> opt;
    Rng rng;
    PathPrior prior;
    boolean priorReady;
    int stage = FULL, step;
    final History history = new History();
    private BatchSource source;
    /**
     * The next training batch, read from {@link #source} while the device ran the current one and
     * already on its way to the backend ({@link TrainingOps#prefetch}); null when none is.
     * Batches are used in the order the source gives them either way: reading ahead only moves
     * the read and the copy earlier, and a batch read ahead is dropped with its source.
     */
    private Ahead<T> ahead;

    /** A batch with its input and, where the backend computes the losses, its loss targets on their way. */
    private record Ahead<T>(Batch batch, TrainingOps.Incoming<T> input, TrainingOps.Incoming<T> targets) {
        void close() {
            input.close();
            if (targets != null) targets.close();
        }
    }

    /** The losses as data, for a backend that computes them ({@link TrainingOps#computesLosses()}). */
    static final TrainingOps.LossSpec LOSSES = Losses.spec(W_COMP, W_LAP, W_DS);
    private long lastCheckpointNanos;
    /** Training time (optimiser steps only: no validation, prior or checkpoint) and work since the last progress line. */
    private long trainNanosSinceLog;
    private int samplesSinceLog, stepsSinceLog;
    private int networkLabels, labels, infeasibleNetworkRoutes;

    public Trainer(TrainConfig cfg, TrainingOps<T, P> ops, LongFunction<BatchSource> trainData, Supplier<BatchSource> validationData,
                   Listener listener) {
        this.cfg = cfg;
        this.spec = NetworkSpec.of(cfg.networkConfig());
        this.costs = new CostModel(spec);
        this.ops = ops;
        this.graph = new TrainGraph<>(spec, ops);
        this.trainData = trainData;
        this.validationData = validationData;
        this.listener = listener;
        Map<String, float[]> init = Weights.init(spec, cfg.seed()).copyOf();
        startHeadAtOneHalf(spec, init);
        this.params = toBackend(init);
        this.opt = newOptimiser();
        this.rng = new Rng(Rng.mix(cfg.seed(), 0xC0FFEE));
        this.prior = new PathPrior(costs, cfg.priorCandidates(), cfg.priorSmoothing());
    }

    /**
     * Starts this (not yet run) trainer from given weights instead of its Kaiming initialisation:
     * every tensor, BatchNorm running statistics included, is copied from {@code w}; the schedule
     * (stage 1 step 0) and the fresh optimiser are unchanged.
     *
     * @throws IllegalArgumentException if {@code w} is for another network config than this run's,
     *         or the trainer has already started
     */
    public void startFrom(Weights w) {
        if (!w.config().equals(cfg.networkConfig()))
            throw new IllegalArgumentException("initial weights are for network config " + w.config() + ", but this run trains '"
                    + cfg.network() + "' = " + cfg.networkConfig());
        if (stage != FULL || step != 0 || !history.validations.isEmpty())
            throw new IllegalStateException("initial weights can only be set before training starts (now at stage " + stage
                    + " step " + step + ")");
        Map<String, float[]> m = new LinkedHashMap<>();
        for (NetworkSpec.Param p : spec.params()) m.put(p.name(), w.get(p.name()));
        setParams(m);
    }

    /** Copies host tensors into backend parameter vectors, in the description's order. */
    private Map<String, P> toBackend(Map<String, float[]> host) {
        Map<String, P> m = new LinkedHashMap<>();
        for (NetworkSpec.Param p : spec.params()) m.put(p.name(), ops.fromHost(host.get(p.name())));
        return m;
    }

    private Map<String, float[]> toHost(Map<String, P> m) {
        Map<String, float[]> r = new LinkedHashMap<>();
        m.forEach((k, v) -> r.put(k, ops.toHost(v)));
        return r;
    }

    private void releaseAll(Map<String, P> m) {
        if (m != null) m.values().forEach(ops::release);
    }

    /** Replaces the weights (the previous vectors are freed). */
    void setParams(Map<String, float[]> host) {
        Map<String, P> old = params;
        params = toBackend(host);
        releaseAll(old);
    }

    /** Replaces the teacher (null: none). */
    void setTeacher(Map<String, float[]> host) {
        releaseAll(teacher);
        teacher = host == null ? null : toBackend(host);
    }

    /** Host copies of the weights, in the description's order. */
    Map<String, float[]> hostParams() {
        return toHost(params);
    }

    /** Host copies of the teacher's weights, or null before stage 2. */
    Map<String, float[]> hostTeacher() {
        return teacher == null ? null : toHost(teacher);
    }

    /** Frees the weights, the teacher and the optimiser state held in the backend. */
    @Override
    public void close() {
        closeSource();
        opt.close();
        releaseAll(params);
        releaseAll(teacher);
        params = Map.of();
        teacher = null;
    }

    /** Scale of the head output's Kaiming weights at the start of training. */
    static final float HEAD_OUT_SCALE = 0.1f;

    /**
     * Starts the prediction near 0.5: the head's output layer (the input of the composition) gets
     * its Kaiming weights scaled by {@link #HEAD_OUT_SCALE} and bias 0.5. With plain Kaiming
     * weights about 60% of the initial predictions fall outside [0, 1] (measured on the tiny
     * network, batch statistics), where the clamp passes no gradient: learning started slowly.
     */
    static void startHeadAtOneHalf(NetworkSpec spec, Map<String, float[]> params) {
        String head = spec.nodes().get(spec.nodes().size() - 1).inputs().get(0);
        float[] w = params.get(head + ".weight"), b = params.get(head + ".bias");
        for (int i = 0; i < w.length; i++) w[i] *= HEAD_OUT_SCALE;
        if (b != null) java.util.Arrays.fill(b, 0.5f);
    }

    private RAdam<P> newOptimiser() {
        return new RAdam<>(ops, cfg.beta1(), cfg.beta2(), cfg.weightDecay());
    }

    public NetworkSpec spec() {
        return spec;
    }

    public int stage() {
        return stage;
    }

    public int step() {
        return step;
    }

    public TrainConfig config() {
        return cfg;
    }

    public History history() {
        return history;
    }

    public PathPrior prior() {
        return priorReady ? prior : null;
    }

    /** The current weights (copy). */
    public Weights weights() {
        return Weights.of(spec, hostParams());
    }

    /** Steps timed at the start of a stage with a wall-clock budget before its step count is fixed. */
    public static final int SIZING_STEPS = 5;

    /** Step counts fixed by timing (stages with a minutes budget; index = stage; 0 = not yet). */
    final int[] sizedSteps = new int[4];
    private long sizingStartNanos;
    private int sizingStage, sizingStartStep;

    private double stageMinutes(int s) {
        return s >= FULL && s <= PATHS ? cfg.stageMinutes()[s - 1] : 0;
    }

    /**
     * Steps of a stage: the configured count, or for a stage with a minutes budget the count fixed
     * after timing its first {@link #SIZING_STEPS} steps ({@code Integer.MAX_VALUE} until then,
     * which keeps the cosine learning rate at its start value meanwhile).
     */
    int stageSteps(int s) {
        if (stageMinutes(s) > 0) return sizedSteps[s] > 0 ? sizedSteps[s] : Integer.MAX_VALUE;
        return switch (s) {
            case FULL -> cfg.stage1Steps();
            case SPOS -> cfg.stage2Steps();
            case PATHS -> cfg.stage3Steps();
            default -> 0;
        };
    }

    /**
     * Fixes the step count of a budgeted stage from the time of its first steps (after the first
     * step of this process, which includes the JIT warm-up; a resumed run times anew).
     */
    private void sizeStage() {
        if (stageMinutes(stage) <= 0 || sizedSteps[stage] > 0) return;
        if (sizingStage != stage) {
            sizingStage = stage;
            sizingStartStep = step;
            sizingStartNanos = System.nanoTime();
        } else if (step - sizingStartStep >= SIZING_STEPS) {
            double perStep = (System.nanoTime() - sizingStartNanos) / 1e9 / (step - sizingStartStep);
            sizedSteps[stage] = Math.max(step + 1, (int) (stageMinutes(stage) * 60 / perStep));
            listener.line(String.format("--- %s: %.2f s per step -> %d steps in %.0f minutes", stageName(stage), perStep,
                    sizedSteps[stage], stageMinutes(stage)));
        }
    }

    /** Steps of all three stages before the current one plus the current step. */
    public int globalStep() {
        int g = step;
        for (int s = FULL; s < Math.min(stage, BN); s++) g += stageSteps(s);
        return g;
    }

    /** Steps of all stages, or -1 while a budgeted stage is not sized yet. */
    long totalSteps() {
        long t = 0;
        for (int s = FULL; s <= PATHS; s++) {
            if (stageSteps(s) == Integer.MAX_VALUE) return -1;
            t += stageSteps(s);
        }
        return t;
    }

    /** Runs to the end. */
    public void run() {
        runUntil(DONE, 0);
    }

    /**
     * Runs until the state reaches ({@code stopStage}, {@code stopStep}) or the end; the state at
     * a stop is a checkpoint boundary when {@code stopStep} is a multiple of checkpointEvery.
     */
    public void runUntil(int stopStage, int stopStep) {
        lastCheckpointNanos = System.nanoTime();
        try {
            while (stage < DONE) {
                if (stage == stopStage && step == stopStep) return;
                if (stage == PATHS && !priorReady) {
                    estimatePrior();
                    checkpoint();
                }
                if (stage == BN) {
                    reestimateNorms();
                    stage = DONE;
                    step = 0;
                    validate();
                    checkpoint();
                    return;
                }
                if (step >= stageSteps(stage)) {
                    endStage();
                    continue;
                }
                if (step % cfg.checkpointEvery() == 0 || source == null) reopenSource();
                if (globalStep() == 0 && history.validations.isEmpty()) validate();
                long stepStart = System.nanoTime();
                trainStep();
                trainNanosSinceLog += System.nanoTime() - stepStart;
                stepsSinceLog++;
                step++;
                sizeStage();
                if (step % cfg.logEvery() == 0) log();
                if (cfg.validateEvery() > 0 && globalStep() % cfg.validateEvery() == 0) validate();
                if (step % cfg.checkpointEvery() == 0) checkpoint();
                else if (cfg.checkpointMinutes() > 0 && System.nanoTime() - lastCheckpointNanos > cfg.checkpointMinutes() * 60e9) {
                    // a time-based checkpoint is a reseed point too: the next batch comes from a stream
                    // seeded by (stage, step), exactly as in a run resumed from this checkpoint
                    closeSource();
                    checkpoint();
                }
            }
        } finally {
            closeSource();
        }
    }

    private void endStage() {
        validate();
        if (stage == FULL) setTeacher(hostParams());
        stage++;
        step = 0;
        opt.close();
        opt = newOptimiser();
        closeSource();
        listener.line(String.format("--- stage %d done; starting %s", stage - 1, stageName(stage)));
        checkpoint();
    }

    private void checkpoint() {
        listener.checkpoint(this);
        lastCheckpointNanos = System.nanoTime();
    }

    static String stageName(int s) {
        return switch (s) {
            case FULL -> "stage 1 (full network)";
            case SPOS -> "stage 2 (SPOS warm-up)";
            case PATHS -> "stage 3 (performance-aware path learning)";
            case BN -> "BatchNorm re-estimation";
            default -> "done";
        };
    }

    private void reopenSource() {
        closeSource();
        source = trainData.apply(Rng.mix(cfg.seed(), stage, step));
    }

    private void closeSource() {
        if (ahead != null) ahead.close();
        ahead = null;
        if (source != null) source.close();
        source = null;
    }

    /** The next batch of the source: the one read ahead, else read now, with its input on its way to the backend. */
    private Ahead<T> nextBatch() {
        Ahead<T> next = ahead != null ? ahead : readBatch();
        ahead = null;
        return next;
    }

    private Ahead<T> readBatch() {
        Batch b = source.next();
        TrainingOps.Incoming<T> input = ops.prefetch(b.input());
        try {
            return new Ahead<>(b, input, ops.computesLosses() ? ops.prefetch(Losses.targets(b)) : null);
        } catch (RuntimeException | Error e) {
            input.close();
            throw e;
        }
    }

    /**
     * Called right after a forward pass has been queued, while a device backend runs it: the host
     * reads the next batch and starts its copy now instead of after the step (once per step).
     */
    private void readAhead() {
        if (ahead == null && source != null) ahead = readBatch();
    }

    // ---- one optimiser step ---------------------------------------------------------------

    private void trainStep() {
        double[] parts = new double[6];
        Route spos = stage == SPOS ? new Route(rng.nextInt(1 << NetworkSpec.GROUPS), NetworkSpec.GROUPS) : null;
        try (TrainingOps.Scope scope = ops.scope()) {
            Map<String, P> grads = new HashMap<>();
            Set<String> touched = new HashSet<>();
            for (int k = 0; k < cfg.accumulate(); k++) {
                Ahead<T> next = nextBatch();
                Batch b = next.batch();
                samplesSinceLog += b.size();
                T input = next.input().take();
                T targets = next.targets() == null ? null : next.targets().take();
                double[] p = switch (stage) {
                    case FULL -> microStep(b, input, targets, full, costs.largest() + 1, false, grads, touched);
                    case SPOS -> microStep(b, input, targets, spos, costs.largest() + 1, false, grads, touched);
                    default -> pathStep(b, input, targets, grads, touched);
                };
                for (int i = 0; i < parts.length; i++) parts[i] += p[i] / cfg.accumulate();
            }
            if (cfg.accumulate() > 1) for (P g : grads.values()) ops.scaleParam(g, 1f / cfg.accumulate());
            double lr = RAdam.cosineLr(cfg.lr(), step, stageSteps(stage));
            opt.step(params, grads, touched, lr);
            history.addLoss(globalStep() + 1, stage, lr, parts);
        }
    }

    /**
     * Forward/backward along a route; returns {total, l1, comp, lap, ds, pt}. The losses are the
     * backend's when it computes them ({@code targets} non-null: alpha and its gradient stay
     * there), else the host's on the downloaded alpha.
     */
    private double[] microStep(Batch b, T input, T targets, Route route, double budget, boolean pathLoss, Map<String, P> grads,
                               Set<String> touched) {
        Tensor teacherAlpha = stage >= SPOS ? teacherAlpha(input) : null;
        TrainGraph.Pass<T, P> pass = graph.forward(params, input, budget, TrainGraph.Router.fixed(route), TrainGraph.Mode.TRAIN);
        readAhead();
        TrainingOps.LossValues<?> losses;
        T g;
        if (targets != null) {
            TrainingOps.LossValues<T> v = ops.mattingLosses(pass.alpha(), input, targets,
                    teacherAlpha == null ? null : ops.upload(teacherAlpha), LOSSES);
            losses = v;
            g = v.grad();
        } else {
            TrainingOps.LossValues<Tensor> v = Losses.total(ops.download(pass.alpha()), b, teacherAlpha, LOSSES);
            losses = v;
            g = ops.upload(v.grad());
        }
        double total = losses.total(LOSSES), pt = 0;
        List<T> dLogits = null;
        if (pathLoss) {
            Tensor[] logits = new Tensor[NetworkSpec.GROUPS];
            for (int i = 0; i < logits.length; i++) logits[i] = ops.download(pass.output(spec.group(i + 1).logits()));
            Tensor[] d = new Tensor[NetworkSpec.GROUPS];
            pt = Losses.pathCrossEntropy(logits, route, d);
            dLogits = new ArrayList<>();
            for (Tensor t : d) {
                for (int i = 0; i < t.data().length; i++) t.data()[i] *= (float) W_PT;
                dLogits.add(ops.upload(t));
            }
            total += W_PT * pt;
        }
        touched.addAll(graph.backward(pass, params, g, dLogits, grads));
        return new double[] {total, losses.l1(), losses.composition(), losses.laplacian(), losses.distillation(), pt};
    }

    private Tensor teacherAlpha(T input) {
        try (TrainingOps.Scope scope = ops.scope()) {
            return ops.download(graph.forward(teacher, input, costs.largest() + 1, TrainGraph.Router.fixed(full), TrainGraph.Mode.EVAL).alpha());
        }
    }

    /** Algorithm 1 for one batch: pick the label route, then train along it. */
    private double[] pathStep(Batch b, T input, T targets, Map<String, P> grads, Set<String> touched) {
        int point = prior.lowestBudget() + rng.nextInt(prior.highestBudget() - prior.lowestBudget() + 1);
        double budget = prior.gmac(point);
        List<Route> drawn = prior.draw(point, cfg.priorDraws(), rng);
        double[] errs = new double[drawn.size()];
        for (int i = 0; i < errs.length; i++) errs[i] = evalError(b, input, drawn.get(i), budget);
        double[] noise = new double[2 * NetworkSpec.GROUPS];
        for (int i = 0; i < noise.length; i++) noise[i] = rng.gumbel();
        Route network;
        double netErr = Double.NaN;
        try (TrainingOps.Scope scope = ops.scope()) {
            TrainGraph.Pass<T, P> np = networkRoute(input, budget, noise);
            network = np.route();
            if (costs.gmac(network) < budget) netErr = Losses.l1(ops.download(np.alpha()), b.alpha(), b.input()).loss();
            else infeasibleNetworkRoutes++;
        }
        Route label = PathLabel.choose(network, netErr, drawn, errs, costs, budget);
        labels++;
        if (label.equals(network)) networkLabels++;
        history.addLabel(budget, label, costs.gmac(label));
        return microStep(b, input, targets, label, budget, true, grads, touched);
    }

    /** L1 of a route on a batch, batch statistics, nothing kept. */
    private double evalError(Batch b, T input, Route r, double budget) {
        try (TrainingOps.Scope scope = ops.scope()) {
            TrainGraph.Pass<T, P> p = graph.forward(params, input, budget, TrainGraph.Router.fixed(r), TrainGraph.Mode.BATCH_STATS);
            readAhead();
            return Losses.l1(ops.download(p.alpha()), b.alpha(), b.input()).loss();
        }
    }

    /**
     * The network's own route: at each selection layer, the batch-mean logits plus Gumbel noise
     * (temperature tau), hard argmax. The budget is not enforced here: an infeasible choice is
     * what Algorithm 1 corrects with a prior label.
     */
    private TrainGraph.Pass<T, P> networkRoute(T input, double budget, double[] noise) {
        TrainGraph.Router gumbel = (g, logits) -> {
            double[] m = meanLogits(logits);
            double c = (m[0] + noise[2 * (g - 1)]) / cfg.gumbelTau(), y = (m[1] + noise[2 * (g - 1) + 1]) / cfg.gumbelTau();
            return c >= y;
        };
        // one pass both decides the route and evaluates it (batch statistics, nothing kept)
        return graph.forward(params, input, budget, gumbel, TrainGraph.Mode.BATCH_STATS);
    }

    static double[] meanLogits(Tensor logits) {
        double a = 0, b = 0;
        for (int n = 0; n < logits.n(); n++) {
            a += logits.data()[2 * n];
            b += logits.data()[2 * n + 1];
        }
        return new double[] {a / logits.n(), b / logits.n()};
    }

    // ---- between and after stages ---------------------------------------------------------

    /** Runs all 16 routes on N_val composites and fills the prior (paper eq. 7). */
    void estimatePrior() {
        listener.line("--- estimating the path prior on " + cfg.priorImages() + " composites (all 16 routes)");
        List<double[]> errors = new ArrayList<>();
        try (BatchSource src = trainData.apply(Rng.mix(cfg.seed(), 0x9A7)) ) {
            while (errors.size() < cfg.priorImages()) {
                Batch b = src.next();
                double[][] per = new double[b.size()][1 << NetworkSpec.GROUPS];
                try (TrainingOps.Scope scope = ops.scope()) {
                    T input = ops.upload(b.input());
                    for (Route r : Route.all(NetworkSpec.GROUPS)) {
                        try (TrainingOps.Scope pass = ops.scope()) {
                            TrainGraph.Pass<T, P> p = graph.forward(params, input, costs.largest() + 1, TrainGraph.Router.fixed(r),
                                    TrainGraph.Mode.BATCH_STATS);
                            double[] l1 = Validation.perImageL1(ops.download(p.alpha()), b.alpha(), b.input());
                            for (int i = 0; i < b.size(); i++) per[i][r.mask()] = l1[i];
                        }
                    }
                }
                for (int i = 0; i < b.size() && errors.size() < cfg.priorImages(); i++) errors.add(per[i]);
            }
        }
        prior.estimate(errors);
        priorReady = true;
    }

    /**
     * Re-estimates every BatchNorm's running statistics under learned routing: {@code bnBatches}
     * batches with random integer budgets routed by {@link PathSelector}; per node and channel the
     * batch means and batch second moments ({@code E[x^2] = var_b + mean_b^2}) are averaged over
     * all batches that ran the node, and {@code var = E[x^2] - mean^2}: the pooled statistics
     * of every sample seen (equal batch sizes), so the variance includes the spread of the batch
     * means (which matters where a BatchNorm sees few values per batch, e.g. on 1x1 maps).
     */
    void reestimateNorms() {
        if (cfg.bnBatches() == 0) return;
        listener.line("--- re-estimating BatchNorm statistics on " + cfg.bnBatches() + " batches under learned routing");
        Map<String, double[]> mean = new HashMap<>(), second = new HashMap<>();
        Map<String, Integer> count = new HashMap<>();
        try (BatchSource src = trainData.apply(Rng.mix(cfg.seed(), 0xB4))) {
            for (int i = 0; i < cfg.bnBatches(); i++) {
                Batch b = src.next();
                double budget = prior.gmac(prior.lowestBudget() + rng.nextInt(prior.highestBudget() - prior.lowestBudget() + 1));
                PathSelector sel = new PathSelector(costs, budget);
                try (TrainingOps.Scope scope = ops.scope()) {
                    TrainGraph.Pass<T, P> p = graph.forward(params, ops.upload(b.input()), budget, selectorRouter(sel),
                            TrainGraph.Mode.BATCH_STATS);
                    for (String node : graph.normNodes()) {
                        TrainGraph.NormStats<P> st = p.normStats(node);
                        if (st == null) continue;
                        float[] mu = ops.toHost(st.mean()), inv = ops.toHost(st.invStd());
                        double[] sm = mean.computeIfAbsent(node, k -> new double[mu.length]);
                        double[] s2 = second.computeIfAbsent(node, k -> new double[mu.length]);
                        for (int c = 0; c < sm.length; c++) {
                            double var = 1.0 / ((double) inv[c] * inv[c]) - NetworkSpec.BN_EPS;
                            sm[c] += mu[c];
                            s2[c] += Math.max(var, 0) + (double) mu[c] * mu[c];
                        }
                        count.merge(node, 1, Integer::sum);
                    }
                }
            }
        }
        for (String node : mean.keySet()) {
            int n = count.get(node);
            float[] rm = new float[mean.get(node).length], rv = new float[rm.length];
            for (int c = 0; c < rm.length; c++) {
                double mu = mean.get(node)[c] / n;
                rm[c] = (float) mu;
                rv[c] = (float) Math.max(second.get(node)[c] / n - mu * mu, 0);
            }
            ops.write(params.get(node + ".bn.running_mean"), rm);
            ops.write(params.get(node + ".bn.running_var"), rv);
        }
    }

    static TrainGraph.Router selectorRouter(PathSelector sel) {
        return (g, logits) -> {
            double[] m = meanLogits(logits);
            return sel.decide(g, new float[] {(float) m[0], (float) m[1]});
        };
    }

    // ---- validation -----------------------------------------------------------------------

    /**
     * Validates on the held-aside images at the named budgets (GMAC@1024; for other networks
     * the same fractions of their cost range): before stage 3 the most expensive feasible fixed
     * route, from stage 3 on the learned routing. One image at a time, running statistics.
     */
    public void validate() {
        Map<String, double[]> sums = new LinkedHashMap<>();
        Map<String, Double> budgets = Validation.namedBudgets(costs);
        int images = 0;
        try (BatchSource src = validationData.get()) {
            while (images < cfg.validationImages()) {
                Batch b = src.next();
                for (int i = 0; i < b.size() && images < cfg.validationImages(); i++, images++) {
                    Batch one = Validation.slice(b, i);
                    // the image goes up once; each budget's pass has its own scope inside the image's
                    try (TrainingOps.Scope image = ops.scope()) {
                        T input = ops.upload(one.input());
                        for (Map.Entry<String, Double> e : budgets.entrySet()) {
                            double budget = e.getValue();
                            TrainGraph.Router router = stage >= PATHS && priorReady
                                    ? selectorRouter(new PathSelector(costs, budget))
                                    : TrainGraph.Router.fixed(Validation.bestFixedRoute(costs, budget));
                            Route ran;
                            Tensor alpha;
                            try (TrainingOps.Scope pass = ops.scope()) {
                                TrainGraph.Pass<T, P> p = graph.forward(params, input, budget, router, TrainGraph.Mode.EVAL);
                                ran = p.route();
                                alpha = ops.download(p.alpha());
                            }
                            if (!(costs.gmac(ran) < budget) && budget <= costs.largest())
                                throw new IllegalStateException("validation route " + ran + " exceeds the budget " + budget);
                            double[] m = Validation.metrics(alpha, one.alpha(), one.input());
                            double[] s = sums.computeIfAbsent(e.getKey(), k -> new double[4]);
                            for (int j = 0; j < 3; j++) s[j] += m[j];
                            s[3] += costs.gmac(ran);
                        }
                    }
                }
            }
        }
        StringBuilder line = new StringBuilder(String.format("validation stage %d step %d:", stage, step));
        for (Map.Entry<String, double[]> e : sums.entrySet()) {
            double[] s = e.getValue();
            for (int j = 0; j < 4; j++) s[j] /= images;
            history.addValidation(globalStep(), stage, e.getKey(), s);
            line.append(String.format("  budget %s: SAD %.3f MSE(x1e3) %.3f L1 %.4f (%.2f GMAC)", e.getKey(), s[0], s[1] * 1e3, s[2], s[3]));
        }
        listener.line(line.toString());
        listener.validated(this);
    }

    /**
     * Mean L1 (unknown pixels) of the full route on the validation images, with running
     * statistics (inference, one image at a time) or with batch statistics (training-mode
     * BatchNorm over batches of {@code batch} validation images): the two should agree once the
     * running statistics have caught up with the weights; a large gap means validation does not
     * measure what training optimises.
     */
    public double fullRouteL1(boolean runningStats) {
        double sum = 0;
        int images = 0;
        try (BatchSource src = validationData.get()) {
            List<Batch> ones = new ArrayList<>();
            while (ones.size() < cfg.validationImages()) {
                Batch b = src.next();
                for (int i = 0; i < b.size() && ones.size() < cfg.validationImages(); i++) ones.add(Validation.slice(b, i));
            }
            int step = runningStats ? 1 : Math.max(2, cfg.batch());
            for (int i = 0; i + step <= ones.size(); i += step) {
                Batch b = Validation.stack(ones.subList(i, i + step));
                try (TrainingOps.Scope scope = ops.scope()) {
                    TrainGraph.Pass<T, P> p = graph.forward(params, ops.upload(b.input()), costs.largest() + 1, TrainGraph.Router.fixed(full),
                            runningStats ? TrainGraph.Mode.EVAL : TrainGraph.Mode.BATCH_STATS);
                    for (double v : Validation.perImageL1(ops.download(p.alpha()), b.alpha(), b.input())) sum += v;
                }
                images += step;
            }
        }
        return sum / images;
    }

    // ---- progress -------------------------------------------------------------------------

    private void log() {
        double[] last = history.lastLoss();
        long stageTotal = stageSteps(stage);
        long remaining = stageTotal == Integer.MAX_VALUE ? -1 : stageTotal - step;
        String speed = speedAndEta(samplesSinceLog, stepsSinceLog, trainNanosSinceLog / 1e9, remaining);
        trainNanosSinceLog = 0;
        samplesSinceLog = 0;
        stepsSinceLog = 0;
        String labelInfo = stage == PATHS && labels > 0
                ? String.format(" | network route chosen %.0f%%, infeasible %.0f%%", 100.0 * networkLabels / labels, 100.0 * infeasibleNetworkRoutes / labels)
                : "";
        listener.line(String.format("stage %d step %d/%s | loss %.4f (l1 %.4f comp %.4f lap %.4f ds %.4f pt %.4f) | lr %.2e | %s%s",
                stage, step, stageTotal == Integer.MAX_VALUE ? "?" : String.valueOf(stageTotal), last[0], last[1], last[2], last[3], last[4], last[5],
                RAdam.cosineLr(cfg.lr(), step, stageSteps(stage)), speed, labelInfo));
    }

    /**
     * The speed part of a progress line: samples per second of training time (optimiser steps
     * only; validations, the prior and checkpoints between steps are not counted) and the
     * time left in the current stage at that speed.
     *
     * @param samples        samples trained since the last progress line
     * @param steps          optimiser steps since the last progress line
     * @param trainSeconds   time those steps took
     * @param remainingSteps steps left in the stage, or -1 while unknown (a budgeted stage not yet sized)
     * @return e.g. {@code "12.50 samples/s | stage ETA 1m20s"}; {@code "?"} for what cannot be known yet
     */
    static String speedAndEta(int samples, int steps, double trainSeconds, long remainingSteps) {
        if (steps <= 0 || !(trainSeconds > 0)) return "? samples/s | stage ETA ?";
        String eta = remainingSteps < 0 ? "?" : History.duration(remainingSteps * trainSeconds / steps);
        return String.format("%.2f samples/s | stage ETA %s", samples / trainSeconds, eta);
    }
}
