package io.pam.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pam.net.Tensor;
import io.pam.ref.RefTrainingOps;
import io.pam.spi.TrainingOps;
import io.pam.train.data.Batch;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The trainer's path for a backend that computes the losses itself
 * ({@link TrainingOps#computesLosses()}): a reference backend whose {@code mattingLosses} is the
 * host's {@link Losses#total}, on the targets the trainer packed and sent, must train exactly
 * like the plain reference backend through all three stages (teacher distillation and the path
 * loss included).
 */
class BackendLossesTest {
    /** The reference ops, claiming to compute the losses: from the packed targets, with the host code. */
    @SuppressWarnings("unchecked")
    static TrainingOps<Tensor, float[]> lossesInBackend(RefTrainingOps ref, int[] calls) {
        return (TrainingOps<Tensor, float[]>) Proxy.newProxyInstance(TrainingOps.class.getClassLoader(), new Class<?>[] {TrainingOps.class},
                (proxy, m, args) -> switch (m.getName()) {
                    case "computesLosses" -> true;
                    case "mattingLosses" -> {
                        calls[0]++;
                        Tensor alpha = (Tensor) args[0], input = (Tensor) args[1], t = (Tensor) args[2];
                        Batch b = new Batch(input, channels(t, 0, 1), channels(t, 1, 3), channels(t, 4, 3));
                        yield Losses.total(alpha, b, (Tensor) args[3], (TrainingOps.LossSpec) args[4]);
                    }
                    default -> {
                        try {
                            yield m.invoke(ref, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    }
                });
    }

    @Test
    void trainingCheckComparesABackendsLossesWithTheHostsAndCatchesAWrongGradient() {
        try (RefTrainingOps ref = new RefTrainingOps()) {
            TrainingCheck.LossComparison same = TrainingCheck.compareLosses(lossesInBackend(ref, new int[1]), 2, 64);
            assertThat(same.passes()).as(same.line()).isTrue();
            assertThat(same.worstValue()).isZero();
            // a backend whose gradient is off by 0.1% at one pixel (the Laplacian term's adjoint, say)
            @SuppressWarnings("unchecked")
            TrainingOps<Tensor, float[]> wrong = (TrainingOps<Tensor, float[]>) Proxy.newProxyInstance(TrainingOps.class.getClassLoader(),
                    new Class<?>[] {TrainingOps.class}, (proxy, m, args) -> {
                        Object r = m.invoke(lossesInBackend(ref, new int[1]), args);
                        if (m.getName().equals("mattingLosses")) {
                            TrainingOps.LossValues<Tensor> v = (TrainingOps.LossValues<Tensor>) r;
                            float[] g = v.grad().data();
                            int at = 0;
                            for (int i = 0; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[at])) at = i;
                            g[at] *= 1.001f;
                        }
                        return r;
                    });
            TrainingCheck.LossComparison off = TrainingCheck.compareLosses(wrong, 2, 64);
            assertThat(off.passes()).as(off.line()).isFalse();
            assertThat(off.gradErr()).isBetween(5e-4, 2e-3);
        }
    }

    static Tensor channels(Tensor t, int from, int count) {
        Tensor o = Tensor.zeros(t.n(), count, t.h(), t.w());
        for (int n = 0; n < t.n(); n++)
            System.arraycopy(t.data(), t.index(n, from, 0, 0), o.data(), o.index(n, 0, 0, 0), count * t.plane());
        return o;
    }

    static List<double[]> train(TrainingOps<Tensor, float[]> ops, TrainConfig cfg, Map<String, float[]>[] weights) {
        try (Trainer<Tensor, float[]> t = TrainingRunTest.trainer(cfg, ops, new ArrayList<>(), null)) {
            t.runUntil(Trainer.BN, 0);
            weights[0] = t.hostParams();
            List<double[]> parts = new ArrayList<>();
            for (History.LossPoint p : t.history().losses) parts.add(p.parts());
            return parts;
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void aBackendComputingTheLossesTrainsExactlyLikeTheHostLosses() {
        TrainConfig cfg = TrainConfig.ci().with(TrainingCheck.kv("stage1Steps", "3", "stage2Steps", "2", "stage3Steps", "2",
                "validateEvery", "0", "priorImages", "2"));
        Map<String, float[]>[] plainWeights = new Map[1], backendWeights = new Map[1];
        int[] calls = {0};
        List<double[]> plain, backend;
        try (RefTrainingOps ref = new RefTrainingOps()) {
            plain = train(ref, cfg, plainWeights);
        }
        try (RefTrainingOps ref = new RefTrainingOps()) {
            backend = train(lossesInBackend(ref, calls), cfg, backendWeights);
        }
        int steps = cfg.stage1Steps() + cfg.stage2Steps() + cfg.stage3Steps();
        assertThat(calls[0]).as("one loss evaluation per micro-step").isEqualTo(steps * cfg.accumulate());
        assertThat(backend).hasSize(steps);
        for (int i = 0; i < steps; i++) assertThat(backend.get(i)).as("loss parts of step %d", i).isEqualTo(plain.get(i));
        assertThat(backend.get(steps - 1)[4]).as("the distillation term was computed").isGreaterThan(0);
        assertThat(backend.get(steps - 1)[5]).as("the path term was computed").isGreaterThan(0);
        assertThat(backendWeights[0].keySet()).isEqualTo(plainWeights[0].keySet());
        plainWeights[0].forEach((k, v) -> assertThat(backendWeights[0].get(k)).as(k).isEqualTo(v));
    }
}
