package io.pam.cpu.train;

import io.pam.Route;
import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.Op;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import io.pam.spi.TrainingOps;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * Times the kernels of one training step of a network on the CPU training backend.
 *
 * <p>BENCHMARK DRIVER, NOT THE TRAINER: pam-cpu cannot depend on pam-train, so this program walks
 * {@link NetworkSpec#nodesOn} itself: forward (conv, training-mode BatchNorm, activation per Conv
 * node; the other ops as described), then backward in reverse order with gradients accumulated
 * per tensor, seeded with random gradients at the alpha and at every selection layer's logits.
 * Parameter gradients are computed and dropped (no optimiser step). It measures the kernels the
 * trainer calls, not the trainer's own bookkeeping or the loss.
 *
 * <p>Usage: {@code TrainingBenchmark [size=256] [batch=4] [steps=3] [threads=1,2] [config=paper|tiny]}.
 * Prints per thread count the median step time, samples/s, GMAC/s (forward + backward counted as
 * 3x the forward MACs), the time per op kind, and the process CPU time per step (samples per
 * CPU-second: the rate an unshared core would give, since wall rates on a shared machine vary).
 */
public final class TrainingBenchmark {
    enum Kind { CONV_1X1, CONV_KXK, DEPTHWISE, BATCHNORM, ELEMENTWISE, OTHER }

    private final TrainingOps<Tensor, float[]> ops;
    private final NetworkSpec spec;
    private final Weights weights;
    private final EnumMap<Kind, Long> nanos = new EnumMap<>(Kind.class);
    /** CPU time of the calling thread per kind: the whole cost when the ops run on one thread. */
    private final EnumMap<Kind, Long> cpuNanos = new EnumMap<>(Kind.class);
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    TrainingBenchmark(TrainingOps<Tensor, float[]> ops, NetworkSpec spec, Weights weights) {
        this.ops = ops;
        this.spec = spec;
        this.weights = weights;
    }

    private <T> T time(Kind k, Supplier<T> s) {
        long t0 = System.nanoTime(), c0 = THREADS.getCurrentThreadCpuTime();
        T r = s.get();
        nanos.merge(k, System.nanoTime() - t0, Long::sum);
        cpuNanos.merge(k, THREADS.getCurrentThreadCpuTime() - c0, Long::sum);
        return r;
    }

    private static Kind convKind(Op.Conv c) {
        if (c.depthwise()) return Kind.DEPTHWISE;
        return c.kernel() == 1 ? Kind.CONV_1X1 : Kind.CONV_KXK;
    }

    /** What the forward pass of one node keeps for its backward pass. */
    private record Saved(Tensor convOut, TrainingOps.BatchNormResult<Tensor, float[]> bn, Tensor out) {}

    /** One forward + backward pass over the route; returns nothing, fills {@link #nanos}. */
    void step(Tensor x, Route route, double budget, Random r) {
        List<Node> nodes = spec.nodesOn(route);
        Map<String, Tensor> act = new HashMap<>();
        Map<String, Saved> saved = new HashMap<>();
        act.put(NetworkSpec.INPUT, x);
        for (Node node : nodes) {
            List<Tensor> in = node.inputs().stream().map(act::get).toList();
            Tensor out = switch (node.op()) {
                case Op.Conv c -> {
                    Tensor z = time(convKind(c), () -> ops.conv(in.get(0), c, w(node, "weight"),
                            c.bias() ? w(node, "bias") : null));
                    TrainingOps.BatchNormResult<Tensor, float[]> bn = null;
                    Tensor y = z;
                    if (c.batchNorm()) {
                        bn = time(Kind.BATCHNORM, () -> ops.batchNormTrain(z, w(node, "bn.weight"), w(node, "bn.bias"),
                                w(node, "bn.running_mean"), w(node, "bn.running_var"), 0.1f, NetworkSpec.BN_EPS));
                        y = bn.y();
                    }
                    Tensor yy = y;
                    Tensor a = time(Kind.ELEMENTWISE, () -> ops.activation(yy, c.activation()));
                    saved.put(node.name(), new Saved(z, bn, a));
                    yield a;
                }
                case Op.Add a -> time(Kind.ELEMENTWISE, () -> ops.add(in.get(0), in.get(1)));
                case Op.Concat c -> time(Kind.OTHER, () -> ops.concat(in));
                case Op.Resize rs -> time(Kind.OTHER, () -> ops.resize(in.get(0), in.get(1).h(), in.get(1).w()));
                case Op.AvgPool p -> time(Kind.OTHER, () -> ops.avgPool(in.get(0), p));
                case Op.GlobalAvgPool g -> time(Kind.OTHER, () -> ops.globalAvgPool(in.get(0)));
                case Op.ChannelMul m -> time(Kind.ELEMENTWISE, () -> ops.channelMul(in.get(0), in.get(1)));
                case Op.CostEmbedding e -> time(Kind.OTHER, () -> ops.embedding(w(node, "weight"), e, x.n(), budget));
                case Op.Composite c -> time(Kind.OTHER, () -> ops.composite(in.get(0), in.get(1)));
            };
            act.put(node.name(), out);
        }

        Map<String, Tensor> grad = new HashMap<>();
        grad.put(NetworkSpec.OUTPUT, random(act.get(NetworkSpec.OUTPUT), r));
        for (NetworkSpec.Group g : spec.groups())
            if (act.containsKey(g.logits())) grad.put(g.logits(), random(act.get(g.logits()), r));
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node node = nodes.get(i);
            Tensor d = grad.remove(node.name());
            if (d == null) continue;
            List<String> ins = node.inputs();
            switch (node.op()) {
                case Op.Conv c -> {
                    Saved s = saved.get(node.name());
                    Tensor dd = time(Kind.ELEMENTWISE, () -> ops.activationBackward(s.out(), c.activation(), d));
                    if (s.bn() != null) {
                        Tensor d0 = dd;
                        dd = time(Kind.BATCHNORM, () -> ops.batchNormBackward(s.convOut(), s.bn().mean(), s.bn().invStd(),
                                w(node, "bn.weight"), d0)).dx();
                    }
                    Tensor d1 = dd;
                    boolean needDx = !ins.get(0).equals(NetworkSpec.INPUT);
                    TrainingOps.ConvGrads<Tensor, float[]> g = time(convKind(c), () -> ops.convBackward(act.get(ins.get(0)), c, w(node, "weight"), d1, needDx));
                    if (needDx) flow(grad, ins.get(0), g.dx());
                }
                case Op.Add a -> {
                    flow(grad, ins.get(0), d);
                    flow(grad, ins.get(1), d);
                }
                case Op.Concat c -> {
                    int[] ch = ins.stream().mapToInt(n -> act.get(n).c()).toArray();
                    List<Tensor> parts = time(Kind.OTHER, () -> ops.split(d, ch));
                    for (int k = 0; k < ins.size(); k++) flow(grad, ins.get(k), parts.get(k));
                }
                case Op.Resize rs -> {
                    Tensor src = act.get(ins.get(0));
                    flow(grad, ins.get(0), time(Kind.OTHER, () -> ops.resizeBackward(d, src.h(), src.w())));
                }
                case Op.AvgPool p -> {
                    Tensor src = act.get(ins.get(0));
                    flow(grad, ins.get(0), time(Kind.OTHER, () -> ops.avgPoolBackward(d, p, src.h(), src.w())));
                }
                case Op.GlobalAvgPool gp -> {
                    Tensor src = act.get(ins.get(0));
                    flow(grad, ins.get(0), time(Kind.OTHER, () -> ops.globalAvgPoolBackward(d, src.h(), src.w())));
                }
                case Op.ChannelMul m -> {
                    Tensor[] g = time(Kind.ELEMENTWISE, () -> ops.channelMulBackward(act.get(ins.get(0)), act.get(ins.get(1)), d)).toArray(Tensor[]::new);
                    flow(grad, ins.get(0), g[0]);
                    flow(grad, ins.get(1), g[1]);
                }
                case Op.CostEmbedding e -> time(Kind.OTHER, () -> ops.embeddingBackward(d, e, budget));
                case Op.Composite c -> flow(grad, ins.get(0),
                        time(Kind.OTHER, () -> ops.compositeBackward(act.get(ins.get(0)), act.get(ins.get(1)), d)));
            }
        }
    }

    /** Adds a gradient into the one held for {@code name} (a copy on first arrival: tensors may be shared). */
    private void flow(Map<String, Tensor> grad, String name, Tensor g) {
        if (name.equals(NetworkSpec.INPUT)) return;
        Tensor have = grad.get(name);
        if (have == null) grad.put(name, new Tensor(g.n(), g.c(), g.h(), g.w(), g.data().clone()));
        else time(Kind.ELEMENTWISE, () -> {
            ops.accumulate(have, g);
            return null;
        });
    }

    private float[] w(Node node, String suffix) {
        return weights.get(node.name() + "." + suffix);
    }

    private static Tensor random(Tensor like, Random r) {
        Tensor t = Tensor.zeros(like.n(), like.c(), like.h(), like.w());
        for (int i = 0; i < t.data().length; i++) t.data()[i] = (float) (r.nextGaussian() * 1e-2);
        return t;
    }

    public static void main(String[] args) {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 4;
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int[] threadCounts = Arrays.stream((args.length > 3 ? args[3] : "1,2").split(",")).mapToInt(Integer::parseInt).toArray();
        NetworkConfig config = args.length > 4 && args[4].equals("tiny") ? NetworkConfig.tiny() : NetworkConfig.paper();
        NetworkSpec spec = NetworkSpec.of(config);
        NetworkSpec.checkAligned(size, size);
        Route route = Route.full(NetworkSpec.GROUPS);
        double gmacForward = new io.pam.net.CostModel(spec).routeMacs(route, size, size) / 1e9;
        Weights weights = Weights.init(spec, 1);
        Random r = new Random(7);
        Tensor x = Tensor.zeros(batch, NetworkSpec.INPUT_CHANNELS, size, size);
        for (int n = 0; n < batch; n++)
            for (int i = 0; i < size * size; i++) {
                for (int c = 0; c < 3; c++) x.data()[x.index(n, c, 0, 0) + i] = r.nextFloat();
                x.data()[x.index(n, 3 + r.nextInt(3), 0, 0) + i] = 1f;
            }
        CpuTrainingBackend backend = new CpuTrainingBackend();
        if (!backend.isAvailable()) throw new IllegalStateException(backend.unavailableReason());
        System.out.printf("config %s, %dx%d, batch %d, route %s, forward %.2f GMAC/sample, %d timed steps after 1 warm-up%n",
                args.length > 4 ? args[4] : "paper", size, size, batch, route, gmacForward, steps);
        for (int threads : threadCounts) {
            try (CpuTrainingOps ops = backend.open(threads)) {
                TrainingBenchmark b = new TrainingBenchmark(ops, spec, weights);
                b.step(x, route, 70, r); // warm-up (JIT, scratch buffers)
                long[] stepNanos = new long[steps], cpuNanos = new long[steps];
                var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
                List<EnumMap<Kind, Long>> kinds = new ArrayList<>(), kindsCpu = new ArrayList<>();
                for (int s = 0; s < steps; s++) {
                    b.nanos.clear();
                    b.cpuNanos.clear();
                    long t0 = System.nanoTime(), c0 = os.getProcessCpuTime();
                    b.step(x, route, 70, r);
                    stepNanos[s] = System.nanoTime() - t0;
                    cpuNanos[s] = os.getProcessCpuTime() - c0;
                    kinds.add(new EnumMap<>(b.nanos));
                    kindsCpu.add(new EnumMap<>(b.cpuNanos));
                }
                long[] sorted = stepNanos.clone();
                Arrays.sort(sorted);
                int mid = 0;
                for (int s = 0; s < steps; s++) if (stepNanos[s] == sorted[steps / 2]) mid = s;
                double sec = sorted[steps / 2] / 1e9;
                System.out.printf("threads %d: step median %.2f s (min %.2f, max %.2f), %.2f samples/s, %.1f GMAC/s (3x forward MACs)%n",
                        threads, sec, sorted[0] / 1e9, sorted[steps - 1] / 1e9, batch / sec, 3 * gmacForward * batch / sec);
                StringBuilder sb = new StringBuilder("  by kind (median step):");
                for (Kind k : Kind.values()) sb.append(String.format(" %s %.2f s;", k.name().toLowerCase(), kinds.get(mid).getOrDefault(k, 0L) / 1e9));
                long kernel = 0;
                for (long v : kinds.get(mid).values()) kernel += v;
                sb.append(String.format(" all kernels %.2f s", kernel / 1e9));
                System.out.println(sb);
                if (threads == 1) {
                    StringBuilder cb = new StringBuilder("  CPU time by kind (median step, calling thread = all kernel work):");
                    long all = 0;
                    for (Kind k : Kind.values()) {
                        long v = kindsCpu.get(mid).getOrDefault(k, 0L);
                        all += v;
                        cb.append(String.format(" %s %.2f s;", k.name().toLowerCase(), v / 1e9));
                    }
                    System.out.println(cb.append(String.format(" all kernels %.2f s", all / 1e9)));
                }
                long[] cpu = cpuNanos.clone();
                Arrays.sort(cpu);
                double cpuSec = cpu[steps / 2] / 1e9;
                // on a shared machine the wall rate depends on the other load; CPU time does not
                System.out.printf("  process CPU time per step (median) %.2f s: %.2f samples per CPU-second (%.1f GMAC per CPU-second)%n",
                        cpuSec, batch / cpuSec, 3 * gmacForward * batch / cpuSec);
            }
        }
    }
}
