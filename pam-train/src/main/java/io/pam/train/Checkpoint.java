package io.pam.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pam.net.NetworkSpec;
import io.pam.net.Safetensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A resumable training state in one safetensors file (F32): weights {@code w.*}, the frozen
 * stage-1 teacher {@code t.*}, RAdam moments {@code m.*}/{@code v.*}, the path prior
 * {@code prior}; the metadata key {@value #KEY} holds JSON with the stage, step, RNG state,
 * per-tensor optimiser step counts, the training config and the history. The network config is
 * stored under {@link Safetensors#CONFIG_KEY} as in weight files.
 */
public final class Checkpoint {
    public static final String KEY = "pam.checkpoint";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Checkpoint() {}

    public static void save(Trainer<?, ?> t, Path file) throws IOException {
        Map<String, float[]> tensors = new LinkedHashMap<>();
        Map<String, int[]> shapes = new HashMap<>();
        Map<String, int[]> paramShapes = new HashMap<>();
        for (NetworkSpec.Param p : t.spec.params()) paramShapes.put(p.name(), p.shape());
        t.hostParams().forEach((k, v) -> put(tensors, shapes, "w." + k, v, paramShapes.get(k)));
        Map<String, float[]> teacher = t.hostTeacher();
        if (teacher != null) teacher.forEach((k, v) -> put(tensors, shapes, "t." + k, v, paramShapes.get(k)));
        t.opt.firstMoments().forEach((k, v) -> put(tensors, shapes, "m." + k, v, paramShapes.get(k)));
        t.opt.secondMoments().forEach((k, v) -> put(tensors, shapes, "v." + k, v, paramShapes.get(k)));
        if (t.priorReady) put(tensors, shapes, "prior", t.prior.table(), t.prior.tableShape());
        ObjectNode s = JSON.createObjectNode();
        s.put("stage", t.stage);
        s.put("step", t.step);
        s.put("rng", t.rng.state());
        s.put("priorReady", t.priorReady);
        var sized = s.putArray("sizedSteps");
        for (int v : t.sizedSteps) sized.add(v);
        ObjectNode steps = s.putObject("optimiserSteps");
        t.opt.stepCounts().forEach(steps::put);
        s.put("trainConfig", t.cfg.toJson());
        s.put("history", t.history.toJson());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(Safetensors.FORMAT_KEY, "pam-checkpoint-1");
        meta.put(Safetensors.CONFIG_KEY, Safetensors.configToJson(t.spec.config()));
        meta.put(KEY, s.toString());
        Safetensors.writeRaw(file, tensors, shapes, Safetensors.DType.F32, meta);
    }

    private static void put(Map<String, float[]> t, Map<String, int[]> s, String name, float[] v, int[] shape) {
        t.put(name, v);
        s.put(name, shape == null ? new int[] {v.length} : shape);
    }

    /** The training config a checkpoint was written with. */
    public static TrainConfig config(Path file) throws IOException {
        return TrainConfig.fromJson(JSON.readTree(metadata(file)).get("trainConfig").asText());
    }

    private static String metadata(Path file) throws IOException {
        String m = Safetensors.readRaw(file).metadata().get(KEY);
        if (m == null) throw new IllegalArgumentException(file + ": not a PAM training checkpoint (no '" + KEY + "' metadata)");
        return m;
    }

    /** Restores a trainer (built with the checkpoint's config) to the saved state. */
    public static void restore(Trainer<?, ?> t, Path file) throws IOException {
        Safetensors.Content c = Safetensors.readRaw(file);
        String m = c.metadata().get(KEY);
        if (m == null) throw new IllegalArgumentException(file + ": not a PAM training checkpoint (no '" + KEY + "' metadata)");
        var s = JSON.readTree(m);
        TrainConfig saved = TrainConfig.fromJson(s.get("trainConfig").asText());
        if (!saved.networkConfig().equals(t.cfg.networkConfig()))
            throw new IllegalArgumentException(file + ": checkpoint is for network '" + saved.network() + "', trainer is '" + t.cfg.network() + "'");
        Map<String, float[]> w = new LinkedHashMap<>(), teacher = new LinkedHashMap<>(), m1 = new HashMap<>(), m2 = new HashMap<>();
        c.tensors().forEach((k, v) -> {
            if (k.startsWith("w.")) w.put(k.substring(2), v);
            else if (k.startsWith("t.")) teacher.put(k.substring(2), v);
            else if (k.startsWith("m.")) m1.put(k.substring(2), v);
            else if (k.startsWith("v.")) m2.put(k.substring(2), v);
        });
        io.pam.net.Weights.of(t.spec, w); // validates names and sizes
        t.setParams(w);
        t.setTeacher(teacher.isEmpty() ? null : teacher);
        Map<String, Integer> counts = new HashMap<>();
        s.get("optimiserSteps").fields().forEachRemaining(e -> counts.put(e.getKey(), e.getValue().asInt()));
        t.opt.restore(m1, m2, counts);
        t.stage = s.get("stage").asInt();
        t.step = s.get("step").asInt();
        t.rng = new Rng(s.get("rng").asLong());
        t.priorReady = s.get("priorReady").asBoolean();
        if (s.has("sizedSteps"))
            for (int i = 0; i < t.sizedSteps.length; i++) t.sizedSteps[i] = s.get("sizedSteps").get(i).asInt();
        if (t.priorReady) t.prior.restore(c.tensors().get("prior"));
        t.history.restore(s.get("history").asText());
    }
}
