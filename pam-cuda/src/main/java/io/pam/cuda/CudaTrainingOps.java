package io.pam.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.pam.net.Activation;
import io.pam.net.Nchw;
import io.pam.net.Op;
import io.pam.net.Tensor;
import io.pam.spi.TrainingOps;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Training kernels on one GPU: activations and parameter vectors stay in device memory, every
 * op runs on the legacy default stream (so ops are ordered without events), FP32 throughout.
 * Convolutions are cuDNN's (forward, backward data, backward filter; FMA math so TF32 tensor
 * cores are never used); everything else is an NVRTC kernel of {@link TrainingKernels}, written
 * to mirror {@code RefTrainingOps}, the semantic oracle.
 *
 * <p>Memory: results come from a caching pool ({@link DevicePool}) and belong to the innermost
 * open {@link #scope()} (or, with no scope open, to the ops until {@link #close()}); closing a
 * scope gives its blocks back to the pool, so a training loop that opens one scope per step
 * reaches a steady state without cudaMalloc/cudaFree. Vectors made by {@link #fromHost} and
 * {@link #zeros} live until {@link #release} or {@link #close()}. Closing the ops frees every
 * block (pool included), the cuDNN handle, the descriptors and the kernel module. Host copies
 * (upload, download, fromHost, toHost, write) are synchronous and go through one page-locked
 * staging buffer, grown as needed and freed on close.
 *
 * <p>Convolution descriptors and algorithm choices are cached per (op, batch shape); one cuDNN
 * workspace buffer is grown as needed. An algorithm cuDNN ranks first but then refuses
 * (NOT_SUPPORTED for a grouped geometry, say) is skipped for the next in its ranking, ending
 * with ALGO_0, which supports every geometry.
 *
 * <p>Not thread-safe; may move between threads (each op makes the context current).
 */
final class CudaTrainingOps implements TrainingOps<DeviceTensor, DeviceVector> {
    /** More distinct convolution shapes than a training loop has: the cache is then rebuilt. */
    private static final int MAX_CONV_PLANS = 1024;
    /** Algorithms needing more cuDNN workspace than this are skipped (FFT variants on large maps). */
    static final long WORKSPACE_LIMIT_BYTES = 512L << 20;

    private final CudaContext context;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment one, zero;
    private final long cudnn;
    private final TrainingKernels kernels;
    private final DeviceLosses losses;
    private final DevicePool pool = new DevicePool();
    private final ArrayDeque<ScopeImpl> scopes = new ArrayDeque<>();
    /** Results made while no scope was open: owned until close. */
    private final Blocks unscoped = new Blocks();
    /** Inputs copied ahead on a stream of their own ({@link #prefetch}). */
    private final InputPrefetch inputs = new InputPrefetch();
    /** Vectors of fromHost/zeros: address to requested bytes. */
    private final Map<Long, Long> persistent = new HashMap<>();
    private final Map<ConvKey, ConvPlan> plans = new LinkedHashMap<>();
    private long workspace, workspaceBytes;
    /** Page-locked staging buffer of the host copies (cudaMallocHost), grown as needed; 0 until first used. */
    private long pinned, pinnedBytes;
    private boolean closed;
    private final boolean syncEach;

    /**
     * Opens the ops on a device.
     *
     * @param syncEach synchronise after every kernel and cuDNN call, so an asynchronous device
     *                 fault is reported naming the op that caused it (debugging and tests; slow)
     */
    CudaTrainingOps(CudaContext context, boolean syncEach) {
        this.context = context;
        this.syncEach = syncEach;
        context.makeCurrent();
        one = arena.allocateFrom(JAVA_FLOAT, 1f);
        zero = arena.allocateFrom(JAVA_FLOAT, 0f);
        long handle = 0;
        try {
            handle = Cudnn.createHandle();
            kernels = new TrainingKernels(context.arch(), syncEach);
        } catch (RuntimeException e) {
            if (handle != 0) {
                try {
                    Cudnn.destroyHandle(handle);
                } catch (RuntimeException s) {
                    e.addSuppressed(s);
                }
            }
            arena.close();
            throw e;
        }
        cudnn = handle;
        losses = new DeviceLosses(kernels, pool);
    }

    @Override
    public String name() {
        return "cuda";
    }

    // ---- memory ---------------------------------------------------------------------------

    /** Device blocks owned together: address and requested bytes. */
    private static final class Blocks {
        long[] ptrs = new long[16], bytes = new long[16];
        int count;

        void add(long ptr, long size) {
            if (count == ptrs.length) {
                ptrs = Arrays.copyOf(ptrs, count * 2);
                bytes = Arrays.copyOf(bytes, count * 2);
            }
            ptrs[count] = ptr;
            bytes[count] = size;
            count++;
        }
    }

    private final class ScopeImpl implements Scope {
        final Blocks blocks = new Blocks();
        boolean open = true;

        /** Closes this scope (and any inner scope still open), giving its blocks back to the pool. */
        @Override
        public void close() {
            if (!open || closed) {
                open = false;
                return;
            }
            while (!scopes.isEmpty()) {
                ScopeImpl top = scopes.pop();
                top.open = false;
                for (int i = 0; i < top.blocks.count; i++) pool.give(top.blocks.ptrs[i], top.blocks.bytes[i]);
                top.blocks.count = 0;
                if (top == this) return;
            }
        }
    }

    @Override
    public Scope scope() {
        begin();
        ScopeImpl s = new ScopeImpl();
        scopes.push(s);
        return s;
    }

    /** A block for an op's result, owned by the innermost open scope. */
    private long alloc(long bytes) {
        long ptr = pool.take(bytes);
        (scopes.isEmpty() ? unscoped : scopes.peek().blocks).add(ptr, bytes);
        return ptr;
    }

    private DeviceTensor tensor(int n, int c, int h, int w) {
        long size = (long) n * c * h * w;
        if (n <= 0 || c <= 0 || h <= 0 || w <= 0) throw new IllegalArgumentException("bad tensor shape " + n + "x" + c + "x" + h + "x" + w);
        return new DeviceTensor(n, c, h, w, alloc(size * 4));
    }

    private DeviceTensor like(DeviceTensor t) {
        return tensor(t.n(), t.c(), t.h(), t.w());
    }

    private DeviceVector vector(int length) {
        return new DeviceVector(length, alloc(4L * length));
    }

    /** Bytes the ops' results and vectors occupy now (pool blocks handed out). */
    long inUseBytes() {
        return pool.inUseBytes();
    }

    /** Bytes cached by the pool for reuse. */
    long cachedBytes() {
        return pool.cachedBytes();
    }

    /** cudaMalloc calls the pool has made so far. */
    long mallocs() {
        return pool.mallocs();
    }

    private void begin() {
        if (closed) throw new IllegalStateException("the CUDA training ops are closed");
        context.makeCurrent();
    }

    /**
     * A view of the first {@code floats} floats of the pinned staging buffer, reallocated larger
     * when too small. Page-locked memory makes cudaMemcpy a direct DMA (pageable memory is
     * copied once more by the driver, through its own small pinned buffers).
     */
    private MemorySegment staging(long floats) {
        long bytes = Math.max(floats, 1) * 4;
        if (bytes > pinnedBytes) {
            long size = Math.max(1L << 16, (bytes + 0xFFFF) & ~0xFFFFL); // whole 64 KiB
            if (pinned != 0) {
                long old = pinned;
                pinned = 0;
                pinnedBytes = 0;
                Cudart.freeHost(old); // no copy is in flight: every copy through it was synchronous
            }
            pinned = Cudart.mallocHost(size);
            pinnedBytes = size;
        }
        // a global-scope view: HostCopy's worker threads copy through it
        return MemorySegment.ofAddress(pinned).reinterpret(bytes);
    }

    /** Synchronous; the host copy into the staging buffer overlaps the transfer of the chunks already in place. */
    private void toDevice(long dst, float[] src) {
        if (src.length == 0) return;
        MemorySegment s = staging(src.length);
        HostCopy.toNative(src, s, (off, bytes) -> Cudart.memcpy(dst + off, s.address() + off, bytes, Cudart.H2D));
    }

    private float[] toHostArray(long src, long count) {
        if (count > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("too large for a Java array: " + count + " floats");
        float[] out = new float[(int) count];
        if (count == 0) return out;
        MemorySegment s = staging(count);
        Cudart.memcpy(s.address(), src, 4L * count, Cudart.D2H);
        HostCopy.fromNative(s, out);
        return out;
    }

    // ---- convolution ----------------------------------------------------------------------

    private record ConvKey(int n, int h, int w, Op.Conv c) {}

    /** A ranked list of algorithms of one direction; {@code index} moves on when one is refused. */
    private static final class Algos {
        final int[] algos;
        int index;
        long bytes = -1;

        Algos(List<Cudnn.AlgoPerf> perf) {
            List<Integer> l = new ArrayList<>();
            for (Cudnn.AlgoPerf p : perf) if (p.status() == 0 && !l.contains(p.algo())) l.add(p.algo());
            if (!l.contains(0)) l.add(0);
            algos = l.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    private final class ConvPlan {
        final long xd, yd, wd, cd;
        final Algos fwd;
        Algos bwdData, bwdFilter;

        ConvPlan(ConvKey k) {
            Op.Conv c = k.c();
            int oh = c.outSize(k.h()), ow = c.outSize(k.w());
            long x = 0, y = 0, w = 0, conv = 0;
            try {
                x = Cudnn.tensor(Cudnn.TENSOR_NCHW, k.n(), c.inC(), k.h(), k.w());
                y = Cudnn.tensor(Cudnn.TENSOR_NCHW, k.n(), c.outC(), oh, ow);
                w = Cudnn.filter(Cudnn.TENSOR_NCHW, c.outC(), c.inC() / c.groups(), c.kernel(), c.kernel());
                // FMA math: cuDNN may not use TF32 tensor cores (parity with the FP32 host oracle)
                conv = Cudnn.convolution(c.pad(), c.stride(), c.groups(), Cudnn.FMA_MATH);
                int[] dims = Cudnn.convolutionOutput(conv, x, w);
                if (!Arrays.equals(dims, new int[] {k.n(), c.outC(), oh, ow}))
                    throw new IllegalStateException("cuDNN computes output " + Arrays.toString(dims) + " for " + c + " on " + k.n() + "x"
                            + c.inC() + "x" + k.h() + "x" + k.w() + ", the op " + k.n() + "x" + c.outC() + "x" + oh + "x" + ow);
            } catch (RuntimeException e) {
                destroy(x, y, w, conv, e);
                throw e;
            }
            xd = x;
            yd = y;
            wd = w;
            cd = conv;
            fwd = new Algos(ranked(() -> Cudnn.heuristicAlgorithms(cudnn, xd, wd, cd, yd)));
        }

        Algos bwdData() {
            if (bwdData == null) bwdData = new Algos(ranked(() -> Cudnn.backwardDataAlgorithms(cudnn, wd, yd, cd, xd)));
            return bwdData;
        }

        Algos bwdFilter() {
            if (bwdFilter == null) bwdFilter = new Algos(ranked(() -> Cudnn.backwardFilterAlgorithms(cudnn, xd, yd, cd, wd)));
            return bwdFilter;
        }

        void close() {
            destroy(xd, yd, wd, cd, null);
        }

        private static void destroy(long x, long y, long w, long conv, RuntimeException into) {
            RuntimeException first = into;
            Runnable[] steps = {
                () -> { if (conv != 0) Cudnn.destroyConvolution(conv); },
                () -> { if (w != 0) Cudnn.destroyFilter(w); },
                () -> { if (y != 0) Cudnn.destroyTensor(y); },
                () -> { if (x != 0) Cudnn.destroyTensor(x); }};
            for (Runnable r : steps) {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    if (first == null) first = e;
                    else first.addSuppressed(e);
                }
            }
            if (into == null && first != null) throw first;
        }
    }

    /** The heuristic's ranking; empty (so ALGO_0 alone) when the heuristic itself fails. */
    private static List<Cudnn.AlgoPerf> ranked(java.util.function.Supplier<List<Cudnn.AlgoPerf>> heuristic) {
        try {
            return heuristic.get();
        } catch (CudaException e) {
            return List.of();
        }
    }

    private ConvPlan plan(DeviceTensor x, Op.Conv c) {
        ConvKey k = new ConvKey(x.n(), x.h(), x.w(), c);
        ConvPlan p = plans.get(k);
        if (p == null) {
            if (plans.size() >= MAX_CONV_PLANS) {
                for (ConvPlan old : plans.values()) old.close();
                plans.clear();
            }
            p = new ConvPlan(k);
            plans.put(k, p);
        }
        return p;
    }

    private interface WorkspaceQuery {
        long bytes(int algo);
    }

    private interface AlgoCall {
        void run(int algo, long ws, long wsBytes);
    }

    /** Runs the current algorithm of {@code a}; on refusal moves to the next ranked one. */
    private void runAlgo(Algos a, WorkspaceQuery query, AlgoCall call, String what) {
        CudaException first = null;
        while (a.index < a.algos.length) {
            int algo = a.algos[a.index];
            try {
                if (a.bytes < 0) a.bytes = query.bytes(algo);
                if (a.bytes > WORKSPACE_LIMIT_BYTES)
                    throw new CudaException("algorithm " + algo + " wants " + (a.bytes >> 20) + " MiB of workspace (limit "
                            + (WORKSPACE_LIMIT_BYTES >> 20) + " MiB)");
                ensureWorkspace(a.bytes);
                call.run(algo, workspace, a.bytes);
            } catch (CudaException e) {
                if (first == null) first = e;
                else first.addSuppressed(e);
                a.index++;
                a.bytes = -1;
                continue;
            }
            // outside the try: a fault on the device is not a reason to try another algorithm
            if (syncEach) TrainingKernels.checkpoint(what + " (cuDNN algorithm " + algo + ")");
            return;
        }
        a.index = 0;
        throw new CudaException(what + ": every cuDNN algorithm failed; first: " + (first == null ? "none ranked" : first.getMessage()), first);
    }

    private void ensureWorkspace(long bytes) {
        if (bytes <= workspaceBytes) return;
        if (workspace != 0) {
            Cudart.free(workspace); // synchronises: the old workspace may still be in use
            workspace = 0;
            workspaceBytes = 0;
        }
        long size = DevicePool.rounded(bytes);
        workspace = Cudart.malloc(size);
        workspaceBytes = size;
    }

    private static void checkConv(DeviceTensor x, Op.Conv c, DeviceVector w, DeviceVector b) {
        if (x.c() != c.inC()) throw new IllegalArgumentException("conv expects " + c.inC() + " input channels, got " + x);
        if (c.outSize(x.h()) <= 0 || c.outSize(x.w()) <= 0) throw new IllegalArgumentException("conv " + c + " gives an empty output for " + x);
        long wl = (long) c.outC() * (c.inC() / c.groups()) * c.kernel() * c.kernel();
        if (w.length() != wl) throw new IllegalArgumentException("conv " + c + " needs " + wl + " weights, got " + w);
        if (b != null && b.length() != c.outC()) throw new IllegalArgumentException("conv " + c + " needs " + c.outC() + " biases, got " + b);
    }

    @Override
    public DeviceTensor conv(DeviceTensor x, Op.Conv c, DeviceVector w, DeviceVector b) {
        begin();
        checkConv(x, c, w, b);
        ConvPlan p = plan(x, c);
        DeviceTensor y = tensor(x.n(), c.outC(), c.outSize(x.h()), c.outSize(x.w()));
        runAlgo(p.fwd, algo -> Cudnn.workspaceSize(cudnn, p.xd, p.wd, p.cd, p.yd, algo),
                (algo, ws, wsBytes) -> Cudnn.convolutionForward(cudnn, one, p.xd, x.ptr(), p.wd, w.ptr(), p.cd, algo, ws, wsBytes, zero,
                        p.yd, y.ptr()), "conv forward " + c + " on " + x);
        if (b != null) kernels.launch1d("pt_bias", y.size(), y.ptr(), b.ptr(), c.outC(), y.plane(), y.size());
        return y;
    }

    @Override
    public ConvGrads<DeviceTensor, DeviceVector> convBackward(DeviceTensor x, Op.Conv c, DeviceVector w, DeviceTensor dy, boolean needDx) {
        begin();
        checkConv(x, c, w, null);
        int oh = c.outSize(x.h()), ow = c.outSize(x.w());
        if (dy.c() != c.outC() || dy.h() != oh || dy.w() != ow || dy.n() != x.n())
            throw new IllegalArgumentException("conv gradient " + dy + " does not match the output of " + c + " on " + x);
        ConvPlan p = plan(x, c);
        DeviceVector db = vector(c.outC());
        sum(dy.ptr(), 0L, dy.n(), dy.c(), dy.plane(), db.ptr(), 1.0, TrainingKernels.split((long) dy.n() * dy.plane()));
        DeviceVector dw = vector(w.length());
        runAlgo(p.bwdFilter(), algo -> Cudnn.backwardFilterWorkspaceSize(cudnn, p.xd, p.yd, p.cd, p.wd, algo),
                (algo, ws, wsBytes) -> Cudnn.convolutionBackwardFilter(cudnn, one, p.xd, x.ptr(), p.yd, dy.ptr(), p.cd, algo, ws, wsBytes,
                        zero, p.wd, dw.ptr()), "conv backward filter " + c + " on " + x);
        DeviceTensor dx = null;
        if (needDx) {
            DeviceTensor d = like(x);
            runAlgo(p.bwdData(), algo -> Cudnn.backwardDataWorkspaceSize(cudnn, p.wd, p.yd, p.cd, p.xd, algo),
                    (algo, ws, wsBytes) -> Cudnn.convolutionBackwardData(cudnn, one, p.wd, w.ptr(), p.yd, dy.ptr(), p.cd, algo, ws, wsBytes,
                            zero, p.xd, d.ptr()), "conv backward data " + c + " on " + x);
            dx = d;
        }
        return new ConvGrads<>(dx, dw, db);
    }

    // ---- reductions -----------------------------------------------------------------------

    /**
     * {@code out[c] = (float) (sum over n < N and the plane of a[n][c] * b[n][c]) / div} for
     * {@code c < C} ({@code b} 0: of {@code a} alone), two-stage with the geometry {@code sp}
     * (one launch when it has one block per channel).
     */
    private void sum(long a, long b, int N, int C, long plane, long out, double div, TrainingKernels.Split sp) {
        int B = sp.blocks();
        if (B == 1) {
            kernels.launch("pt_sum_partial", C, a, b, N, C, plane, 1, sp.chunk(), 0L, out, div);
            return;
        }
        long grid = (long) C * B, bytes = 8L * grid;
        long partials = pool.take(bytes);
        try {
            kernels.launch("pt_sum_partial", grid, a, b, N, C, plane, B, sp.chunk(), partials, 0L, div);
            kernels.launch("pt_sum_finish", C, partials, B, out, div);
        } finally {
            pool.give(partials, bytes); // stream order: a later user of the block runs after these kernels
        }
    }

    // ---- BatchNorm ------------------------------------------------------------------------

    private static void checkChannels(DeviceVector v, int channels, String what) {
        if (v == null) throw new IllegalArgumentException(what + " is missing");
        if (v.length() != channels) throw new IllegalArgumentException(what + " has " + v.length() + " values for " + channels + " channels");
    }

    @Override
    public BatchNormResult<DeviceTensor, DeviceVector> batchNormTrain(DeviceTensor x, DeviceVector gamma, DeviceVector beta,
                                                                       DeviceVector runningMean, DeviceVector runningVar,
                                                                       float momentum, float eps) {
        begin();
        int C = x.c();
        checkChannels(gamma, C, "gamma");
        checkChannels(beta, C, "beta");
        if ((runningMean == null) != (runningVar == null))
            throw new IllegalArgumentException("running mean and variance must both be given or both be null");
        if (runningMean != null) {
            checkChannels(runningMean, C, "running mean");
            checkChannels(runningVar, C, "running variance");
        }
        DeviceVector mean = vector(C), invStd = vector(C);
        TrainingKernels.Split sp = TrainingKernels.split((long) x.n() * x.plane());
        int B = sp.blocks();
        long grid = (long) C * B;
        // scratch: the stats for pt_bn_apply (2 per channel), then B partial sums and B partial squares per channel
        long bytes = 16L * C + 16L * grid;
        long stats = pool.take(bytes), sums = stats + 16L * C, squares = sums + 8L * grid;
        try {
            // two passes for accuracy: the mean, then the squared deviations from it
            kernels.launch("pt_sum_partial", grid, x.ptr(), 0L, x.n(), C, x.plane(), B, sp.chunk(), sums, 0L, 1.0);
            kernels.launch("pt_bn_sq_partial", grid, x.ptr(), x.n(), C, x.plane(), B, sp.chunk(), sums, squares);
            kernels.launch("pt_bn_stats_finish", C, sums, squares, x.n(), x.plane(), B, mean.ptr(), invStd.ptr(), stats,
                    runningMean == null ? 0L : runningMean.ptr(), runningVar == null ? 0L : runningVar.ptr(), momentum, eps);
            DeviceTensor y = like(x);
            kernels.launch1d("pt_bn_apply", x.size(), x.ptr(), y.ptr(), stats, gamma.ptr(), beta.ptr(), C, x.plane(), x.size());
            return new BatchNormResult<>(y, mean, invStd);
        } finally {
            pool.give(stats, bytes); // stream order: a later user of the block runs after these kernels
        }
    }

    @Override
    public BatchNormGrads<DeviceTensor, DeviceVector> batchNormBackward(DeviceTensor x, DeviceVector mean, DeviceVector invStd,
                                                                         DeviceVector gamma, DeviceTensor dy) {
        begin();
        int C = x.c();
        checkChannels(mean, C, "mean");
        checkChannels(invStd, C, "invStd");
        checkChannels(gamma, C, "gamma");
        sameShape(x, dy, "batchNormBackward: dy");
        DeviceVector dGamma = vector(C), dBeta = vector(C);
        TrainingKernels.Split sp = TrainingKernels.split((long) x.n() * x.plane());
        int B = sp.blocks();
        long grid = (long) C * B;
        // scratch: the sums for pt_bn_grad_apply (2 per channel), then B partials of sum dy and B of sum dy * xhat per channel
        long bytes = 16L * C + 16L * grid;
        long sums = pool.take(bytes), partials = sums + 16L * C;
        try {
            kernels.launch("pt_bn_grad_partial", grid, x.ptr(), dy.ptr(), mean.ptr(), invStd.ptr(), x.n(), C, x.plane(), B, sp.chunk(),
                    partials);
            kernels.launch("pt_bn_grad_finish", C, partials, C, B, dGamma.ptr(), dBeta.ptr(), sums);
            DeviceTensor dx = like(x);
            kernels.launch1d("pt_bn_grad_apply", x.size(), x.ptr(), dy.ptr(), mean.ptr(), invStd.ptr(), gamma.ptr(), sums, dx.ptr(), C,
                    x.plane(), (double) x.n() * x.plane(), x.size());
            return new BatchNormGrads<>(dx, dGamma, dBeta);
        } finally {
            pool.give(sums, bytes);
        }
    }

    @Override
    public DeviceTensor batchNormEval(DeviceTensor x, DeviceVector gamma, DeviceVector beta, DeviceVector mean, DeviceVector var, float eps) {
        begin();
        int C = x.c();
        checkChannels(gamma, C, "gamma");
        checkChannels(beta, C, "beta");
        checkChannels(mean, C, "mean");
        checkChannels(var, C, "variance");
        DeviceTensor y = like(x);
        kernels.launch1d("pt_bn_eval", x.size(), x.ptr(), y.ptr(), gamma.ptr(), beta.ptr(), mean.ptr(), var.ptr(), eps, C, x.plane(), x.size());
        return y;
    }

    // ---- elementwise ----------------------------------------------------------------------

    private static void sameShape(Nchw a, Nchw b, String what) {
        if (a.n() != b.n() || a.c() != b.c() || a.h() != b.h() || a.w() != b.w())
            throw new IllegalArgumentException(what + " " + b + " does not match " + a);
    }

    private static int code(Activation a) {
        return switch (a) {
            case NONE -> 0;
            case RELU -> 1;
            case SIGMOID -> 2;
        };
    }

    @Override
    public DeviceTensor activation(DeviceTensor x, Activation a) {
        begin();
        if (a == Activation.NONE) return x;
        DeviceTensor y = like(x);
        kernels.launch1d("pt_act", x.size(), x.ptr(), y.ptr(), code(a), x.size());
        return y;
    }

    @Override
    public DeviceTensor activationBackward(DeviceTensor y, Activation a, DeviceTensor dy) {
        begin();
        if (a == Activation.NONE) return dy;
        sameShape(y, dy, "activation gradient");
        DeviceTensor dx = like(dy);
        kernels.launch1d("pt_act_grad", y.size(), y.ptr(), dy.ptr(), dx.ptr(), code(a), y.size());
        return dx;
    }

    @Override
    public DeviceTensor add(DeviceTensor a, DeviceTensor b) {
        begin();
        sameShape(a, b, "add:");
        DeviceTensor y = like(a);
        kernels.launch1d("pt_add", a.size(), a.ptr(), b.ptr(), y.ptr(), a.size());
        return y;
    }

    @Override
    public void accumulate(DeviceTensor into, DeviceTensor g) {
        begin();
        sameShape(into, g, "accumulate:");
        kernels.launch1d("pt_accumulate", into.size(), into.ptr(), g.ptr(), into.size());
    }

    private static void checkGate(DeviceTensor x, DeviceTensor g) {
        if (g.n() != x.n() || g.c() != x.c() || g.h() != 1 || g.w() != 1)
            throw new IllegalArgumentException("channelMul: gate " + g + " must be " + x.n() + "x" + x.c() + "x1x1 for " + x);
    }

    @Override
    public DeviceTensor channelMul(DeviceTensor x, DeviceTensor g) {
        begin();
        checkGate(x, g);
        DeviceTensor y = like(x);
        kernels.launch1d("pt_channel_mul", x.size(), x.ptr(), g.ptr(), y.ptr(), x.plane(), x.size());
        return y;
    }

    @Override
    public List<DeviceTensor> channelMulBackward(DeviceTensor x, DeviceTensor g, DeviceTensor dy) {
        begin();
        checkGate(x, g);
        sameShape(x, dy, "channelMul gradient");
        DeviceTensor dx = like(x);
        kernels.launch1d("pt_channel_mul", x.size(), dy.ptr(), g.ptr(), dx.ptr(), x.plane(), x.size());
        DeviceTensor dg = tensor(x.n(), x.c(), 1, 1);
        sum(dy.ptr(), x.ptr(), 1, Math.multiplyExact(x.n(), x.c()), x.plane(), dg.ptr(), 1.0, TrainingKernels.splitPlanes(x.plane()));
        return List.of(dx, dg);
    }

    // ---- layout ---------------------------------------------------------------------------

    private void copyChannels(DeviceTensor src, long srcOff, DeviceTensor dst, long dstOff, long channels) {
        long total = (long) src.n() * channels * src.plane();
        kernels.launch1d("pt_copy_channels", total, src.ptr(), dst.ptr(), (long) src.c(), srcOff, (long) dst.c(), dstOff, channels,
                src.plane(), total);
    }

    @Override
    public DeviceTensor concat(List<DeviceTensor> parts) {
        begin();
        if (parts.isEmpty()) throw new IllegalArgumentException("concat of no tensors");
        DeviceTensor first = parts.getFirst();
        int c = 0;
        for (DeviceTensor t : parts) {
            if (t.n() != first.n() || t.h() != first.h() || t.w() != first.w())
                throw new IllegalArgumentException("concat: " + t + " vs " + first + " (N, H and W must match)");
            c += t.c();
        }
        DeviceTensor y = tensor(first.n(), c, first.h(), first.w());
        long off = 0;
        for (DeviceTensor t : parts) {
            copyChannels(t, 0, y, off, t.c());
            off += t.c();
        }
        return y;
    }

    @Override
    public List<DeviceTensor> split(DeviceTensor x, int[] channels) {
        begin();
        int total = 0;
        for (int c : channels) {
            if (c <= 0) throw new IllegalArgumentException("split " + x + " into " + Arrays.toString(channels) + ": widths must be positive");
            total += c;
        }
        if (total != x.c()) throw new IllegalArgumentException("split " + x + " into " + Arrays.toString(channels) + ": widths must sum to " + x.c());
        List<DeviceTensor> out = new ArrayList<>();
        long off = 0;
        for (int c : channels) {
            DeviceTensor t = tensor(x.n(), c, x.h(), x.w());
            copyChannels(x, off, t, 0, c);
            out.add(t);
            off += c;
        }
        return out;
    }

    // ---- resampling -----------------------------------------------------------------------

    @Override
    public DeviceTensor resize(DeviceTensor x, int outH, int outW) {
        begin();
        if (outH <= 0 || outW <= 0) throw new IllegalArgumentException("resize " + x + " to " + outH + "x" + outW);
        DeviceTensor y = tensor(x.n(), x.c(), outH, outW);
        kernels.launch1d("pt_resize", y.size(), x.ptr(), y.ptr(), x.h(), x.w(), outH, outW, y.size());
        return y;
    }

    @Override
    public DeviceTensor resizeBackward(DeviceTensor dy, int inH, int inW) {
        begin();
        if (inH <= 0 || inW <= 0) throw new IllegalArgumentException("resize gradient " + dy + " for an input of " + inH + "x" + inW);
        DeviceTensor dx = tensor(dy.n(), dy.c(), inH, inW);
        Cudart.memset(dx.ptr(), 0, 4 * dx.size());
        kernels.launch1d("pt_resize_grad", dy.size(), dy.ptr(), dx.ptr(), inH, inW, dy.h(), dy.w(), dy.size());
        return dx;
    }

    @Override
    public DeviceTensor avgPool(DeviceTensor x, Op.AvgPool p) {
        begin();
        if (!p.fits(x.h(), x.w())) return globalAvgPool(x);
        int oh = p.outSize(x.h()), ow = p.outSize(x.w());
        DeviceTensor y = tensor(x.n(), x.c(), oh, ow);
        kernels.launch1d("pt_avg_pool", y.size(), x.ptr(), y.ptr(), x.h(), x.w(), oh, ow, p.window(), p.stride(), p.pad(), y.size());
        return y;
    }

    @Override
    public DeviceTensor avgPoolBackward(DeviceTensor dy, Op.AvgPool p, int inH, int inW) {
        begin();
        if (inH <= 0 || inW <= 0) throw new IllegalArgumentException("avgPool gradient " + dy + " for an input of " + inH + "x" + inW);
        if (!p.fits(inH, inW)) return globalAvgPoolBackward(dy, inH, inW);
        int oh = p.outSize(inH), ow = p.outSize(inW);
        if (dy.h() != oh || dy.w() != ow) throw new IllegalArgumentException("avgPool gradient " + dy + " for input " + inH + "x" + inW);
        DeviceTensor dx = tensor(dy.n(), dy.c(), inH, inW);
        Cudart.memset(dx.ptr(), 0, 4 * dx.size());
        kernels.launch1d("pt_avg_pool_grad", dy.size(), dy.ptr(), dx.ptr(), inH, inW, oh, ow, p.window(), p.stride(), p.pad(), dy.size());
        return dx;
    }

    @Override
    public DeviceTensor globalAvgPool(DeviceTensor x) {
        begin();
        DeviceTensor y = tensor(x.n(), x.c(), 1, 1);
        sum(x.ptr(), 0L, 1, Math.multiplyExact(x.n(), x.c()), x.plane(), y.ptr(), (double) x.plane(), TrainingKernels.splitPlanes(x.plane()));
        return y;
    }

    @Override
    public DeviceTensor globalAvgPoolBackward(DeviceTensor dy, int inH, int inW) {
        begin();
        if (dy.h() != 1 || dy.w() != 1) throw new IllegalArgumentException("global pool gradient must be N x C x 1 x 1, got " + dy);
        if (inH <= 0 || inW <= 0) throw new IllegalArgumentException("global pool gradient for an input of " + inH + "x" + inW);
        DeviceTensor dx = tensor(dy.n(), dy.c(), inH, inW);
        kernels.launch1d("pt_expand", dx.size(), dy.ptr(), dx.ptr(), inH * inW, dx.size());
        return dx;
    }

    // ---- the network's special ops --------------------------------------------------------

    @Override
    public DeviceTensor embedding(DeviceVector table, Op.CostEmbedding e, int n, double budget) {
        begin();
        if (table.length() != e.rows() * e.dim())
            throw new IllegalArgumentException("embedding " + e + " needs a table of " + e.rows() * e.dim() + " values, got " + table);
        if (n <= 0) throw new IllegalArgumentException("embedding batch must be >= 1, got " + n);
        DeviceTensor y = tensor(n, e.dim(), 1, 1);
        long row = table.ptr() + 4L * e.row(budget) * e.dim();
        kernels.launch1d("pt_tile", y.size(), row, y.ptr(), (long) e.dim(), y.size());
        return y;
    }

    @Override
    public DeviceVector embeddingBackward(DeviceTensor dy, Op.CostEmbedding e, double budget) {
        begin();
        if (dy.c() != e.dim() || dy.h() != 1 || dy.w() != 1)
            throw new IllegalArgumentException("embedding gradient must be N x " + e.dim() + " x 1 x 1, got " + dy);
        DeviceVector g = vector(e.rows() * e.dim());
        Cudart.memset(g.ptr(), 0, 4L * g.length());
        long row = g.ptr() + 4L * e.row(budget) * e.dim();
        sum(dy.ptr(), 0L, dy.n(), e.dim(), 1L, row, 1.0, TrainingKernels.split(dy.n()));
        return g;
    }

    private static void checkComposite(DeviceTensor pred, DeviceTensor input) {
        if (pred.c() != 1) throw new IllegalArgumentException("composite: the prediction must have 1 channel, got " + pred);
        if (input.c() < 6 || input.n() != pred.n() || input.h() != pred.h() || input.w() != pred.w())
            throw new IllegalArgumentException("composite: the input must be " + pred.n() + " x 6 x " + pred.h() + " x " + pred.w() + ", got " + input);
    }

    @Override
    public DeviceTensor composite(DeviceTensor pred, DeviceTensor input) {
        begin();
        checkComposite(pred, input);
        DeviceTensor y = like(pred);
        kernels.launch1d("pt_composite", pred.size(), pred.ptr(), input.ptr(), y.ptr(), input.c(), pred.plane(), pred.size());
        return y;
    }

    @Override
    public DeviceTensor compositeBackward(DeviceTensor pred, DeviceTensor input, DeviceTensor dy) {
        begin();
        checkComposite(pred, input);
        sameShape(pred, dy, "composite gradient");
        DeviceTensor d = like(pred);
        kernels.launch1d("pt_composite_grad", pred.size(), pred.ptr(), input.ptr(), dy.ptr(), d.ptr(), input.c(), pred.plane(), pred.size());
        return d;
    }

    // ---- moving data and parameters ------------------------------------------------------

    @Override
    public DeviceTensor upload(Tensor t) {
        begin();
        DeviceTensor d = tensor(t.n(), t.c(), t.h(), t.w());
        toDevice(d.ptr(), t.data());
        return d;
    }

    // ---- losses ---------------------------------------------------------------------------

    @Override
    public boolean computesLosses() {
        return true;
    }

    @Override
    public LossValues<DeviceTensor> mattingLosses(DeviceTensor alpha, DeviceTensor input, DeviceTensor targets, DeviceTensor teacher,
                                                  LossSpec spec) {
        begin();
        int n = alpha.n(), h = alpha.h(), w = alpha.w(), levels = spec.laplacianLevels();
        if (alpha.c() != 1) throw new IllegalArgumentException("mattingLosses: alpha must have 1 channel, got " + alpha);
        if (input.n() != n || input.c() != 6 || input.h() != h || input.w() != w)
            throw new IllegalArgumentException("mattingLosses: input must be " + n + "x6x" + h + "x" + w + ", got " + input);
        if (targets.n() != n || targets.c() != 7 || targets.h() != h || targets.w() != w)
            throw new IllegalArgumentException("mattingLosses: targets must be " + n + "x7x" + h + "x" + w
                    + " (ground-truth alpha, foreground, background), got " + targets);
        if (teacher != null) sameShape(alpha, teacher, "mattingLosses: teacher");
        if (levels < 1 || levels > 10 || h % (1 << levels) != 0 || w % (1 << levels) != 0)
            throw new IllegalArgumentException("mattingLosses: H and W must be multiples of 2^" + levels + " (the Laplacian pyramid's levels), got "
                    + h + "x" + w);
        DeviceTensor grad = like(alpha);
        LossValues<DeviceTensor> v = losses.compute(alpha, input, targets, teacher, spec, grad);
        if (syncEach) TrainingKernels.checkpoint("mattingLosses");
        return v;
    }

    /**
     * Copies {@code t} into a page-locked buffer now and queues its transfer on a stream of its
     * own, so it overlaps the kernels queued before; {@code take} copies it device-to-device into
     * a result of the current scope (see {@link InputPrefetch} for the ordering).
     */
    @Override
    public Incoming<DeviceTensor> prefetch(Tensor t) {
        begin();
        InputPrefetch.Slot slot = inputs.copy(t.data());
        int generation = slot.generation();
        int n = t.n(), c = t.c(), h = t.h(), w = t.w();
        return new Incoming<>() {
            @Override
            public DeviceTensor take() {
                begin();
                DeviceTensor d = tensor(n, c, h, w);
                inputs.take(slot, generation, d.ptr());
                if (syncEach) TrainingKernels.checkpoint("prefetched input");
                return d;
            }

            @Override
            public void close() {
                if (!closed) inputs.drop(slot, generation);
            }
        };
    }

    /** Input slots made so far (tests: a loop reading one tensor ahead needs one). */
    int inputSlots() {
        return inputs.slots();
    }

    @Override
    public Tensor download(DeviceTensor t) {
        begin();
        return new Tensor(t.n(), t.c(), t.h(), t.w(), toHostArray(t.ptr(), t.size()));
    }

    private DeviceVector persistentVector(int length) {
        if (length < 0) throw new IllegalArgumentException("negative vector length " + length);
        long bytes = 4L * length;
        long ptr = pool.take(bytes);
        persistent.put(ptr, bytes);
        return new DeviceVector(length, ptr);
    }

    @Override
    public DeviceVector fromHost(float[] values) {
        begin();
        DeviceVector v = persistentVector(values.length);
        toDevice(v.ptr(), values);
        return v;
    }

    @Override
    public float[] toHost(DeviceVector p) {
        begin();
        return toHostArray(p.ptr(), p.length());
    }

    @Override
    public void write(DeviceVector p, float[] values) {
        begin();
        if (p.length() != values.length) throw new IllegalArgumentException("write: " + values.length + " values into a vector of " + p.length());
        toDevice(p.ptr(), values);
    }

    @Override
    public DeviceVector zeros(int length) {
        begin();
        DeviceVector v = persistentVector(length);
        Cudart.memset(v.ptr(), 0, 4L * length);
        return v;
    }

    @Override
    public int length(DeviceVector p) {
        return p.length();
    }

    @Override
    public void release(DeviceVector p) {
        if (closed) return;
        Long bytes = persistent.remove(p.ptr());
        if (bytes == null)
            throw new IllegalArgumentException("release: " + p + " was not made by fromHost/zeros of these ops, or was already released");
        pool.give(p.ptr(), bytes);
    }

    private static void sameLength(DeviceVector a, DeviceVector b, String what) {
        if (a.length() != b.length()) throw new IllegalArgumentException(what + ": " + b.length() + " values vs " + a.length());
    }

    @Override
    public void accumulateParam(DeviceVector into, DeviceVector g) {
        begin();
        sameLength(into, g, "accumulateParam");
        kernels.launch1d("pt_accumulate", into.length(), into.ptr(), g.ptr(), (long) into.length());
    }

    @Override
    public void scaleParam(DeviceVector p, float s) {
        begin();
        kernels.launch1d("pt_scale", p.length(), p.ptr(), s, (long) p.length());
    }

    @Override
    public void adamUpdate(DeviceVector p, DeviceVector g, DeviceVector m, DeviceVector v, AdamStep s) {
        begin();
        if (g.length() != p.length() || m.length() != p.length() || v.length() != p.length())
            throw new IllegalArgumentException("adamUpdate: lengths " + p.length() + ", " + g.length() + ", " + m.length() + ", " + v.length());
        kernels.launch1d("pt_adam", p.length(), p.ptr(), g.ptr(), m.ptr(), v.ptr(), s.beta1(), s.beta2(), s.decay(), s.stepSize(),
                s.adaptive() ? 1 : 0, s.eps(), (long) p.length());
    }

    @Override
    public void synchronize() {
        begin();
        Cudart.synchronize();
    }

    // ---- closing --------------------------------------------------------------------------

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        List<Runnable> steps = new ArrayList<>();
        steps.add(context::makeCurrent);
        steps.add(Cudart::synchronize);
        steps.add(() -> {
            for (ScopeImpl s : scopes) freeAll(s.blocks);
            scopes.clear();
        });
        steps.add(() -> freeAll(unscoped));
        steps.add(inputs::close);
        steps.add(() -> {
            Iterator<Long> it = persistent.keySet().iterator();
            RuntimeException first = null;
            while (it.hasNext()) {
                long p = it.next();
                it.remove();
                try {
                    Cudart.free(p);
                } catch (RuntimeException e) {
                    if (first == null) first = e;
                }
            }
            if (first != null) throw first;
        });
        steps.add(pool::close);
        steps.add(() -> {
            if (workspace != 0) Cudart.free(workspace);
            workspace = 0;
            workspaceBytes = 0;
        });
        steps.add(() -> {
            RuntimeException first = null;
            for (ConvPlan p : plans.values()) {
                try {
                    p.close();
                } catch (RuntimeException e) {
                    if (first == null) first = e;
                }
            }
            plans.clear();
            if (first != null) throw first;
        });
        steps.add(() -> Cudnn.destroyHandle(cudnn));
        steps.add(kernels::close);
        steps.add(() -> {
            long p = pinned;
            pinned = 0;
            pinnedBytes = 0;
            if (p != 0) Cudart.freeHost(p);
        });
        steps.add(arena::close);
        RuntimeException first = null;
        for (Runnable r : steps) {
            try {
                r.run();
            } catch (RuntimeException e) {
                if (first == null) first = e;
                else first.addSuppressed(e);
            }
        }
        if (first != null) throw first;
    }

    private static void freeAll(Blocks b) {
        RuntimeException first = null;
        for (int i = 0; i < b.count; i++) {
            try {
                Cudart.free(b.ptrs[i]);
            } catch (RuntimeException e) {
                if (first == null) first = e;
            }
        }
        b.count = 0;
        if (first != null) throw first;
    }
}
