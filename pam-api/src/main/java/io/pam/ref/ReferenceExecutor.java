package io.pam.ref;

import io.pam.Route;
import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.Op;
import io.pam.net.PathSelector;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link NetworkSpec} with {@link RefOps} in inference mode (BatchNorm with running
 * statistics, not folded: so comparing a backend against it also checks the folding). The
 * oracle for every backend test.
 */
public final class ReferenceExecutor {
    private final NetworkSpec spec;
    private final Weights weights;

    public ReferenceExecutor(NetworkSpec spec, Weights weights) {
        if (!spec.config().equals(weights.config())) throw new IllegalArgumentException("weights belong to another network");
        this.spec = spec;
        this.weights = weights;
    }

    /** The output of a run: the final alpha, the route taken and every intermediate tensor. */
    public record Result(Tensor alpha, Route route, Map<String, Tensor> tensors) {}

    /**
     * Runs the network on an aligned input (N x 6 x H x W, H and W multiples of 32), routing
     * with {@code selector} (logits of sample 0 decide for the batch).
     */
    public Result run(Tensor input, PathSelector selector) {
        NetworkSpec.checkAligned(input.h(), input.w());
        Map<String, Tensor> t = new HashMap<>();
        t.put(NetworkSpec.INPUT, input);
        int decided = 0;
        boolean[] compute = new boolean[NetworkSpec.GROUPS + 1];
        for (Node n : spec.nodes()) {
            if (n.group() > 0) {
                while (decided < n.group()) {
                    int g = ++decided;
                    Tensor logits = t.get(spec.group(g).logits());
                    compute[g] = selector.decide(g, new float[] {logits.data()[0], logits.data()[1]});
                }
                if (compute[n.group()] == n.bypass()) continue;
            }
            t.put(n.name(), apply(n, t, input.n(), selector.budget()));
        }
        return new Result(t.get(NetworkSpec.OUTPUT), selector.route(), t);
    }

    private Tensor apply(Node n, Map<String, Tensor> t, int batch, double budget) {
        List<String> in = n.inputs();
        return switch (n.op()) {
            case Op.Conv c -> {
                Tensor y = RefOps.conv(t.get(in.get(0)), c, weights.get(n.name() + ".weight"),
                        c.bias() ? weights.get(n.name() + ".bias") : null);
                if (c.batchNorm()) {
                    String p = n.name() + ".bn.";
                    y = RefOps.batchNorm(y, weights.get(p + "weight"), weights.get(p + "bias"),
                            weights.get(p + "running_mean"), weights.get(p + "running_var"), NetworkSpec.BN_EPS);
                }
                yield RefOps.activation(y, c.activation());
            }
            case Op.Add a -> RefOps.add(t.get(in.get(0)), t.get(in.get(1)));
            case Op.Concat c -> RefOps.concat(in.stream().map(t::get).toArray(Tensor[]::new));
            case Op.Resize r -> RefOps.resize(t.get(in.get(0)), t.get(in.get(1)).h(), t.get(in.get(1)).w());
            case Op.AvgPool p -> RefOps.avgPool(t.get(in.get(0)), p);
            case Op.GlobalAvgPool g -> RefOps.globalAvgPool(t.get(in.get(0)));
            case Op.ChannelMul m -> RefOps.channelMul(t.get(in.get(0)), t.get(in.get(1)));
            case Op.CostEmbedding e -> RefOps.embedding(weights.get(n.name() + ".weight"), e, batch, budget);
            case Op.Composite c -> RefOps.composite(t.get(in.get(0)), t.get(in.get(1)));
        };
    }
}
