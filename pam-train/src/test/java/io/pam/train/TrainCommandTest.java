package io.pam.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pam.net.NetworkConfig;
import io.pam.net.Safetensors;
import io.pam.net.Weights;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pam train} end to end on synthetic data: outputs, FP16 weights, resume, option errors. */
class TrainCommandTest {
    static final String[] TINY = {"--network", "tiny", "--data", "synthetic", "--backend", "reference", "--threads", "1",
            "--crop", "64", "--validation-crop", "64", "--stage1-steps", "3", "--stage2-steps", "2", "--stage3-steps", "2",
            "--prior-images", "4", "--bn-batches", "2", "--validation-images", "2", "--validate-every", "0",
            "--checkpoint-every", "2", "--log-every", "1"};

    static String[] with(String[] base, String... more) {
        String[] r = java.util.Arrays.copyOf(base, base.length + more.length);
        System.arraycopy(more, 0, r, base.length, more.length);
        return r;
    }

    @Test
    void trainsWritesCheckpointsAndHalfPrecisionWeightsAndResumes(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        Path run = dir.resolve("run");
        int rc = new TrainCommand(out).run(with(TINY, "--out", run.toString(), "--stage-minutes", "0,0,0"));
        String text = buf.toString(StandardCharsets.UTF_8);
        assertThat(rc).as(text).isZero();
        assertThat(text).contains("backend 'reference'", "validation stage 5", "done: weights in");
        for (String f : new String[] {"checkpoint.safetensors", "weights-fp16.safetensors", "loss.png", "validation.png",
                "train-config.json", "pam-tiny.safetensors"})
            assertThat(run.resolve(f)).as(f).exists();
        Weights half = Safetensors.read(run.resolve("weights-fp16.safetensors"));
        Weights full = Safetensors.read(run.resolve("pam-tiny.safetensors"));
        assertThat(half.config()).isEqualTo(NetworkConfig.tiny());
        // the last checkpoint is written after the BatchNorm re-estimation: the same weights, rounded to F16
        for (String name : full.names()) {
            float[] a = full.get(name), b = half.get(name);
            for (int i = 0; i < a.length; i++) assertThat(b[i]).isCloseTo(a[i], org.assertj.core.data.Offset.offset(1e-3f + 1e-3f * Math.abs(a[i])));
        }
        assertThat(Files.exists(run.resolve("checkpoint.safetensors.tmp"))).isFalse();

        // resuming a finished run re-writes the final weights without training further
        buf.reset();
        rc = new TrainCommand(out).run(new String[] {"--resume", run.resolve("checkpoint.safetensors").toString(), "--out", run.toString()});
        assertThat(rc).as(buf.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("resumed at stage 5");
    }

    @Test
    void badOptionsAreRefusedWithAMessage(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        assertThat(new TrainCommand(out).run(with(TINY, "--out", dir.toString(), "--crop", "50"))).isEqualTo(2);
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("crop must be a positive multiple of 32");
        buf.reset();
        assertThat(new TrainCommand(out).run(with(TINY, "--out", dir.toString(), "--data", "nowhere"))).isEqualTo(2);
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("unknown data 'nowhere'");
        buf.reset();
        assertThat(new TrainCommand(out).run(with(TINY, "--out", dir.toString(), "--stage-minutes", "1,2"))).isEqualTo(2);
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("stageMinutes needs 3 entries");
        buf.reset();
        assertThat(new TrainCommand(out).run(with(TINY, "--out", dir.toString(), "--backend", "gpu9"))).isEqualTo(2);
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("unknown training backend 'gpu9'");
    }

    /** Tiny-network weights with distinctive values (not Kaiming, not a head at 0.5), written as F32. */
    static Path distinctiveTinyWeights(Path dir) throws Exception {
        Path f = dir.resolve("init.safetensors");
        Safetensors.write(f, Weights.randomForTests(io.pam.net.NetworkSpec.of(NetworkConfig.tiny()), 4242),
                Safetensors.DType.F32, java.util.Map.of());
        return f;
    }

    @Test
    void initStartsANewRunFromAWeightFile(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        Path f = distinctiveTinyWeights(dir), run = dir.resolve("run");
        // no optimiser steps and no BatchNorm re-estimation: the run's final weights must be the file's, bit for bit
        int rc = new TrainCommand(out).run(with(TINY, "--out", run.toString(), "--stage-minutes", "0,0,0", "--stage1-steps", "0",
                "--stage2-steps", "0", "--stage3-steps", "0", "--bn-batches", "0", "--init", f.toString()));
        String text = buf.toString(StandardCharsets.UTF_8);
        assertThat(rc).as(text).isZero();
        assertThat(text).contains("starting a new run (stage 1 step 0, fresh optimiser) from the weights in " + f, "done: weights in");
        Weights given = Safetensors.read(f), trained = Safetensors.read(run.resolve("pam-tiny.safetensors"));
        assertThat(trained.names()).containsExactlyElementsOf(given.names());
        for (String name : given.names()) assertThat(trained.get(name)).as(name).containsExactly(given.get(name));
        assertThat(given.names()).anyMatch(n -> n.endsWith(".bn.running_var")); // running statistics came along too
    }

    @Test
    void initWithAnotherNetworkOrWithResumeIsRefused(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        NetworkConfig t = NetworkConfig.tiny();
        NetworkConfig other = new NetworkConfig(t.stem0(), t.stem1(), t.enc(), t.fixed(), t.bypass(), t.kernel(), t.expand(),
                t.ppmBranch(), t.ppmWindows(), t.dec(), t.decKernel(), t.head(), 8);
        Path f = dir.resolve("other.safetensors");
        Safetensors.write(f, Weights.randomForTests(io.pam.net.NetworkSpec.of(other), 1), Safetensors.DType.F32, java.util.Map.of());
        Path run = dir.resolve("run");
        assertThat(new TrainCommand(out).run(with(TINY, "--out", run.toString(), "--init", f.toString()))).isEqualTo(2);
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains(other.toString(), "'tiny' = " + t);
        assertThat(run).doesNotExist();

        buf.reset();
        Path good = distinctiveTinyWeights(dir);
        assertThat(new TrainCommand(out).run(with(TINY, "--out", run.toString(), "--init", good.toString(),
                "--resume", dir.resolve("checkpoint.safetensors").toString()))).isEqualTo(2);
        assertThat(buf.toString(StandardCharsets.UTF_8)).contains("--init and --resume cannot be combined");
        assertThat(run).doesNotExist();
    }
}
