package io.pam.train;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.pam.net.NetworkConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a training run is configured by, saved as JSON next to its checkpoints.
 *
 * @param network          {@code paper} or {@code tiny}
 * @param backend          training backend ({@code auto}, {@code cpu}, {@code reference})
 * @param threads          kernel threads
 * @param seed             seed of everything random (init, data, paths, Gumbel noise)
 * @param batch            samples per batch
 * @param crop             training crop side (multiple of 32)
 * @param accumulate       batches whose gradients are summed (averaged) per optimiser step
 * @param stage1Steps      optimiser steps of stage 1 (full network)
 * @param stage2Steps      steps of stage 2 (SPOS warm-up)
 * @param stage3Steps      steps of stage 3 (performance-aware path learning)
 * @param bnBatches        batches for the final BatchNorm re-estimation under learned routing
 * @param lr               RAdam learning rate (cosine-annealed to 0 within each stage)
 * @param beta1            RAdam beta1
 * @param beta2            RAdam beta2
 * @param weightDecay      decoupled weight decay
 * @param priorImages      N_val: validation composites for the path prior
 * @param priorCandidates  N_g: candidate routes per integer budget
 * @param priorDraws       N_e: routes drawn from the prior per step
 * @param priorSmoothing   weight of the uniform part of the smoothed prior
 * @param gumbelTau        Gumbel-softmax temperature of the network's own route
 * @param logEvery         steps between progress lines
 * @param validateEvery    steps between validations (0 = only at stage ends)
 * @param validationImages images of the validation source used per validation
 * @param checkpointEvery  steps between checkpoints (the data stream is reseeded at the same points)
 * @param checkpointMinutes wall-clock minutes between extra checkpoints (0 = none); the data stream
 *                         is reseeded there too, so resuming stays exact
 * @param data             training data: {@code synthetic} (procedural smoke data) or {@code pipeline}
 *                         (real + procedural foregrounds over the background photos of the shared data)
 * @param validationCrop   side of the fixed validation crops (pipeline data: centred on unknown
 *                         pixels of the held-aside real photos; full photos are too slow on a CPU)
 * @param stageMinutes     optional wall-clock budgets of stages 1..3 (3 entries; 0 = use the step
 *                         count): a stage with a budget times its first {@value Trainer#SIZING_STEPS}
 *                         steps and fixes its step count to fill the budget (saved in checkpoints)
 */
public record TrainConfig(String network, String backend, int threads, long seed, int batch, int crop, int accumulate,
                          int stage1Steps, int stage2Steps, int stage3Steps, int bnBatches,
                          double lr, double beta1, double beta2, double weightDecay,
                          int priorImages, int priorCandidates, int priorDraws, double priorSmoothing, double gumbelTau,
                          int logEvery, int validateEvery, int validationImages, int checkpointEvery,
                          double checkpointMinutes, String data, int validationCrop, double[] stageMinutes) {

    public TrainConfig {
        if (!network.equals("paper") && !network.equals("tiny"))
            throw new IllegalArgumentException("network must be 'paper' or 'tiny', got '" + network + "'");
        if (threads < 1 || batch < 1 || accumulate < 1) throw new IllegalArgumentException("threads, batch and accumulate must be >= 1");
        if (crop <= 0 || crop % 32 != 0) throw new IllegalArgumentException("crop must be a positive multiple of 32, got " + crop);
        if (stage1Steps < 0 || stage2Steps < 0 || stage3Steps < 0 || bnBatches < 0) throw new IllegalArgumentException("step counts must be >= 0");
        if (!(lr > 0)) throw new IllegalArgumentException("lr must be > 0");
        if (priorImages < 1 || priorCandidates < 1 || priorDraws < 1) throw new IllegalArgumentException("prior sizes must be >= 1");
        if (!(gumbelTau > 0)) throw new IllegalArgumentException("gumbelTau must be > 0");
        if (logEvery < 1 || validateEvery < 0 || validationImages < 1 || checkpointEvery < 1)
            throw new IllegalArgumentException("logEvery, validationImages, checkpointEvery must be >= 1; validateEvery >= 0");
        if (!(checkpointMinutes >= 0)) throw new IllegalArgumentException("checkpointMinutes must be >= 0, got " + checkpointMinutes);
        if (data == null || data.isBlank()) throw new IllegalArgumentException("data must name a data source (synthetic, pipeline)");
        stageMinutes = stageMinutes == null ? new double[3] : stageMinutes.clone();
        if (stageMinutes.length != 3) throw new IllegalArgumentException("stageMinutes needs 3 entries (stages 1..3), got " + stageMinutes.length);
        for (double m : stageMinutes) if (!(m >= 0)) throw new IllegalArgumentException("stageMinutes must be >= 0");
        if (validationCrop <= 0 || validationCrop % 32 != 0)
            throw new IllegalArgumentException("validationCrop must be a positive multiple of 32, got " + validationCrop);
    }

    /** The paper's recipe on the paper network (step counts sized for a long CPU run). */
    public static TrainConfig paper() {
        return new TrainConfig("paper", "auto", Runtime.getRuntime().availableProcessors(), 1, 4, 256, 1,
                40000, 20000, 20000, 200, 3e-4, 0.5, 0.999, 3e-5, 1000, 10, 4, 0.1, 1.0,
                20, 2000, 18, 500, 10, "pipeline", 320, null);
    }

    /**
     * A CI-sized run: tiny network, crop 64, 300 steps over all stages (200 / 60 / 40). The
     * learning rate is the recipe's x 67: with 3e-3 validation L1 fell only 0.345 -> 0.31 in 120
     * stage-1 steps; with 2e-2 it falls to about 0.12 in 200 (measured on the synthetic data).
     */
    public static TrainConfig ci() {
        return new TrainConfig("tiny", "auto", 2, 7, 4, 64, 1,
                200, 60, 40, 32, 2e-2, 0.5, 0.999, 3e-5, 32, 10, 4, 0.1, 1.0,
                20, 100, 16, 20, 0, "synthetic", 64, null);
    }

    @Override
    public double[] stageMinutes() {
        return stageMinutes.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrainConfig c && toJson().equals(c.toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    public NetworkConfig networkConfig() {
        return network.equals("paper") ? NetworkConfig.paper() : NetworkConfig.tiny();
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

    public String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static TrainConfig fromJson(String json) {
        try {
            return JSON.readValue(json, TrainConfig.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("bad training config: " + e.getMessage(), e);
        }
    }

    public static TrainConfig read(Path file) throws IOException {
        return fromJson(Files.readString(file));
    }

    /**
     * This config with fields replaced, by their JSON names (e.g. {@code stage1Steps}; kebab-case
     * {@code stage1-steps} is accepted too).
     */
    @SuppressWarnings("unchecked")
    public TrainConfig with(Map<String, String> overrides) {
        Map<String, Object> m = JSON.convertValue(this, LinkedHashMap.class);
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            String key = camel(e.getKey());
            if (!m.containsKey(key))
                throw new IllegalArgumentException("unknown training option '" + e.getKey() + "'; known: " + String.join(", ", m.keySet()));
            if (key.equals("stageMinutes")) {
                // "45,10,5": minutes of stages 1, 2 and 3
                List<Double> minutes = new ArrayList<>();
                for (String v : e.getValue().split(",")) minutes.add(Double.valueOf(v.trim()));
                m.put(key, minutes);
            } else m.put(key, e.getValue());
        }
        try {
            return JSON.convertValue(m, TrainConfig.class);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad training option: " + e.getMessage(), e);
        }
    }

    private static String camel(String s) {
        StringBuilder b = new StringBuilder();
        boolean up = false;
        for (char c : s.toCharArray()) {
            if (c == '-') up = true;
            else {
                b.append(up ? Character.toUpperCase(c) : c);
                up = false;
            }
        }
        return b.toString();
    }
}
