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
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * decisions; each segment is compiled to ONNX and loaded as its own {@link Net}, once per input
 * size (OpenCV plans its buffers per size). A run executes the shared segments in order, reads
 * each selection layer's logits, asks the {@link PathSelector}, and runs the chosen branch.
 *
 * <p>Hand-off tensors between segments stay native. A {@code Mat} returned by {@code forward}
 * is a view into its net's buffers, valid until that net runs again; every net runs at most once
 * per call and the views are dropped at the end of the call, so no copy is needed. The first
 * and last copies are the input (Java to native) and the alpha (native to Java).
 *
 * <p>Memory: nets keep their activation buffers between calls (that is what makes the second
 * call at a size fast). Nets for at most {@code pam.cpu.cachedSizes} input sizes (default 2)
 * are kept; the least recently used size is freed when another one arrives.
 *
 * <p>Not thread-safe (see {@link InferenceEngine}).
 */
final class CpuEngine implements InferenceEngine {
    /** Input sizes whose compiled nets are kept (each holds that size's activation buffers). */
    static final int CACHED_SIZES = Math.max(1, Integer.getInteger("pam.cpu.cachedSizes", 2));

    /**
     * {@code -Dpam.cpu.profile=true}: after each segment, read OpenCV's per-layer times and add
     * them to {@link #lastTimings()} by op kind (keys {@code op:conv dw k13}, ...), for benchmarks.
     */
    static final boolean PROFILE = Boolean.getBoolean("pam.cpu.profile");

    private static int threadsApplied = Integer.MIN_VALUE;

    private final NetworkSpec spec;
    private final Weights weights;
    private final int threads;
    private final List<Segment> segments;
    private final Map<String, Node> nodesByName = new HashMap<>();
    private final LinkedHashMap<SizeKey, Compiled> compiled = new LinkedHashMap<>(4, 0.75f, true);
    private Map<String, Long> lastTimings = Map.of();
    private boolean closed;

    private record SizeKey(int n, int h, int w) {}

    /** The nets for one input size, one per segment. */
    private static final class Compiled {
        final Map<String, Shape> shapes;
        final Net[] nets;
        final StringVector[] outputNames;

        Compiled(Map<String, Shape> shapes, int segments) {
            this.shapes = shapes;
            this.nets = new Net[segments];
            this.outputNames = new StringVector[segments];
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

    /** @param alsoOutput tensors to keep as segment outputs besides the needed ones (for tests) */
    CpuEngine(NetworkSpec spec, Weights weights, EngineOptions options, Set<String> alsoOutput) {
        if (!spec.config().equals(weights.config()))
            throw new IllegalArgumentException("weights are for " + weights.config() + ", not " + spec.config());
        this.spec = spec;
        this.weights = weights;
        this.threads = options.threads();
        this.segments = Segment.split(spec, alsoOutput);
        for (Node n : spec.nodes()) nodesByName.put(n.name(), n);
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
     * Runs the network; when {@code sink} is not null, copies every segment output into it
     * (by tensor name) for parity tests.
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
        int decided = 0;
        try (PointerScope scope = new PointerScope()) {
            Map<String, Mat> live = new HashMap<>();
            live.put(NetworkSpec.INPUT, Mats.fromTensor(input));
            for (int si = 0; si < segments.size(); si++) {
                Segment seg = segments.get(si);
                if (seg.group() > 0) {
                    while (decided < seg.group()) {
                        int g = ++decided;
                        String logits = spec.group(g).logits();
                        Mat l = live.get(logits);
                        if (l == null) throw new IllegalStateException("logits " + logits + " of group " + g + " not computed before the group");
                        compute[g] = selector.decide(g, Mats.head(l, 2));
                    }
                    if (compute[seg.group()] == seg.bypass()) continue;
                }
                long t0 = System.nanoTime();
                Net net = size.nets[si];
                for (String in : seg.inputs()) {
                    Mat m = live.get(in);
                    if (m == null) throw new IllegalStateException("segment " + seg.name() + ": input " + in + " was not computed");
                    net.setInput(m, in, 1.0, new Scalar());
                }
                for (Node e : seg.embeddings()) {
                    Op.CostEmbedding op = (Op.CostEmbedding) e.op();
                    float[] table = weights.get(e.name() + ".weight");
                    net.setInput(Mats.rows(table, op.row(selector.budget()) * op.dim(), op.dim(), input.n()), e.name(), 1.0, new Scalar());
                }
                MatVector outs = new MatVector();
                net.forward(outs, size.outputNames[si]);
                if (outs.size() != seg.outputs().size())
                    throw new IllegalStateException("segment " + seg.name() + ": OpenCV returned " + outs.size() + " outputs, expected " + seg.outputs());
                for (int i = 0; i < seg.outputs().size(); i++) live.put(seg.outputs().get(i), outs.get(i));
                timings.merge(seg.name(), System.nanoTime() - t0, Long::sum);
                if (PROFILE) profile(net, timings);
                if (sink != null) for (String o : seg.outputs()) sink.put(o, Mats.toTensor(live.get(o), seg.name() + "/" + o));
            }
            Mat alpha = live.get(NetworkSpec.OUTPUT);
            long t0 = System.nanoTime();
            Tensor out = Mats.toTensor(alpha, NetworkSpec.OUTPUT);
            timings.put("copy-out", System.nanoTime() - t0);
            lastTimings = Collections.unmodifiableMap(timings);
            return out;
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
    }

    private Compiled compiledFor(int n, int h, int w) {
        SizeKey key = new SizeKey(n, h, w);
        Compiled c = compiled.get(key);
        if (c == null) {
            while (compiled.size() >= CACHED_SIZES) {
                SizeKey eldest = compiled.keySet().iterator().next();
                compiled.remove(eldest).close();
            }
            c = new Compiled(spec.shapes(h, w), segments.size());
            try {
                // Every segment, both branches: compiled before the call's PointerScope opens,
                // so the nets are not attached to it (a routed call may need either branch).
                for (int si = 0; si < segments.size(); si++) compile(c, si, n);
            } catch (RuntimeException e) {
                c.close();
                throw e;
            }
            compiled.put(key, c);
        }
        return c;
    }

    /** Compiles segment {@code si} for this size into an OpenCV net. */
    private void compile(Compiled size, int si, int n) {
        Segment seg = segments.get(si);
        byte[] model = OnnxCompiler.compile(seg, weights, n, size.shapes);
        Net net;
        StringVector names;
        try (BytePointer bytes = new BytePointer(model)) {
            net = opencv_dnn.readNetFromONNX(bytes, model.length);
        } catch (RuntimeException e) {
            throw new IllegalStateException("OpenCV could not load the ONNX graph of segment " + seg.name() + ": " + e.getMessage(), e);
        }
        if (net == null || net.isNull() || net.empty())
            throw new IllegalStateException("OpenCV returned an empty net for segment " + seg.name());
        names = new StringVector(seg.outputs().toArray(String[]::new));
        net.setPreferableBackend(opencv_dnn.DNN_BACKEND_OPENCV);
        net.setPreferableTarget(opencv_dnn.DNN_TARGET_CPU);
        // Winograd 3x3 convs: 20x the error (1.2e-4 vs 6e-6) and not faster here.
        net.enableWinograd(false);
        size.nets[si] = net;
        size.outputNames[si] = names;
    }

    /** Adds the last forward's per-layer times to {@code timings}, keyed by op kind. */
    private void profile(Net net, Map<String, Long> timings) {
        DoublePointer ticks = new DoublePointer();
        net.getPerfProfile(ticks);
        StringVector names = net.getLayerNames();
        double nsPerTick = 1e9 / opencv_core.getTickFrequency();
        long n = Math.min(ticks.capacity(), names.size());
        for (int i = 0; i < n; i++) {
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
