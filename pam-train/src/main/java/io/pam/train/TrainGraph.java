package io.pam.train;

import io.pam.Route;
import io.pam.net.Activation;
import io.pam.net.Nchw;
import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.Op;
import io.pam.net.Tensor;
import io.pam.spi.TrainingOps;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Forward and backward passes of a {@link NetworkSpec} through {@link TrainingOps}: the autograd
 * of the trainer. The forward runs the nodes of one route in the description's (topological)
 * order, deciding each group when its selection layer's logits are known; in {@link Mode#TRAIN}
 * it keeps what the backward needs. The backward walks the executed nodes in reverse and returns
 * parameter gradients only for nodes that ran and received a gradient ("touched").
 *
 * <p>Generic over where the backend keeps data ({@code T} activations, {@code P} parameter
 * vectors): this class reads shapes only. The one host read is the selection logits a
 * data-dependent {@link Router} asks for (N x 2 values per group).
 */
public final class TrainGraph<T extends Nchw, P> {
    /** BatchNorm momentum (PyTorch's default). */
    public static final float BN_MOMENTUM = 0.1f;

    /** How BatchNorm behaves and whether activations are kept. */
    public enum Mode {
        /** Batch statistics, running statistics updated, activations kept for the backward. */
        TRAIN,
        /** Batch statistics, nothing updated, nothing kept beyond the outputs and BN statistics. */
        BATCH_STATS,
        /** Running statistics (inference). */
        EVAL
    }

    /** Decides group {@code g} from its selection layer's logits (N x 2 x 1 x 1, on the host); true = compute. */
    @FunctionalInterface
    public interface Router {
        boolean compute(int group, Tensor logits);

        /** Whether {@link #compute} reads the logits (a fixed route does not: no download). */
        default boolean readsLogits() {
            return true;
        }

        static Router fixed(Route route) {
            return new Router() {
                @Override
                public boolean compute(int group, Tensor logits) {
                    return route.computes(group);
                }

                @Override
                public boolean readsLogits() {
                    return false;
                }
            };
        }
    }

    /** Batch statistics of one BatchNorm: per-channel mean and {@code 1/sqrt(var + eps)}. */
    public record NormStats<P>(P mean, P invStd) {}

    /** One forward pass: outputs of every executed node plus what the backward needs. */
    public static final class Pass<T extends Nchw, P> {
        final T input;
        final double budget;
        final Mode mode;
        final List<Node> executed = new ArrayList<>();
        final Map<String, T> out = new HashMap<>();
        final Map<String, T> preNorm = new HashMap<>();
        final Map<String, NormStats<P>> normStats = new HashMap<>();
        Route route = new Route(0, NetworkSpec.GROUPS);

        Pass(T input, double budget, Mode mode) {
            this.input = input;
            this.budget = budget;
            this.mode = mode;
        }

        /** The final alpha (after the trimap composition), N x 1 x H x W. */
        public T alpha() {
            return out.get(NetworkSpec.OUTPUT);
        }

        /** The prediction before clamping and composition. */
        public T prediction(NetworkSpec spec) {
            return out.get(spec.nodes().get(spec.nodes().size() - 1).inputs().get(0));
        }

        public T output(String name) {
            return out.get(name);
        }

        /** The route the pass ran. */
        public Route route() {
            return route;
        }

        /** Batch statistics of a BatchNorm node that ran in TRAIN or BATCH_STATS mode (null when it did not run). */
        public NormStats<P> normStats(String node) {
            return normStats.get(node);
        }

        public List<Node> executed() {
            return executed;
        }
    }

    private final NetworkSpec spec;
    private final TrainingOps<T, P> ops;
    private final Map<String, Integer> channels;

    public TrainGraph(NetworkSpec spec, TrainingOps<T, P> ops) {
        this.spec = spec;
        this.ops = ops;
        this.channels = new HashMap<>();
        spec.shapes(NetworkSpec.ALIGN, NetworkSpec.ALIGN).forEach((k, v) -> channels.put(k, v.c()));
    }

    public NetworkSpec spec() {
        return spec;
    }

    public TrainingOps<T, P> ops() {
        return ops;
    }

    /**
     * Runs the network.
     *
     * @param p      parameters by name (running statistics are updated in TRAIN mode)
     * @param x      N x 6 x H x W, H and W multiples of 32
     * @param budget GMAC@1024 fed to the cost embeddings
     */
    public Pass<T, P> forward(Map<String, P> p, T x, double budget, Router router, Mode mode) {
        NetworkSpec.checkAligned(x.h(), x.w());
        if (x.c() != NetworkSpec.INPUT_CHANNELS) throw new IllegalArgumentException("input must have 6 channels, got " + x);
        Pass<T, P> pass = new Pass<>(x, budget, mode);
        pass.out.put(NetworkSpec.INPUT, x);
        int decided = 0;
        for (Node n : spec.nodes()) {
            if (n.group() > 0) {
                while (decided < n.group()) {
                    int g = ++decided;
                    Tensor logits = router.readsLogits() ? ops.download(pass.out.get(spec.group(g).logits())) : null;
                    boolean c = router.compute(g, logits);
                    pass.route = pass.route.with(g, c);
                }
                if (pass.route.computes(n.group()) == n.bypass()) continue;
            }
            pass.out.put(n.name(), apply(n, p, pass));
            pass.executed.add(n);
        }
        return pass;
    }

    private T in(Pass<T, P> pass, Node n, int i) {
        return pass.out.get(n.inputs().get(i));
    }

    private T apply(Node n, Map<String, P> p, Pass<T, P> pass) {
        String name = n.name();
        return switch (n.op()) {
            case Op.Conv c -> {
                T y = ops.conv(in(pass, n, 0), c, p.get(name + ".weight"), c.bias() ? p.get(name + ".bias") : null);
                if (c.batchNorm()) {
                    String b = name + ".bn.";
                    if (pass.mode == Mode.EVAL) {
                        y = ops.batchNormEval(y, p.get(b + "weight"), p.get(b + "bias"), p.get(b + "running_mean"),
                                p.get(b + "running_var"), NetworkSpec.BN_EPS);
                    } else {
                        boolean train = pass.mode == Mode.TRAIN;
                        TrainingOps.BatchNormResult<T, P> r = ops.batchNormTrain(y, p.get(b + "weight"), p.get(b + "bias"),
                                train ? p.get(b + "running_mean") : null, train ? p.get(b + "running_var") : null,
                                BN_MOMENTUM, NetworkSpec.BN_EPS);
                        if (train) pass.preNorm.put(name, y);
                        pass.normStats.put(name, new NormStats<>(r.mean(), r.invStd()));
                        y = r.y();
                    }
                }
                yield ops.activation(y, c.activation());
            }
            case Op.Add a -> ops.add(in(pass, n, 0), in(pass, n, 1));
            case Op.Concat c -> {
                List<T> parts = new ArrayList<>();
                for (int i = 0; i < n.inputs().size(); i++) parts.add(in(pass, n, i));
                yield ops.concat(parts);
            }
            case Op.Resize r -> ops.resize(in(pass, n, 0), in(pass, n, 1).h(), in(pass, n, 1).w());
            case Op.AvgPool ap -> ops.avgPool(in(pass, n, 0), ap);
            case Op.GlobalAvgPool g -> ops.globalAvgPool(in(pass, n, 0));
            case Op.ChannelMul m -> ops.channelMul(in(pass, n, 0), in(pass, n, 1));
            case Op.CostEmbedding e -> ops.embedding(p.get(name + ".weight"), e, pass.input.n(), pass.budget);
            case Op.Composite c -> ops.composite(in(pass, n, 0), in(pass, n, 1));
        };
    }

    /**
     * Backpropagates from the final alpha and, optionally, from the selection logits.
     *
     * @param dAlpha  gradient of the loss w.r.t. {@link Pass#alpha()} (may be null)
     * @param dLogits gradients w.r.t. the logits of groups 1..4 (index g-1; null, or entries may be null)
     * @param grads   parameter gradients, accumulated into (vectors taken from the ops on first use,
     *                so they belong to the open scope)
     * @return the names of the parameters that received a gradient
     */
    public Set<String> backward(Pass<T, P> pass, Map<String, P> p, T dAlpha, List<T> dLogits, Map<String, P> grads) {
        if (pass.mode != Mode.TRAIN) throw new IllegalStateException("backward needs a pass run in TRAIN mode");
        Map<String, T> g = new HashMap<>();
        if (dAlpha != null) g.put(NetworkSpec.OUTPUT, dAlpha);
        if (dLogits != null)
            for (int i = 0; i < dLogits.size(); i++) if (dLogits.get(i) != null) g.merge(spec.group(i + 1).logits(), dLogits.get(i), ops::add);
        Set<String> touched = new HashSet<>();
        for (int idx = pass.executed.size() - 1; idx >= 0; idx--) {
            Node n = pass.executed.get(idx);
            T d = g.remove(n.name());
            if (d == null) continue;
            List<String> in = n.inputs();
            switch (n.op()) {
                case Op.Conv c -> {
                    String name = n.name();
                    if (c.activation() != Activation.NONE) d = ops.activationBackward(pass.out.get(name), c.activation(), d);
                    if (c.batchNorm()) {
                        NormStats<P> st = pass.normStats.get(name);
                        TrainingOps.BatchNormGrads<T, P> bg = ops.batchNormBackward(pass.preNorm.get(name), st.mean(), st.invStd(),
                                p.get(name + ".bn.weight"), d);
                        addParam(grads, touched, name + ".bn.weight", bg.dGamma());
                        addParam(grads, touched, name + ".bn.bias", bg.dBeta());
                        d = bg.dx();
                    }
                    boolean needDx = !in.get(0).equals(NetworkSpec.INPUT);
                    TrainingOps.ConvGrads<T, P> cg = ops.convBackward(pass.out.get(in.get(0)), c, p.get(name + ".weight"), d, needDx);
                    addParam(grads, touched, name + ".weight", cg.dw());
                    if (c.bias()) addParam(grads, touched, name + ".bias", cg.db());
                    if (needDx) flow(g, in.get(0), cg.dx());
                }
                case Op.Add a -> {
                    flow(g, in.get(0), d);
                    flow(g, in.get(1), d);
                }
                case Op.Concat c -> {
                    int[] ch = new int[in.size()];
                    for (int i = 0; i < ch.length; i++) ch[i] = pass.out.get(in.get(i)).c();
                    List<T> parts = ops.split(d, ch);
                    for (int i = 0; i < ch.length; i++) flow(g, in.get(i), parts.get(i));
                }
                case Op.Resize r -> {
                    T src = pass.out.get(in.get(0));
                    flow(g, in.get(0), ops.resizeBackward(d, src.h(), src.w()));
                }
                case Op.AvgPool ap -> {
                    T src = pass.out.get(in.get(0));
                    flow(g, in.get(0), ops.avgPoolBackward(d, ap, src.h(), src.w()));
                }
                case Op.GlobalAvgPool gp -> {
                    T src = pass.out.get(in.get(0));
                    flow(g, in.get(0), ops.globalAvgPoolBackward(d, src.h(), src.w()));
                }
                case Op.ChannelMul m -> {
                    List<T> r = ops.channelMulBackward(pass.out.get(in.get(0)), pass.out.get(in.get(1)), d);
                    flow(g, in.get(0), r.get(0));
                    flow(g, in.get(1), r.get(1));
                }
                case Op.CostEmbedding e -> addParam(grads, touched, n.name() + ".weight", ops.embeddingBackward(d, e, pass.budget));
                case Op.Composite c -> flow(g, in.get(0), ops.compositeBackward(pass.out.get(in.get(0)), pass.input, d));
            }
        }
        return touched;
    }

    private void flow(Map<String, T> g, String name, T d) {
        if (name.equals(NetworkSpec.INPUT)) return;
        // merge by a fresh sum: gradient tensors may be shared between branches (Add), never mutate them
        g.merge(name, d, ops::add);
    }

    /** Ops return fresh vectors: the first gradient of a parameter is kept as it is, later ones summed into it. */
    private void addParam(Map<String, P> grads, Set<String> touched, String name, P d) {
        P acc = grads.get(name);
        if (acc == null) grads.put(name, d);
        else ops.accumulateParam(acc, d);
        touched.add(name);
    }

    /** Channel count of a node's output (shape-independent). */
    int channels(String node) {
        return channels.get(node);
    }

    /** Names of the BatchNorm conv nodes. */
    public List<String> normNodes() {
        List<String> r = new ArrayList<>();
        for (Node n : spec.nodes()) if (n.op() instanceof Op.Conv c && c.batchNorm()) r.add(n.name());
        return r;
    }

    static Set<String> newTouched() {
        return new HashSet<>();
    }
}
