package io.pam.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pam.Route;
import io.pam.net.CostModel;
import io.pam.spi.TrainingBackends;
import io.pam.spi.TrainingOps;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CI-sized end-to-end run of all stages on the tiny network with procedural data, and exact
 * resumption from a checkpoint.
 */
class TrainingRunTest {

    static TrainConfig small() {
        return TrainConfig.ci();
    }

    static <T extends io.pam.net.Nchw, P> Trainer<T, P> trainer(TrainConfig cfg, TrainingOps<T, P> ops, List<String> lines,
                                                                Trainer.Listener extra) {
        return new Trainer<>(cfg, ops, seed -> new SyntheticBatches(seed, cfg.batch(), cfg.crop()),
                () -> new SyntheticBatches(99, 1, cfg.crop()), new Trainer.Listener() {
                    public void line(String text) {
                        lines.add(text);
                        System.out.println(text);
                    }

                    public void checkpoint(Trainer<?, ?> t) {
                        if (extra != null) extra.checkpoint(t);
                    }
                });
    }

    @Test
    void allStagesLearnAndRespectTheBudget(@TempDir Path dir) throws Exception {
        TrainConfig cfg = small();
        List<String> lines = new ArrayList<>();
        try (TrainingOps<?, ?> ops = TrainingBackends.resolve(cfg.backend()).open(cfg.threads())) {
            Trainer<?, ?> t = trainer(cfg, ops, lines, null);
            t.run();
            assertThat(t.stage()).isEqualTo(Trainer.DONE);
            List<History.ValidationPoint> v = t.history().validations.stream().filter(p -> p.budget().equals("75")).toList();
            double first = v.get(0).l1(), last = v.get(v.size() - 1).l1();
            assertThat(last).as("validation L1 at the full budget: initial %s, final %s", first, last).isLessThan(0.7 * first);
            // prior: a distribution over feasible candidates for every integer budget
            PathPrior prior = t.prior();
            assertThat(prior).isNotNull();
            CostModel costs = new CostModel(t.spec());
            for (int b = prior.lowestBudget(); b <= prior.highestBudget(); b++) {
                double sum = 0;
                for (Route r : Route.all(4)) {
                    double q = prior.probability(b, r);
                    assertThat(q).isBetween(0.0, 1.0);
                    if (q > 0) assertThat(costs.gmac(r)).isLessThan(prior.gmac(b));
                    sum += q;
                }
                assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
            }
            // stage 3 labels and validation routes are within their budgets
            assertThat(t.history().labels).hasSize(cfg.stage3Steps() * cfg.accumulate());
            assertThat(t.history().labels).allMatch(l -> l.gmac() < l.budget());
            for (History.ValidationPoint p : t.history().validations) {
                double budget = Validation.namedBudgets(costs).get(p.budget());
                if (budget <= costs.largest()) assertThat(p.gmac()).isLessThan(budget);
            }
            Curves.write(t.history(), dir);
            assertThat(Files.size(dir.resolve("loss.png"))).isGreaterThan(1000);
        }
    }

    /**
     * Both backends: the reference ops and the cpu kernels (on this module's test class path). The
     * straight run and the resumed one run at different JIT warm-up states, so any kernel whose bits
     * depend on compilation (e.g. {@code reduceLanes}) fails this.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"reference", "cpu"})
    void resumedRunContinuesBitForBit(String backend, @TempDir Path dir) throws Exception {
        TrainConfig cfg = small().with(Map.of("backend", backend, "stage1Steps", "6", "stage2Steps", "6", "stage3Steps", "4", "checkpointEvery", "2",
                "priorImages", "4", "bnBatches", "2", "validateEvery", "0", "validationImages", "2", "logEvery", "100"));
        Path ck = dir.resolve("ck.safetensors");
        try (TrainingOps<?, ?> ops = TrainingBackends.resolve(cfg.backend()).open(cfg.threads())) {
            Trainer<?, ?> straight = trainer(cfg, ops, new ArrayList<>(), null);
            straight.run();

            Trainer<?, ?> first = trainer(cfg, ops, new ArrayList<>(), null);
            first.runUntil(Trainer.PATHS, 2);
            Checkpoint.save(first, ck);
            Trainer<?, ?> resumed = trainer(cfg, ops, new ArrayList<>(), null);
            Checkpoint.restore(resumed, ck);
            assertThat(resumed.stage()).isEqualTo(Trainer.PATHS);
            assertThat(resumed.step()).isEqualTo(2);
            resumed.run();
            Map<String, float[]> want = straight.hostParams(), got = resumed.hostParams();
            for (String name : want.keySet())
                assertThat(got.get(name)).as("tensor %s after resuming", name).containsExactly(want.get(name));
            assertThat(resumed.history().labels).isEqualTo(straight.history().labels);
        }
    }
}
