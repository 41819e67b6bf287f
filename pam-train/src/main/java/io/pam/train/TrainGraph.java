package io.pam.train;

import io.pam.Route;
import io.pam.net.Activation;
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
 */
public final class TrainGraph {
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

    /** Decides group {@code g} from its selection layer's logits (N x 2 x 1 x 1); true = compute. */
    @FunctionalInterface
    public interface Router {
        boolean compute(int group, Tensor logits);

        static Router fixed(Route route) {
            return (g, logits) -> route.computes(g);
        }
    }

    /** One forward pass: outputs of every executed node plus what the backward needs. */
    public static final class Pass {
        final Tensor input;
        final double budget;
        final Mode mode;
        final List<Node> executed = new ArrayList<>();
        final Map<String, Tensor> out = new HashMap<>();
        final Map<String, Tensor> preNorm = new HashMap<>();
        final Map<String, float[][]> normStats = new HashMap<>();
        Route route = new Route(0, NetworkSpec.GROUPS);

        Pass(Tensor input, double budget, Mode mode) {
            this.input = input;
            this.budget = budget;
            this.mode = mode;
        }

        /** The final alpha (after the trimap composition), N x 1 x H x W. */
        public Tensor alpha() {
            return out.get(NetworkSpec.OUTPUT);
        }

        /** The prediction before clamping and composition. */
        public Tensor prediction(NetworkSpec spec) {
            return out.get(spec.nodes().get(spec.nodes().size() - 1).inputs().get(0));
        }

        public Tensor output(String name) {
            return out.get(name);
        }

        /** The route the pass ran. */
        public Route route() {
            return route;
        }

        /** Batch statistics of a BatchNorm node that ran in TRAIN or BATCH_STATS mode: {mean, invStd}. */
        public float[][] normStats(String node) {
            return normStats.get(node);
        }

        public List<Node> executed() {
            return executed;
        }
    }

    private final NetworkSpec spec;
    private final TrainingOps ops;
    private final Map<String, Integer> channels;

    public TrainGraph(NetworkSpec spec, TrainingOps ops) {
        this.spec = spec;
        this.ops = ops;
        this.channels = new HashMap<>();
        spec.shapes(NetworkSpec.ALIGN, NetworkSpec.ALIGN).forEach((k, v) -> channels.put(k, v.c()));
    }

    public NetworkSpec spec() {
        return spec;
    }

    public TrainingOps ops() {
        return ops;
    }

    /**
     * Runs the network.
     *
     * @param p      parameters by name (running statistics are updated in TRAIN mode)
     * @param x      N x 6 x H x W, H and W multiples of 32
     * @param budget GMAC@1024 fed to the cost embeddings
     */
    public Pass forward(Map<String, float[]> p, Tensor x, double budget, Router router, Mode mode) {
        NetworkSpec.checkAligned(x.h(), x.w());
        if (x.c() != NetworkSpec.INPUT_CHANNELS) throw new IllegalArgumentException("input must have 6 channels, got " + x);
        Pass pass = new Pass(x, budget, mode);
        pass.out.put(NetworkSpec.INPUT, x);
        int decided = 0;
        for (Node n : spec.nodes()) {
            if (n.group() > 0) {
                while (decided < n.group()) {
                    int g = ++decided;
                    boolean c = router.compute(g, pass.out.get(spec.group(g).logits()));
                    pass.route = pass.route.with(g, c);
                }
                if (pass.route.computes(n.group()) == n.bypass()) continue;
            }
            pass.out.put(n.name(), apply(n, p, pass));
            pass.executed.add(n);
        }
        return pass;
    }

    private Tensor in(Pass pass, Node n, int i) {
        return pass.out.get(n.inputs().get(i));
    }

    private Tensor apply(Node n, Map<String, float[]> p, Pass pass) {
        String name = n.name();
        return switch (n.op()) {
            case Op.Conv c -> {
                Tensor y = ops.conv(in(pass, n, 0), c, p.get(name + ".weight"), c.bias() ? p.get(name + ".bias") : null);
                if (c.batchNorm()) {
                    String b = name + ".bn.";
                    if (pass.mode == Mode.EVAL) {
                        y = ops.batchNormEval(y, p.get(b + "weight"), p.get(b + "bias"), p.get(b + "running_mean"),
                                p.get(b + "running_var"), NetworkSpec.BN_EPS);
                    } else {
                        boolean train = pass.mode == Mode.TRAIN;
                        TrainingOps.BatchNormResult r = ops.batchNormTrain(y, p.get(b + "weight"), p.get(b + "bias"),
                                train ? p.get(b + "running_mean") : null, train ? p.get(b + "running_var") : null,
                                BN_MOMENTUM, NetworkSpec.BN_EPS);
                        if (train) pass.preNorm.put(name, y);
                        pass.normStats.put(name, new float[][] {r.mean(), r.invStd()});
                        y = r.y();
                    }
                }
                yield ops.activation(y, c.activation());
            }
            case Op.Add a -> ops.add(in(pass, n, 0), in(pass, n, 1));
            case Op.Concat c -> {
                List<Tensor> parts = new ArrayList<>();
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
     * @param dLogits gradients w.r.t. the logits of groups 1..4 (index g-1; entries may be null)
     * @param grads   parameter gradients, accumulated into (arrays created on first use)
     * @return the names of the parameters that received a gradient
     */
    public Set<String> backward(Pass pass, Map<String, float[]> p, Tensor dAlpha, Tensor[] dLogits, Map<String, float[]> grads) {
        if (pass.mode != Mode.TRAIN) throw new IllegalStateException("backward needs a pass run in TRAIN mode");
        Map<String, Tensor> g = new HashMap<>();
        if (dAlpha != null) g.put(NetworkSpec.OUTPUT, dAlpha);
        if (dLogits != null)
            for (int i = 0; i < dLogits.length; i++) if (dLogits[i] != null) g.merge(spec.group(i + 1).logits(), dLogits[i], ops::add);
        Set<String> touched = new HashSet<>();
        for (int idx = pass.executed.size() - 1; idx >= 0; idx--) {
            Node n = pass.executed.get(idx);
            Tensor d = g.remove(n.name());
            if (d == null) continue;
            List<String> in = n.inputs();
            switch (n.op()) {
                case Op.Conv c -> {
                    String name = n.name();
                    if (c.activation() != Activation.NONE) d = ops.activationBackward(pass.out.get(name), c.activation(), d);
                    if (c.batchNorm()) {
                        float[][] st = pass.normStats.get(name);
                        TrainingOps.BatchNormGrads bg = ops.batchNormBackward(pass.preNorm.get(name), st[0], st[1],
                                p.get(name + ".bn.weight"), d);
                        addParam(grads, touched, name + ".bn.weight", bg.dGamma());
                        addParam(grads, touched, name + ".bn.bias", bg.dBeta());
                        d = bg.dx();
                    }
                    boolean needDx = !in.get(0).equals(NetworkSpec.INPUT);
                    TrainingOps.ConvGrads cg = ops.convBackward(pass.out.get(in.get(0)), c, p.get(name + ".weight"), d, needDx);
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
                    List<Tensor> parts = ops.split(d, ch);
                    for (int i = 0; i < ch.length; i++) flow(g, in.get(i), parts.get(i));
                }
                case Op.Resize r -> {
                    Tensor src = pass.out.get(in.get(0));
                    flow(g, in.get(0), ops.resizeBackward(d, src.h(), src.w()));
                }
                case Op.AvgPool ap -> {
                    Tensor src = pass.out.get(in.get(0));
                    flow(g, in.get(0), ops.avgPoolBackward(d, ap, src.h(), src.w()));
                }
                case Op.GlobalAvgPool gp -> {
                    Tensor src = pass.out.get(in.get(0));
                    flow(g, in.get(0), ops.globalAvgPoolBackward(d, src.h(), src.w()));
                }
                case Op.ChannelMul m -> {
                    Tensor[] r = ops.channelMulBackward(pass.out.get(in.get(0)), pass.out.get(in.get(1)), d);
                    flow(g, in.get(0), r[0]);
                    flow(g, in.get(1), r[1]);
                }
                case Op.CostEmbedding e -> addParam(grads, touched, n.name() + ".weight", ops.embeddingBackward(d, e, pass.budget));
                case Op.Composite c -> flow(g, in.get(0), ops.compositeBackward(pass.out.get(in.get(0)), pass.input, d));
            }
        }
        return touched;
    }

    private void flow(Map<String, Tensor> g, String name, Tensor d) {
        if (name.equals(NetworkSpec.INPUT)) return;
        // merge by a fresh sum: gradient tensors may be shared between branches (Add), never mutate them
        g.merge(name, d, ops::add);
    }

    private static void addParam(Map<String, float[]> grads, Set<String> touched, String name, float[] d) {
        float[] acc = grads.get(name);
        if (acc == null) grads.put(name, d.clone());
        else for (int i = 0; i < acc.length; i++) acc[i] += d[i];
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
