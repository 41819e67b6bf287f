package io.pam.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.pam.net.Activation;
import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.Op;
import io.pam.net.Shape;
import io.pam.net.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The network compiled for one input size: device buffers ({@link MemoryPlan}), cuDNN
 * descriptors, chosen convolution algorithms, one workspace, and one prepared {@link Step} per
 * node of the description (same index as {@link NetworkSpec#nodes()}).
 *
 * <p>Convolutions: ReLU ones run as one fused cudnnConvolutionBiasActivationForward (any
 * algorithm); the others (no activation, sigmoid) as cudnnConvolutionForward with the best
 * algorithm plus our bias+activation kernel, because cuDNN's fused call with the identity
 * activation is only defined for IMPLICIT_PRECOMP_GEMM. Depthwise stride-1 convolutions use
 * our tiled kernel (bias and activation fused) unless the settings ask for cuDNN.
 */
final class Plan implements AutoCloseable {
    /** One node's work, prepared: arguments fixed, only the budget varies (cost embedding). */
    interface Step {
        void run(double budget);
    }

    private static final Step NOTHING = budget -> {};

    /** Algorithm choices are cached per process: measuring them costs time. */
    private record ConvKey(int device, int inC, int outC, int k, int stride, int pad, int groups, int h, int w,
                           CudaSettings.MathMode math, boolean measure, boolean fused) {}

    private record Choice(int algo, int mathType, String name) {}

    private static final Map<ConvKey, Choice> CHOSEN = new ConcurrentHashMap<>();

    final int h, w;
    private final CudaEngine engine;
    private final NetworkSpec spec;
    private final CudaSettings settings;
    private final Map<String, Shape> shapes;
    private final MemoryPlan memory;
    private final Arena arena = Arena.ofShared();
    private final Disposer disposer = new Disposer();
    private final long[] slots;
    private final List<Step> steps = new ArrayList<>();
    private final Map<String, Integer> kinds = new TreeMap<>();
    /** Page-locked staging of the input and of alpha, allocated once per plan (fast, asynchronous DMA). */
    private long hostIn, hostInBytes, hostOut, hostOutBytes;
    private long measureSpace, measureBytes;
    private long workspace, workspaceBytes;

    Plan(CudaEngine engine, int h, int w) {
        this.engine = engine;
        this.spec = engine.spec();
        this.settings = engine.settings();
        this.h = h;
        this.w = w;
        this.shapes = spec.shapes(h, w);
        this.memory = MemoryPlan.of(spec, shapes, settings.reuseMemory());
        long[] sizes = memory.slotFloats();
        this.slots = new long[sizes.length];
        try {
            for (int s = 0; s < sizes.length; s++) {
                slots[s] = disposer.add(Cudart.malloc(sizes[s] * 4), Cudart::free);
                Cudart.memset(slots[s], 0, sizes[s] * 4);
            }
            hostInBytes = shapes.get(NetworkSpec.INPUT).size() * 4;
            hostIn = disposer.add(Cudart.mallocHost(hostInBytes), Cudart::freeHost);
            hostOutBytes = shapes.get(NetworkSpec.OUTPUT).size() * 4;
            hostOut = disposer.add(Cudart.mallocHost(hostOutBytes), Cudart::freeHost);
            if (settings.measureAlgorithms()) {
                long free = Cudart.memInfo()[0];
                measureBytes = Math.min(settings.workspaceLimitBytes(), free / 2) & ~0xFFFFL;
                if (measureBytes > 0) measureSpace = Cudart.malloc(measureBytes);
            }
            try {
                for (Node n : spec.nodes()) steps.add(compile(n));
            } finally {
                if (measureSpace != 0) Cudart.free(measureSpace);
                measureSpace = 0;
            }
            if (workspaceBytes > 0) workspace = disposer.add(Cudart.malloc(workspaceBytes), Cudart::free);
        } catch (RuntimeException e) {
            throw Disposer.closeAfterFailure(e, this::close);
        }
    }

    Step step(int index) {
        return steps.get(index);
    }

    /** Device address of a tensor. */
    long pointer(String tensor) {
        MemoryPlan.Place p = memory.place(tensor);
        return slots[p.slot()] + p.offset() * 4;
    }

    /**
     * Starts copying host data into a tensor's place: chunks go into the pinned staging buffer
     * (in parallel, {@link HostCopy}) and each chunk's DMA is queued on the default stream as
     * soon as it is in place. Returns with the last transfers possibly still running; work
     * queued afterwards on the default stream sees the data, and the staging buffer must not
     * be rewritten before the next synchronisation (every run ends with one).
     */
    void upload(String tensor, float[] data) {
        long bytes = (long) data.length * 4;
        if (bytes != memory.place(tensor).size() * 4 || bytes > hostInBytes)
            throw new IllegalArgumentException(tensor + ": " + data.length + " values, expected " + memory.place(tensor).size());
        MemorySegment staging = MemorySegment.ofAddress(hostIn).reinterpret(bytes);
        long dst = pointer(tensor), src = hostIn;
        HostCopy.toNative(data, staging, (off, n) -> Cudart.memcpyAsync(dst + off, src + off, n, Cudart.H2D));
    }

    /** Copies the network's output to a new host tensor through the pinned buffer (synchronises). */
    Tensor downloadOutput() {
        Shape s = shapes.get(NetworkSpec.OUTPUT);
        long bytes = s.size() * 4;
        if (bytes > hostOutBytes) throw new IllegalStateException("output staging holds " + hostOutBytes + " bytes, " + bytes + " needed");
        Cudart.memcpy(hostOut, pointer(NetworkSpec.OUTPUT), bytes, Cudart.D2H);
        float[] out = new float[Math.toIntExact(s.size())];
        HostCopy.fromNative(MemorySegment.ofAddress(hostOut).reinterpret(bytes), out);
        return new Tensor(1, s.c(), s.h(), s.w(), out);
    }

    /** Copies any tensor to the host through temporary memory (diagnostics; synchronises). */
    Tensor download(String tensor) {
        Shape s = shapes.get(tensor);
        if (s == null) throw new IllegalArgumentException("no tensor " + tensor);
        float[] out = new float[Math.toIntExact(s.size())];
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(JAVA_FLOAT, out.length);
            Cudart.memcpy(buf.address(), pointer(tensor), s.size() * 4, Cudart.D2H);
            MemorySegment.copy(buf, JAVA_FLOAT, 0, out, 0, out.length);
        }
        return new Tensor(1, s.c(), s.h(), s.w(), out);
    }

    String describe() {
        long bytes = memory.totalFloats() * 4;
        return String.format(Locale.ROOT, "%dx%d: %d buffers, %.1f MiB activations + %.1f MiB workspace; %s", h, w,
                slots.length, bytes / 1048576.0, workspaceBytes / 1048576.0, kinds);
    }

    private void count(String kind) {
        kinds.merge(kind, 1, Integer::sum);
    }

    private Step compile(Node n) {
        Shape out = shapes.get(n.name());
        long y = pointer(n.name());
        List<String> in = n.inputs();
        Kernels k = engine.kernels;
        return switch (n.op()) {
            case Op.Conv c -> conv(n, c, shapes.get(in.get(0)), out, pointer(in.get(0)), y);
            case Op.Add a -> launch(k.prepare1d(arena, "pam_add", out.size(), pointer(in.get(0)), pointer(in.get(1)), y, out.size()));
            case Op.Concat c -> concat(n);
            case Op.Resize r -> {
                Shape s = shapes.get(in.get(0));
                yield launch(k.prepare1d(arena, "pam_resize", out.size(), pointer(in.get(0)), y, s.c(), s.h(), s.w(), out.h(), out.w()));
            }
            case Op.AvgPool p -> pool(p, shapes.get(in.get(0)), out, pointer(in.get(0)), y);
            case Op.GlobalAvgPool g -> globalAverage(shapes.get(in.get(0)), pointer(in.get(0)), y);
            case Op.ChannelMul m -> {
                long plane = (long) out.h() * out.w();
                yield launch(k.prepare1d(arena, "pam_channel_mul", out.size(), pointer(in.get(0)), pointer(in.get(1)), y, plane, out.size()));
            }
            case Op.CostEmbedding e -> {
                long table = engine.params(n.name())[0];
                long bytes = 4L * e.dim();
                yield budget -> Cudart.memcpy(y, table + (long) e.row(budget) * bytes, bytes, Cudart.D2D);
            }
            case Op.Composite c -> {
                long plane = (long) out.h() * out.w();
                yield launch(k.prepare1d(arena, "pam_composite", plane, pointer(in.get(0)), pointer(in.get(1)), y, plane));
            }
        };
    }

    private static Step launch(Kernels.Launch l) {
        return budget -> l.run();
    }

    private static int code(Activation a) {
        return switch (a) {
            case NONE -> 0;
            case RELU -> 1;
            case SIGMOID -> 2;
        };
    }

    private Step concat(Node n) {
        List<Runnable> copies = new ArrayList<>();
        long y = pointer(n.name());
        long off = 0;
        for (String in : n.inputs()) {
            long bytes = shapes.get(in).size() * 4;
            if (!memory.inPlace(n.name(), in)) {
                long src = pointer(in), dst = y + off;
                copies.add(() -> Cudart.memcpy(dst, src, bytes, Cudart.D2D));
            }
            off += bytes;
        }
        count(copies.isEmpty() ? "concat in place" : "concat with copies");
        return copies.isEmpty() ? NOTHING : budget -> copies.forEach(Runnable::run);
    }

    private Step globalAverage(Shape s, long x, long y) {
        count("global average");
        return launch(engine.kernels.prepare(arena, "pam_global_avg", s.c(), 1, 1, 256, 1, 1, x, y, (long) s.h() * s.w()));
    }

    private Step pool(Op.AvgPool p, Shape s, Shape out, long x, long y) {
        if (!p.fits(s.h(), s.w())) return globalAverage(s, x, y);
        if (!settings.poolingKernel()) {
            long pd = disposer.add(Cudnn.averagePooling(p.window(), p.pad(), p.stride()), Cudnn::destroyPooling);
            long xd = tensor(s), yd = tensor(out);
            int[] dims = Cudnn.poolingOutput(pd, xd);
            if (Arrays.equals(dims, new int[] {1, out.c(), out.h(), out.w()})) {
                count("cudnn pooling");
                long handle = engine.cudnn;
                return budget -> Cudnn.poolingForward(handle, pd, engine.one, xd, x, engine.zero, yd, y);
            }
            count("pooling kernel (cuDNN output " + Arrays.toString(dims) + " differs)");
        } else {
            count("pooling kernel");
        }
        return launch(engine.kernels.prepare1d(arena, "pam_avg_pool", out.size(), x, y, s.c(), s.h(), s.w(), out.h(), out.w(),
                p.window(), p.stride(), p.pad()));
    }

    private long tensor(Shape s) {
        return disposer.add(Cudnn.tensor(Cudnn.TENSOR_NCHW, 1, s.c(), s.h(), s.w()), Cudnn::destroyTensor);
    }

    private Step conv(Node n, Op.Conv c, Shape in, Shape out, long x, long y) {
        long[] p = engine.params(n.name());
        long wPtr = p[0], bPtr = p[1];
        int act = code(c.activation());
        if (c.depthwise() && c.stride() == 1 && c.pad() == c.kernel() / 2 && settings.depthwiseKernel()
                && Kernels.hasDepthwise(c.kernel())) {
            count("depthwise kernel");
            return launch(engine.kernels.prepare(arena, "pam_dw" + c.kernel(), (out.w() + 31) / 32, (out.h() + 31) / 32, out.c(),
                    32, 4, 1, x, wPtr, bPtr, y, out.h(), out.w(), act));
        }
        int math = settings.math() == CudaSettings.MathMode.FP32 ? Cudnn.FMA_MATH : Cudnn.TENSOR_OP_MATH_ALLOW_CONVERSION;
        long xd = tensor(in), yd = tensor(out);
        long wd = disposer.add(Cudnn.filter(Cudnn.TENSOR_NCHW, c.outC(), c.inC() / c.groups(), c.kernel(), c.kernel()), Cudnn::destroyFilter);
        long cd = disposer.add(Cudnn.convolution(c.pad(), c.stride(), c.groups(), math), Cudnn::destroyConvolution);
        int[] dims = Cudnn.convolutionOutput(cd, xd, wd);
        if (!Arrays.equals(dims, new int[] {1, out.c(), out.h(), out.w()}))
            throw new IllegalStateException(n.name() + ": cuDNN computes output " + Arrays.toString(dims) + ", the description " + out);
        boolean fused = c.activation() == Activation.RELU;
        ConvKey key = new ConvKey(settings.device(), c.inC(), c.outC(), c.kernel(), c.stride(), c.pad(), c.groups(), in.h(), in.w(),
                settings.math(), settings.measureAlgorithms(), fused);
        Choice choice = CHOSEN.computeIfAbsent(key, kk -> choose(xd, x, wd, wPtr, cd, yd, y, math));
        if (settings.math() == CudaSettings.MathMode.TF32) Cudnn.setMathType(cd, choice.mathType());
        long need = Cudnn.workspaceSize(engine.cudnn, xd, wd, cd, yd, choice.algo());
        workspaceBytes = Math.max(workspaceBytes, need);
        count((c.groups() > 1 ? "grouped " : "") + choice.name());
        long handle = engine.cudnn;
        int algo = choice.algo();
        if (fused) {
            long bd = disposer.add(Cudnn.tensor(Cudnn.TENSOR_NCHW, 1, c.outC(), 1, 1), Cudnn::destroyTensor);
            long relu = engine.reluDescriptor;
            return budget -> Cudnn.convolutionBiasActivation(handle, engine.one, xd, x, wd, wPtr, cd, algo, workspace, workspaceBytes,
                    engine.zero, yd, y, bd, bPtr, relu, yd, y);
        }
        Kernels.Launch bias = engine.kernels.prepare1d(arena, "pam_bias_act", out.size(), y, bPtr, (long) out.h() * out.w(), out.size(), act);
        return budget -> {
            Cudnn.convolutionForward(handle, engine.one, xd, x, wd, wPtr, cd, algo, workspace, workspaceBytes, engine.zero, yd, y);
            bias.run();
        };
    }

    /** The fastest (measured) or best-ranked (heuristic) algorithm within the workspace limit. */
    private Choice choose(long xd, long x, long wd, long wPtr, long cd, long yd, long y, int math) {
        String note = "";
        if (settings.measureAlgorithms() && measureSpace != 0) {
            try {
                Choice c = pick(Cudnn.findAlgorithms(engine.cudnn, xd, x, wd, wPtr, cd, yd, y, measureSpace, measureBytes), math, "");
                if (c != null) return c;
                note = " (nothing measured)";
            } catch (CudaException e) {
                note = " (measuring failed: " + e.getMessage() + ")";
            }
        }
        try {
            Choice c = pick(Cudnn.heuristicAlgorithms(engine.cudnn, xd, wd, cd, yd), math, note.isEmpty() ? "" : " heuristic" + note);
            if (c != null) return c;
        } catch (CudaException e) {
            note += " (heuristic failed: " + e.getMessage() + ")";
        }
        // IMPLICIT_GEMM needs no workspace and supports every geometry
        return new Choice(0, math, "IMPLICIT_GEMM fallback" + note);
    }

    private Choice pick(List<Cudnn.AlgoPerf> perf, int math, String note) {
        for (Cudnn.AlgoPerf p : perf) {
            if (p.status() != 0 || p.memory() > settings.workspaceLimitBytes()) continue;
            // FP32 mode keeps FMA math whatever the perf entry says (DEFAULT_MATH may use TF32 on Ampere+)
            int mt = settings.math() == CudaSettings.MathMode.FP32 ? math : p.mathType();
            return new Choice(p.algo(), mt, p.algoName() + note);
        }
        return null;
    }

    @Override
    public void close() {
        try {
            disposer.close();
        } finally {
            arena.close();
        }
    }
}
