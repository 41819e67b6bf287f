package io.pam.net;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The learnable tensors of a network (BatchNorm running statistics included), by the names of
 * {@link NetworkSpec#params()}. Immutable once built; {@link #copyOf} gives a mutable copy for
 * training. Read and written as safetensors by {@link Safetensors}.
 */
public final class Weights {
    private final NetworkConfig config;
    private final Map<String, float[]> tensors;
    private final Map<String, int[]> shapes;

    private Weights(NetworkConfig config, Map<String, float[]> tensors, Map<String, int[]> shapes) {
        this.config = config;
        this.tensors = tensors;
        this.shapes = shapes;
    }

    /**
     * Builds weights from tensors, checking them against the description: every parameter
     * present with the right number of elements, nothing extra, no NaN or infinity.
     */
    public static Weights of(NetworkSpec spec, Map<String, float[]> tensors) {
        Map<String, float[]> t = new LinkedHashMap<>();
        Map<String, int[]> s = new LinkedHashMap<>();
        StringBuilder problems = new StringBuilder();
        int missing = 0;
        for (NetworkSpec.Param p : spec.params()) {
            float[] v = tensors.get(p.name());
            if (v == null) {
                if (missing++ < 5) problems.append("\n  missing ").append(p.name());
                continue;
            }
            if (v.length != p.size()) {
                problems.append("\n  ").append(p.name()).append(": ").append(v.length)
                        .append(" values, expected ").append(p.size()).append(" (shape ")
                        .append(java.util.Arrays.toString(p.shape())).append(')');
                continue;
            }
            for (float f : v) {
                if (!Float.isFinite(f)) {
                    problems.append("\n  ").append(p.name()).append(": contains NaN or infinity");
                    break;
                }
            }
            t.put(p.name(), v);
            s.put(p.name(), p.shape().clone());
        }
        if (missing > 5) problems.append("\n  ... and ").append(missing - 5).append(" more missing");
        for (String k : tensors.keySet()) {
            if (!t.containsKey(k) && spec.params().stream().noneMatch(p -> p.name().equals(k)))
                problems.append("\n  unexpected tensor ").append(k);
        }
        if (!problems.isEmpty())
            throw new IllegalArgumentException("weights do not match the network " + spec.config() + ":" + problems);
        return new Weights(spec.config(), Collections.unmodifiableMap(t), Collections.unmodifiableMap(s));
    }

    /**
     * Kaiming (He) normal initialisation for an untrained network, seeded: conv weights
     * N(0, 2/fan_in) (fan_in = inC/groups * k * k; 1/fan_in before a sigmoid or no activation
     * on linear outputs), biases 0, BatchNorm gamma 1 (0 where the spec asks for a zero start),
     * beta 0, running mean 0, running variance 1, embeddings N(0, 1).
     */
    public static Weights init(NetworkSpec spec, long seed) {
        Random rnd = new Random(seed);
        Map<String, float[]> t = new LinkedHashMap<>();
        for (Node n : spec.nodes()) {
            if (n.op() instanceof Op.Conv c) {
                int fanIn = c.inC() / c.groups() * c.kernel() * c.kernel();
                double gain = c.activation() == Activation.RELU || c.batchNorm() ? 2.0 : 1.0;
                double std = Math.sqrt(gain / fanIn);
                float[] w = new float[c.outC() * fanIn];
                for (int i = 0; i < w.length; i++) w[i] = (float) (rnd.nextGaussian() * std);
                t.put(n.name() + ".weight", w);
                if (c.bias()) t.put(n.name() + ".bias", new float[c.outC()]);
                if (c.batchNorm()) {
                    float[] gamma = new float[c.outC()];
                    if (!c.zeroInitGamma()) java.util.Arrays.fill(gamma, 1f);
                    float[] var = new float[c.outC()];
                    java.util.Arrays.fill(var, 1f);
                    t.put(n.name() + ".bn.weight", gamma);
                    t.put(n.name() + ".bn.bias", new float[c.outC()]);
                    t.put(n.name() + ".bn.running_mean", new float[c.outC()]);
                    t.put(n.name() + ".bn.running_var", var);
                }
            } else if (n.op() instanceof Op.CostEmbedding e) {
                float[] w = new float[e.rows() * e.dim()];
                for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
                t.put(n.name() + ".weight", w);
            }
        }
        return of(spec, t);
    }

    /**
     * Random weights with non-trivial BatchNorm statistics and non-zero residual branches, so
     * that parity tests exercise every term (a freshly initialised network zeroes some).
     */
    public static Weights randomForTests(NetworkSpec spec, long seed) {
        Random rnd = new Random(seed);
        Map<String, float[]> t = new LinkedHashMap<>(init(spec, seed).tensors);
        for (Map.Entry<String, float[]> e : t.entrySet()) {
            float[] v = e.getValue().clone();
            String k = e.getKey();
            if (k.endsWith(".bn.weight")) for (int i = 0; i < v.length; i++) v[i] = 0.5f + rnd.nextFloat();
            else if (k.endsWith(".bn.bias") || k.endsWith(".bias")) for (int i = 0; i < v.length; i++) v[i] = (float) (0.1 * rnd.nextGaussian());
            else if (k.endsWith(".bn.running_mean")) for (int i = 0; i < v.length; i++) v[i] = (float) (0.1 * rnd.nextGaussian());
            else if (k.endsWith(".bn.running_var")) for (int i = 0; i < v.length; i++) v[i] = 0.5f + rnd.nextFloat();
            e.setValue(v);
        }
        return of(spec, t);
    }

    public NetworkConfig config() {
        return config;
    }

    /** A tensor by parameter name; throws when absent. */
    public float[] get(String name) {
        float[] v = tensors.get(name);
        if (v == null) throw new IllegalArgumentException("no tensor " + name);
        return v;
    }

    public int[] shape(String name) {
        return shapes.get(name).clone();
    }

    /** Tensor names in description order. */
    public List<String> names() {
        return List.copyOf(tensors.keySet());
    }

    /** A deep, mutable copy of the tensors (for training). */
    public Map<String, float[]> copyOf() {
        Map<String, float[]> m = new LinkedHashMap<>();
        tensors.forEach((k, v) -> m.put(k, v.clone()));
        return m;
    }

    /** A convolution's weight and bias with BatchNorm (inference statistics) folded in. */
    public record FoldedConv(float[] weight, float[] bias) {}

    /**
     * Folds a conv node's BatchNorm into its weight and bias:
     * {@code w' = w * gamma / sqrt(var + eps)}, {@code b' = beta - mean * gamma / sqrt(var + eps)}.
     * Convs without BatchNorm return their own weight and bias (zeros when they have none).
     */
    public FoldedConv folded(Node node) {
        Op.Conv c = node.conv();
        if (c == null) throw new IllegalArgumentException(node.name() + " is not a convolution");
        float[] w = get(node.name() + ".weight");
        if (!c.batchNorm()) {
            float[] b = c.bias() ? get(node.name() + ".bias") : new float[c.outC()];
            return new FoldedConv(w, b);
        }
        float[] gamma = get(node.name() + ".bn.weight"), beta = get(node.name() + ".bn.bias");
        float[] mean = get(node.name() + ".bn.running_mean"), var = get(node.name() + ".bn.running_var");
        int per = w.length / c.outC();
        float[] fw = new float[w.length];
        float[] fb = new float[c.outC()];
        for (int o = 0; o < c.outC(); o++) {
            double s = gamma[o] / Math.sqrt(var[o] + NetworkSpec.BN_EPS);
            for (int i = 0; i < per; i++) fw[o * per + i] = (float) (w[o * per + i] * s);
            fb[o] = (float) (beta[o] - mean[o] * s);
        }
        return new FoldedConv(fw, fb);
    }
}
