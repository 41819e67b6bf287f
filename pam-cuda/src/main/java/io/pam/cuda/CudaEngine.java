package io.pam.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.Op;
import io.pam.net.PathSelector;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import io.pam.spi.InferenceEngine;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The network compiled for one GPU with cuDNN and a few NVRTC kernels.
 *
 * <p>At open: BatchNorm folded into the convolutions and every weight uploaded once. Per input
 * size (the first run at a size, cached until a run at another size): a {@link Plan} with device
 * buffers, pinned host staging buffers, cuDNN descriptors and chosen algorithms. Per run: one
 * upload of the input (parallel host copy pipelined with asynchronous DMA), the
 * nodes of the route in description order on the default stream, one 8-byte download of the
 * logits at each selection layer (when the budget actually constrains the route), one download
 * of alpha. Input {@code 1 x 6 x H x W}, H and W multiples of 32; output {@code 1 x 1 x H x W}.
 *
 * <p>Not thread-safe (one engine per thread), but it may move between threads: every run
 * makes the engine's context current on the calling thread.
 */
public final class CudaEngine implements InferenceEngine {
    private final NetworkSpec spec;
    private final CudaSettings settings;
    private final CudaContext context;
    private final Arena arena = Arena.ofShared();
    private final Disposer disposer = new Disposer();
    final long cudnn;
    final long reluDescriptor;
    final Kernels kernels;
    final MemorySegment one, zero;
    private final MemorySegment logits;
    /** Device address of each conv's folded weight and bias, each embedding table. */
    private final Map<String, long[]> params = new HashMap<>();
    private Plan plan;
    private Map<String, Long> timings = Map.of();
    private boolean closed;

    CudaEngine(NetworkSpec spec, Weights weights, CudaSettings settings) {
        if (!spec.config().equals(weights.config())) throw new IllegalArgumentException("weights belong to another network: "
                + weights.config() + " vs " + spec.config());
        this.spec = spec;
        this.settings = settings;
        this.context = CudaContext.open(settings.device());
        try {
            one = arena.allocateFrom(JAVA_FLOAT, 1f);
            zero = arena.allocateFrom(JAVA_FLOAT, 0f);
            logits = arena.allocate(JAVA_FLOAT, 2);
            cudnn = disposer.add(Cudnn.createHandle(), Cudnn::destroyHandle);
            reluDescriptor = disposer.add(Cudnn.activation(Cudnn.ACTIVATION_RELU), Cudnn::destroyActivation);
            kernels = new Kernels(context.arch());
            disposer.add(kernels::close);
            upload(weights);
        } catch (RuntimeException e) {
            throw Disposer.closeAfterFailure(e, this::close);
        }
    }

    /** Folds BatchNorm and uploads every conv weight/bias and embedding table in one allocation. */
    private void upload(Weights weights) {
        Map<String, float[][]> host = new HashMap<>();
        long total = 0;
        for (Node n : spec.nodes()) {
            float[][] t;
            if (n.op() instanceof Op.Conv) {
                Weights.FoldedConv f = weights.folded(n);
                t = new float[][] {f.weight(), f.bias()};
            } else if (n.op() instanceof Op.CostEmbedding) {
                t = new float[][] {weights.get(n.name() + ".weight")};
            } else {
                continue;
            }
            host.put(n.name(), t);
            for (float[] a : t) total += align(a.length);
        }
        long base = disposer.add(Cudart.malloc(total * 4), Cudart::free);
        try (Arena temp = Arena.ofConfined()) {
            MemorySegment staging = temp.allocate(JAVA_FLOAT, Math.max(total, 1));
            copyAll(host, staging, base);
            Cudart.memcpy(base, staging.address(), total * 4, Cudart.H2D);
        }
    }

    private void copyAll(Map<String, float[][]> host, MemorySegment staging, long base) {
        long off = 0;
        for (Map.Entry<String, float[][]> e : host.entrySet()) {
            float[][] t = e.getValue();
            long[] ptrs = new long[t.length];
            for (int i = 0; i < t.length; i++) {
                MemorySegment.copy(t[i], 0, staging, JAVA_FLOAT, off * 4, t[i].length);
                ptrs[i] = base + off * 4;
                off += align(t[i].length);
            }
            params.put(e.getKey(), ptrs);
        }
    }

    /** Rounds a float count up to 256 bytes (cuDNN prefers aligned operands). */
    private static long align(long floats) {
        return (floats + 63) / 64 * 64;
    }

    /** Device pointers {weight, bias} of a conv, {table} of an embedding. */
    long[] params(String node) {
        long[] p = params.get(node);
        if (p == null) throw new IllegalStateException("no parameters uploaded for " + node);
        return p;
    }

    NetworkSpec spec() {
        return spec;
    }

    CudaSettings settings() {
        return settings;
    }

    @Override
    public Tensor run(Tensor input, PathSelector selector) {
        if (closed) throw new IllegalStateException("engine is closed");
        if (input.n() != 1 || input.c() != NetworkSpec.INPUT_CHANNELS)
            throw new IllegalArgumentException("the CUDA engine takes one image: 1 x " + NetworkSpec.INPUT_CHANNELS
                    + " x H x W, got " + input);
        NetworkSpec.checkAligned(input.h(), input.w());
        context.makeCurrent();
        long t0 = System.nanoTime();
        Plan p = planFor(input.h(), input.w());
        long t1 = System.nanoTime();
        p.upload(NetworkSpec.INPUT, input.data());
        // a phase boundary for lastTimings(): the network could not start before the last
        // chunk arrives anyway, so this wait costs only the launch of the first kernels
        Cudart.synchronize();
        long t2 = System.nanoTime();
        List<Node> nodes = spec.nodes();
        boolean[] compute = new boolean[NetworkSpec.GROUPS + 1];
        int decided = 0;
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (n.group() > 0) {
                while (decided < n.group()) {
                    int g = ++decided;
                    float[] l = {0f, 1f};
                    if (!selector.unconstrained()) {
                        // the one sync per selection layer: 2 floats of logits to the host
                        Cudart.memcpy(logits.address(), p.pointer(spec.group(g).logits()), 8, Cudart.D2H);
                        l = new float[] {logits.get(JAVA_FLOAT, 0), logits.get(JAVA_FLOAT, 4)};
                    }
                    compute[g] = selector.decide(g, l);
                }
                if (compute[n.group()] == n.bypass()) continue;
            }
            p.step(i).run(selector.budget());
        }
        Cudart.synchronize();
        long t3 = System.nanoTime();
        Tensor alpha = p.downloadOutput();
        long t4 = System.nanoTime();
        timings = Map.of("plan", t1 - t0, "upload", t2 - t1, "network", t3 - t2, "download", t4 - t3, "total", t4 - t0);
        return alpha;
    }

    /**
     * Nanoseconds of the last run, phases in order: {@code plan} (non-zero only on the first run
     * at a size), {@code upload} (input copied into pinned memory in parallel chunks, each chunk's
     * DMA overlapping the next copy, until the last chunk is on the device), {@code network}
     * (all nodes, including the routing syncs, until the device is idle), {@code download}
     * (alpha to pinned memory, then into a new {@code float[]}); {@code total} = their sum.
     */
    @Override
    public Map<String, Long> lastTimings() {
        return timings;
    }

    /**
     * Copies an intermediate tensor of the last run to the host (diagnostics and tests). Only
     * meaningful for nodes that ran; with memory reuse on, a later node may have overwritten it
     * (open the engine with {@link CudaSettings#withReuseMemory(boolean) reuse off} to keep all).
     */
    public Tensor tensor(String name) {
        if (closed) throw new IllegalStateException("engine is closed");
        if (plan == null) throw new IllegalStateException("no run yet");
        context.makeCurrent();
        return plan.download(name);
    }

    /** What the current plan chose (sizes, memory, algorithms), for reports. */
    public String describePlan() {
        return plan == null ? "no plan yet" : plan.describe();
    }

    /** The device and library versions in use. */
    public String deviceDescription() {
        return context.description();
    }

    private Plan planFor(int h, int w) {
        if (plan != null && plan.h == h && plan.w == w) return plan;
        if (plan != null) {
            Plan old = plan;
            plan = null;
            old.close();
        }
        plan = new Plan(this, h, w);
        return plan;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        RuntimeException failure = null;
        try {
            if (plan != null) {
                context.makeCurrent();
                plan.close();
            }
        } catch (RuntimeException e) {
            failure = e;
        }
        plan = null;
        try {
            disposer.close();
        } catch (RuntimeException e) {
            if (failure == null) failure = e;
            else failure.addSuppressed(e);
        }
        arena.close();
        if (failure != null) throw failure;
    }
}
