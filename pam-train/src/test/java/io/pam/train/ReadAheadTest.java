package io.pam.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pam.net.Tensor;
import io.pam.ref.RefTrainingOps;
import io.pam.spi.TrainingOps;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The trainer reads the next batch and starts its copy while the device runs the current one:
 * the prefetch of batch k+1 comes after batch k's forward pass is queued and before the trainer
 * first waits for a result of it (a download), and every batch taken is one prefetched, in order.
 */
class ReadAheadTest {
    /** Records prefetch / take / download calls, in order. */
    @SuppressWarnings("unchecked")
    static TrainingOps<Tensor, float[]> recording(TrainingOps<Tensor, float[]> target, List<String> log) {
        InvocationHandler h = (proxy, m, args) -> {
            Object r;
            try {
                r = m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            switch (m.getName()) {
                case "prefetch" -> {
                    int id = (int) log.stream().filter(s -> s.startsWith("prefetch")).count();
                    log.add("prefetch " + id);
                    TrainingOps.Incoming<Tensor> in = (TrainingOps.Incoming<Tensor>) r;
                    return new TrainingOps.Incoming<Tensor>() {
                        public Tensor take() {
                            log.add("take " + id);
                            return in.take();
                        }

                        public void close() {
                            in.close();
                        }
                    };
                }
                case "download" -> log.add("download");
                default -> {}
            }
            return r;
        };
        return (TrainingOps<Tensor, float[]>) Proxy.newProxyInstance(TrainingOps.class.getClassLoader(), new Class<?>[] {TrainingOps.class}, h);
    }

    @Test
    void theNextBatchIsPrefetchedWhileTheCurrentOneRuns() {
        TrainConfig cfg = TrainConfig.ci();
        List<String> log = new ArrayList<>();
        try (TrainingOps<Tensor, float[]> ops = recording(new RefTrainingOps(), log);
             Trainer<Tensor, float[]> t = TrainingRunTest.trainer(cfg, ops, new ArrayList<>(), null)) {
            t.runUntil(Trainer.FULL, 4);
        }
        List<String> takes = log.stream().filter(s -> s.startsWith("take")).toList();
        int micro = 4 * cfg.accumulate();
        assertThat(takes).as("one batch per micro-step, taken in the order prefetched")
                .containsExactlyElementsOf(java.util.stream.IntStream.range(0, micro).mapToObj(i -> "take " + i).toList());
        for (int k = 0; k < micro; k++) {
            int at = log.indexOf("take " + k), next = log.indexOf("prefetch " + (k + 1));
            assertThat(next).as("batch %d is read ahead during batch %d", k + 1, k).isGreaterThan(at);
            int firstWait = log.subList(at, log.size()).indexOf("download") + at;
            assertThat(next).as("before the trainer first waits for batch %d's result", k).isLessThan(firstWait);
        }
        assertThat(log.stream().filter(s -> s.startsWith("prefetch")).count()).as("at most one batch read ahead and dropped").isEqualTo(micro + 1);
    }
}
