package io.pam.cpu;

import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.Op;
import io.pam.net.PathSelector;
import io.pam.net.Shape;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import io.pam.onnx.OnnxCompiler;
import io.pam.onnx.Segment;
import io.pam.spi.EngineOptions;
import io.pam.spi.InferenceEngine;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ForkJoinPool;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_dnn;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.MatVector;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.StringVector;
import org.bytedeco.opencv.opencv_dnn.Net;

/**
 * Runs a network on OpenCV DNN. The description is cut into {@link Segment}s between routing
 * decisions; a run executes the shared segments in order, reads each selection layer's logits,
 * asks the {@link PathSelector}, and runs the chosen branch's segment.
 *
 * <p>Inside a segment, large-kernel depthwise convolutions (OpenCV's weak spot) run in Java
 * ({@link DepthwiseConv}) when the Vector API is present; the segment is cut around them into
 * <i>pieces</i>, each compiled to ONNX and loaded as its own {@link Net}, once per input size
 * (OpenCV plans its buffers per size). {@code -Dpam.cpu.javaDepthwise=false} keeps every op in
 * OpenCV.
 *
 * <p>Hand-off tensors stay native. A {@code Mat} returned by {@code forward} is a view into its
 * net's buffers, valid until that net runs again; every net runs at most once per call, so the
 * views are used without a copy and dropped when their last consumer has run. The only
 * Java/native copies are the input and the alpha.
 *
 * <p>Memory: nets keep their activation buffers between calls (that is what makes the second
 * call at a size fast). Nets for at most {@code pam.cpu.cachedSizes} input sizes (default 2)
 * are kept; the least recently used size is freed when another one arrives.
 *
 * <p>Threads: OpenCV's {@code setNumThreads} is process-wide (see {@link CpuBackend}); the Java
 * depthwise kernel uses the engine's own pool of the same size.
 *
 * <p>Not thread-safe (see {@link InferenceEngine}).
 */
final class CpuEngine implements InferenceEngine {
    /** Input sizes whose compiled nets are kept (each holds that size's activation buffers). */
    static final int CACHED_SIZES = Math.max(1, Integer.getInteger("pam.cpu.cachedSizes", 2));
    /**
     * Inputs with more pixels than this (N x H x W) do not keep compiled nets between calls:
     * each net is built, run once and freed, so only one net's activation buffers exist at a
     * time (at 2048x2048 the cached nets together hold several GB).
     */
    static final long CACHE_MAX_PIXELS = Long.getLong("pam.cpu.cacheMaxPixels", 1536L * 1536L);
    /** Run depthwise convolutions with kernels of at least this size in Java (0 = never). */
    static final int JAVA_DEPTHWISE_MIN_KERNEL =
            Boolean.parseBoolean(System.getProperty("pam.cpu.javaDepthwise", "true")) && DepthwiseConv.available() ? 5 : 0;
    /**
     * {@code -Dpam.cpu.profile=true}: after each net, read OpenCV's per-layer times and add them
     * to {@link #lastTimings()} by op kind (keys {@code op:conv 1x1}, ...), for benchmarks.
     */
    static final boolean PROFILE = Boolean.getBoolean("pam.cpu.profile");

    private static int threadsApplied = Integer.MIN_VALUE;

    /** One unit of execution: an OpenCV net for a run of nodes, or one node run in Java. */
    private sealed interface Step permits NetStep, JavaStep {
        /** Tensors the step reads. */
        List<String> reads();
    }

    /** @param index position among the engine's nets (the per-size net arrays) */
    private record NetStep(Segment piece, int index) implements Step {
        public List<String> reads() {
            return piece.inputs();
        }
    }

    private record JavaStep(Node node, DepthwiseConv kernel) implements Step {
        public List<String> reads() {
            return node.inputs();
        }
    }

    private final NetworkSpec spec;
    private final Weights weights;
    private final int threads;
    private final List<Segment> segments;
    private final List<List<Step>> steps = new ArrayList<>(); // per segment
    private final List<NetStep> netSteps = new ArrayList<>();
    /** Per tensor: the global step index (over all segments, both branches) of its last reader. */
    private final Map<String, Integer> lastRead = new HashMap<>();
    private final Map<String, Node> nodesByName = new HashMap<>();
    private final LinkedHashMap<SizeKey, Compiled> compiled = new LinkedHashMap<>(4, 0.75f, true);
    private final ForkJoinPool pool;
    private Map<String, Long> lastTimings = Map.of();
    private long cacheMaxPixels = CACHE_MAX_PIXELS;
    private boolean closed;

    private record SizeKey(int n, int h, int w) {}

    /** The nets for one input size, one per {@link NetStep}. */
    private static final class Compiled {
        /** False for large inputs: nets are built per call and freed after their forward. */
        final boolean cached;
        final Map<String, Shape> shapes;
        final Net[] nets;
        final StringVector[] outputNames;

        Compiled(Map<String, Shape> shapes, int count, boolean cached) {
            this.cached = cached;
            this.shapes = shapes;
            this.nets = new Net[count];
            this.outputNames = new StringVector[count];
        }

        void close() {
            for (int i = 0; i < nets.length; i++) {
                if (nets[i] != null) nets[i].close();
                if (outputNames[i] != null) outputNames[i].close();
                nets[i] = null;
                outputNames[i] = null;
            }
        }
    }

    CpuEngine(NetworkSpec spec, Weights weights, EngineOptions options) {
        this(spec, weights, options, Set.of());
    }

    /** @param alsoOutput tensors to keep as outputs besides the needed ones (for tests) */
    CpuEngine(NetworkSpec spec, Weights weights, EngineOptions options, Set<String> alsoOutput) {
        if (!spec.config().equals(weights.config()))
            throw new IllegalArgumentException("weights are for " + weights.config() + ", not " + spec.config());
        this.spec = spec;
        this.weights = weights;
        this.threads = options.threads();
        this.segments = Segment.split(spec, alsoOutput);
        for (Node n : spec.nodes()) nodesByName.put(n.name(), n);
        Set<String> required = new HashSet<>(alsoOutput);
        for (NetworkSpec.Group g : spec.groups()) required.add(g.logits());
        required.add(NetworkSpec.OUTPUT);
        for (Segment seg : segments) steps.add(plan(seg, required));
        int global = 0;
        for (List<Step> segSteps : steps) {
            for (Step st : segSteps) {
                for (String t : st.reads()) lastRead.put(t, global);
                global++;
            }
        }
        int parallelism = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        this.pool = new ForkJoinPool(parallelism);
    }

    /** Cuts a segment into OpenCV pieces and Java depthwise steps. */
    private List<Step> plan(Segment seg, Set<String> required) {
        List<Step> out = new ArrayList<>();
        List<Node> run = new ArrayList<>();
        for (Node n : seg.nodes()) {
            Op.Conv c = n.conv();
            boolean java = c != null && JAVA_DEPTHWISE_MIN_KERNEL > 0 && c.depthwise() && c.stride() == 1
                    && c.kernel() >= JAVA_DEPTHWISE_MIN_KERNEL && c.pad() == c.kernel() / 2
                    && c.activation() != io.pam.net.Activation.SIGMOID;
            if (!java) {
                run.add(n);
                continue;
            }
            if (!run.isEmpty()) out.add(piece(run, required));
            run = new ArrayList<>();
            Weights.FoldedConv f = weights.folded(n);
            out.add(new JavaStep(n, new DepthwiseConv(c.outC(), c.kernel(), f.weight(), f.bias(),
                    c.activation() == io.pam.net.Activation.RELU)));
        }
        if (!run.isEmpty()) out.add(piece(run, required));
        return out;
    }

    private NetStep piece(List<Node> run, Set<String> required) {
        NetStep s = new NetStep(Segment.of(null, run, spec.nodes(), required), netSteps.size());
        netSteps.add(s);
        return s;
    }

    /** Overrides {@link #CACHE_MAX_PIXELS} for this engine (tests). */
    CpuEngine cacheMaxPixels(long pixels) {
        this.cacheMaxPixels = pixels;
        return this;
    }

    /** The segments this engine runs, in execution order. */
    List<Segment> segments() {
        return segments;
    }

    @Override
    public Tensor run(Tensor input, PathSelector selector) {
        return run(input, selector, null);
    }

    /**
     * Runs the network; when {@code sink} is not null, copies every output of every step into
     * it (by tensor name) for parity tests.
     */
    Tensor run(Tensor input, PathSelector selector, Map<String, Tensor> sink) {
        if (closed) throw new IllegalStateException("engine is closed");
        if (selector == null) throw new IllegalArgumentException("selector must not be null");
        if (input.c() != NetworkSpec.INPUT_CHANNELS)
            throw new IllegalArgumentException("input must have " + NetworkSpec.INPUT_CHANNELS
                    + " channels (RGB + trimap one-hot), got " + input.c());
        NetworkSpec.checkAligned(input.h(), input.w());
        applyThreads(threads);
        Compiled size = compiledFor(input.n(), input.h(), input.w());
        Map<String, Long> timings = new LinkedHashMap<>();
        boolean[] compute = new boolean[NetworkSpec.GROUPS + 1];
        int decided = 0, global = 0;
        try (PointerScope scope = new PointerScope()) {
            Map<String, Mat> live = new HashMap<>();
            live.put(NetworkSpec.INPUT, Mats.fromTensor(input));
            for (int si = 0; si < segments.size(); si++) {
                Segment seg = segments.get(si);
                boolean skip = false;
                if (seg.group() > 0) {
                    while (decided < seg.group()) {
                        int g = ++decided;
                        String logits = spec.group(g).logits();
                        Mat l = live.get(logits);
                        if (l == null) throw new IllegalStateException("logits " + logits + " of group " + g + " not computed before the group");
                        compute[g] = selector.decide(g, Mats.head(l, 2));
                    }
                    skip = compute[seg.group()] == seg.bypass();
                }
                for (Step step : steps.get(si)) {
                    if (!skip) {
                        long t0 = System.nanoTime();
                        List<String> produced = switch (step) {
                            case NetStep ns -> forward(ns, size, live, selector.budget(), input.n(), timings);
                            case JavaStep js -> depthwise(js, size, live, input.n(), timings);
                        };
                        timings.merge(seg.name(), System.nanoTime() - t0, Long::sum);
                        if (sink != null) for (String o : produced) sink.put(o, Mats.toTensor(live.get(o), o));
                    }
                    releaseDead(live, global++);
                }
            }
            Mat alpha = live.get(NetworkSpec.OUTPUT);
            long t0 = System.nanoTime();
            Tensor out = Mats.toTensor(alpha, NetworkSpec.OUTPUT);
            timings.put("copy-out", System.nanoTime() - t0);
            lastTimings = Collections.unmodifiableMap(timings);
            return out;
        }
    }

    private List<String> forward(NetStep step, Compiled size, Map<String, Mat> live, double budget, int n, Map<String, Long> timings) {
        Segment piece = step.piece();
        if (!size.cached) compile(size, step, n); // attached to the call's PointerScope
        Net net = size.nets[step.index()];
        for (String in : piece.inputs()) net.setInput(need(live, in, piece.name()), in, 1.0, new Scalar());
        for (Node e : piece.embeddings()) {
            Op.CostEmbedding op = (Op.CostEmbedding) e.op();
            float[] table = weights.get(e.name() + ".weight");
            net.setInput(Mats.rows(table, op.row(budget) * op.dim(), op.dim(), n), e.name(), 1.0, new Scalar());
        }
        MatVector outs = new MatVector();
        net.forward(outs, size.outputNames[step.index()]);
        if (outs.size() != piece.outputs().size())
            throw new IllegalStateException(piece.name() + ": OpenCV returned " + outs.size() + " outputs, expected " + piece.outputs());
        for (int i = 0; i < piece.outputs().size(); i++) live.put(piece.outputs().get(i), outs.get(i));
        if (PROFILE) profile(net, timings);
        if (!size.cached) {
            // the outputs are reference-counted views: they outlive the net, its other buffers do not
            net.close();
            size.nets[step.index()] = null;
        }
        return piece.outputs();
    }

    private List<String> depthwise(JavaStep step, Compiled size, Map<String, Mat> live, int n, Map<String, Long> timings) {
        long t0 = System.nanoTime();
        Node node = step.node();
        Mat in = need(live, node.inputs().get(0), node.name());
        Shape s = size.shapes.get(node.name());
        if (!in.isContinuous() || in.depth() != opencv_core.CV_32F || in.total() != (long) n * s.c() * s.h() * s.w())
            throw new IllegalStateException(node.name() + ": input is not a continuous " + n + "x" + s + " float blob");
        Mat out = new Mat(new int[] {n, s.c(), s.h(), s.w()}, opencv_core.CV_32F);
        long bytes = (long) n * s.c() * s.h() * s.w() * Float.BYTES;
        step.kernel().run(MemorySegment.ofAddress(in.data().address()).reinterpret(bytes),
                MemorySegment.ofAddress(out.data().address()).reinterpret(bytes), n, s.h(), s.w(), pool);
        live.put(node.name(), out);
        if (PROFILE) timings.merge("op:java dw k" + node.conv().kernel(), System.nanoTime() - t0, Long::sum);
        return List.of(node.name());
    }

    private static Mat need(Map<String, Mat> live, String tensor, String consumer) {
        Mat m = live.get(tensor);
        if (m == null) throw new IllegalStateException(consumer + ": input " + tensor + " was not computed");
        return m;
    }

    /** Drops tensors whose last reader was global step {@code index}, freeing Java-made buffers early. */
    private void releaseDead(Map<String, Mat> live, int index) {
        for (var it = live.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            Integer last = lastRead.get(e.getKey());
            if (last != null && last == index && !e.getKey().equals(NetworkSpec.OUTPUT)) {
                e.getValue().release(); // drops this reference; a net's own buffer stays with the net
                it.remove();
            }
        }
    }

    @Override
    public Map<String, Long> lastTimings() {
        return lastTimings;
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Compiled c : compiled.values()) c.close();
        compiled.clear();
        pool.shutdown();
    }

    private Compiled compiledFor(int n, int h, int w) {
        if ((long) n * h * w > cacheMaxPixels) return new Compiled(spec.shapes(h, w), netSteps.size(), false);
        SizeKey key = new SizeKey(n, h, w);
        Compiled c = compiled.get(key);
        if (c == null) {
            while (compiled.size() >= CACHED_SIZES) {
                SizeKey eldest = compiled.keySet().iterator().next();
                compiled.remove(eldest).close();
            }
            c = new Compiled(spec.shapes(h, w), netSteps.size(), true);
            try {
                // Every piece, both branches: compiled before the call's PointerScope opens, so
                // the nets are not attached to it (a routed call may need either branch).
                for (NetStep s : netSteps) compile(c, s, n);
            } catch (RuntimeException e) {
                c.close();
                throw e;
            }
            compiled.put(key, c);
        }
        return c;
    }

    /** Compiles one piece for this size into an OpenCV net. */
    private void compile(Compiled size, NetStep step, int n) {
        Segment piece = step.piece();
        byte[] model = OnnxCompiler.compile(piece, weights, n, size.shapes);
        Net net;
        try (BytePointer bytes = new BytePointer(model)) {
            net = opencv_dnn.readNetFromONNX(bytes, model.length);
        } catch (RuntimeException e) {
            throw new IllegalStateException("OpenCV could not load the ONNX graph of " + piece.name() + ": " + e.getMessage(), e);
        }
        if (net == null || net.isNull() || net.empty())
            throw new IllegalStateException("OpenCV returned an empty net for " + piece.name());
        net.setPreferableBackend(opencv_dnn.DNN_BACKEND_OPENCV);
        net.setPreferableTarget(opencv_dnn.DNN_TARGET_CPU);
        // Winograd 3x3 convs: 20x the error (1.2e-4 vs 6e-6) and not faster here.
        net.enableWinograd(false);
        size.nets[step.index()] = net;
        size.outputNames[step.index()] = new StringVector(piece.outputs().toArray(String[]::new));
    }

    /** Adds the last forward's per-layer times to {@code timings}, keyed by op kind. */
    private void profile(Net net, Map<String, Long> timings) {
        DoublePointer ticks = new DoublePointer();
        net.getPerfProfile(ticks);
        StringVector names = net.getLayerNames();
        double nsPerTick = 1e9 / opencv_core.getTickFrequency();
        long count = Math.min(ticks.capacity(), names.size());
        for (int i = 0; i < count; i++) {
            // OpenCV names ONNX layers "onnx_node!<output>", and JavaCPP may keep a trailing NUL.
            String layer = names.get(i).getString().replace("\0", "").replace("onnx_node!", "");
            timings.merge("op:" + opKind(layer), Math.round(ticks.get(i) * nsPerTick), Long::sum);
        }
    }

    private String opKind(String layer) {
        int slash = layer.indexOf('/');
        Node node = nodesByName.get(slash < 0 ? layer : layer.substring(0, slash));
        if (node == null) return "other";
        if (slash >= 0 && !layer.endsWith("/conv")) return "composite";
        return switch (node.op()) {
            case Op.Conv c when c.depthwise() -> "conv dw k" + c.kernel();
            case Op.Conv c -> "conv " + c.kernel() + "x" + c.kernel() + (c.stride() > 1 ? " s" + c.stride() : "");
            default -> node.op().getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
        };
    }

    /** Applies the thread count; OpenCV's setting is process-wide, so only re-set on change. */
    private static synchronized void applyThreads(int threads) {
        int want = threads == 0 ? -1 : threads;
        if (want != threadsApplied) {
            opencv_core.setNumThreads(want);
            threadsApplied = want;
        }
    }
}
