package io.pam.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pam.spi.TrainingBackends;
import io.pam.spi.TrainingOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The speed and ETA part of the progress line. */
class ProgressLineTest {

    @Test
    void speedAndStageEtaFromTrainingTime() {
        // 10 steps of batch 4 in 8 s: 5 samples/s, 0.8 s per step; 150 steps left: 120 s
        assertThat(Trainer.speedAndEta(40, 10, 8.0, 150)).isEqualTo("5.00 samples/s | stage ETA 2m00s");
        assertThat(Trainer.speedAndEta(40, 10, 8.0, 0)).isEqualTo("5.00 samples/s | stage ETA 0m00s");
        assertThat(Trainer.speedAndEta(80, 20, 100.0, 9000)).isEqualTo("0.80 samples/s | stage ETA 12h30m");
        // a budgeted stage not sized yet: the speed, no ETA
        assertThat(Trainer.speedAndEta(40, 10, 8.0, -1)).isEqualTo("5.00 samples/s | stage ETA ?");
        // nothing timed yet: no NaN, no infinity
        assertThat(Trainer.speedAndEta(0, 0, 0, 100)).isEqualTo("? samples/s | stage ETA ?");
    }

    @Test
    void firstProgressLineHasASpeedAndAnEta() {
        TrainConfig cfg = TrainConfig.ci().with(Map.of("backend", "reference", "stage1Steps", "4", "logEvery", "2",
                "validateEvery", "0", "validationImages", "1", "batch", "1", "crop", "32"));
        List<String> lines = new ArrayList<>();
        try (TrainingOps<?, ?> ops = TrainingBackends.resolve(cfg.backend()).open(1)) {
            TrainingRunTest.trainer(cfg, ops, lines, null).runUntil(Trainer.SPOS, 0);
        }
        List<String> progress = lines.stream().filter(l -> l.startsWith("stage 1 step")).toList();
        assertThat(progress).hasSize(2);
        for (String l : progress) {
            assertThat(l).doesNotContain("NaN").doesNotContain("Infinity").doesNotContain("ETA ?");
            assertThat(l).containsPattern("\\d+\\.\\d\\d samples/s \\| stage ETA \\d+m\\d\\ds");
        }
        assertThat(progress.get(1)).endsWith("stage ETA 0m00s");
    }
}
