package io.pam.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.pam.Route;
import io.pam.net.NetworkSpec;
import io.pam.net.Tensor;
import io.pam.onnx.OnnxExporter;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;

/**
 * An exported model (see {@link OnnxExporter}) in an ONNX Runtime session with default options
 * (all cores, every graph optimisation). Not thread-safe.
 */
public final class OrtModel implements AutoCloseable {
    /** What one run returns: the alpha, and the route for adaptive models (null otherwise). */
    public record Result(Tensor alpha, Route route) {}

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    public OrtModel(byte[] model) {
        this(model, null);
    }

    /** @param profilePrefix when not null, ONNX Runtime writes a per-node profile under this prefix */
    public OrtModel(byte[] model, String profilePrefix) {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            if (profilePrefix != null) options.enableProfiling(profilePrefix);
            session = env.createSession(model, options);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime could not load the model: " + e.getMessage(), e);
        }
    }

    /** Runs a fixed-path model on a {@code 1 x 6 x H x W} input. */
    public Result run(Tensor input) {
        return run(input, Float.NaN);
    }

    /** Runs a model; {@code budget} (GMAC at 1024x1024) is fed when the model has that input. */
    public Result run(Tensor input, float budget) {
        if (input.n() != 1 || input.c() != NetworkSpec.INPUT_CHANNELS)
            throw new IllegalArgumentException("input must be 1 x 6 x H x W, got " + input);
        boolean adaptive = session.getInputNames().contains(OnnxExporter.BUDGET);
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            feed.put(OnnxExporter.INPUT, OnnxTensor.createTensor(env, FloatBuffer.wrap(input.data()),
                    new long[] {1, input.c(), input.h(), input.w()}));
            if (adaptive) {
                if (Float.isNaN(budget)) throw new IllegalArgumentException("an adaptive model needs a budget");
                feed.put(OnnxExporter.BUDGET, OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[] {budget}), new long[] {1}));
            }
            try (OrtSession.Result r = session.run(feed)) {
                FloatBuffer a = ((OnnxTensor) r.get(OnnxExporter.OUTPUT).orElseThrow()).getFloatBuffer();
                float[] alpha = new float[a.remaining()];
                a.get(alpha);
                Route route = null;
                if (adaptive) {
                    OnnxValue v = r.get(OnnxExporter.ROUTE).orElseThrow();
                    LongBuffer m = ((OnnxTensor) v).getLongBuffer();
                    route = new Route((int) m.get(0), NetworkSpec.GROUPS);
                }
                return new Result(new Tensor(1, 1, input.h(), input.w(), alpha), route);
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime run failed: " + e.getMessage(), e);
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }

    /** Ends profiling; returns the profile file (Chrome trace JSON, one event per node run). */
    public String endProfiling() {
        try {
            return session.endProfiling();
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime profiling: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("closing the ONNX Runtime session: " + e.getMessage(), e);
        }
    }
}
