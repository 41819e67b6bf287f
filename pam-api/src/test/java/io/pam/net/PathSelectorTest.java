package io.pam.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pam.Route;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PathSelectorTest {
    static final CostModel COST = new CostModel(NetworkSpec.paper());

    private static Route route(double budget, Random rnd) {
        PathSelector s = new PathSelector(COST, budget);
        for (int g = 1; g <= 4; g++) s.decide(g, new float[] {(float) rnd.nextGaussian(), (float) rnd.nextGaussian()});
        assertThat(s.done()).isTrue();
        return s.route();
    }

    @Test
    void routingNeverExceedsTheBudget() {
        Random rnd = new Random(1);
        for (int b = 58; b <= 80; b++) {
            for (int trial = 0; trial < 500; trial++) {
                double budget = b + (trial % 5) * 0.2;
                Route r = route(budget, rnd);
                assertThat(COST.gmac(r)).as("budget %s route %s", budget, r).isLessThan(budget);
            }
        }
    }

    @Test
    void logitsDecideWhenTheBudgetAllows() {
        PathSelector s = new PathSelector(COST, 70);
        assertThat(s.decide(1, new float[] {0, 1})).isFalse(); // bypass preferred
        assertThat(s.decide(2, new float[] {1, 0})).isTrue(); // 0100 + nothing later = 62.93 < 70
        assertThat(s.decide(3, new float[] {1, 0})).isTrue(); // 0110 = 66.15 < 70
        assertThat(s.decide(4, new float[] {1, 0})).isTrue(); // 0111 = 67.18 < 70
        assertThat(s.route()).hasToString("0111");
    }

    @Test
    void budgetGuaranteeOverridesTheLogits() {
        PathSelector s = new PathSelector(COST, 66);
        // compute group 1: 1000 = 65.33 < 66 fits; group 2 then would give 1100 = 70.41: refused
        assertThat(s.decide(1, new float[] {1, 0})).isTrue();
        assertThat(s.decide(2, new float[] {1, 0})).isFalse();
        assertThat(s.decide(3, new float[] {1, 0})).isFalse(); // 1010 = 68.55
        assertThat(s.decide(4, new float[] {1, 0})).isFalse(); // 1001 = 66.37 >= 66
        assertThat(s.route()).hasToString("1000");
    }

    @Test
    void budgetAboveTheFullPathRunsTheFullPath() {
        PathSelector s = new PathSelector(COST, 80);
        for (int g = 1; g <= 4; g++) assertThat(s.decide(g, new float[] {-5, 5})).isTrue();
        assertThat(s.route()).isEqualTo(Route.full(4));
    }

    @Test
    void budgetAtOrBelowTheCheapestPathIsRejectedNamingIt() {
        assertThatThrownBy(() -> new PathSelector(COST, 57.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("57.85");
        assertThatThrownBy(() -> new PathSelector(COST, Double.NaN)).hasMessageContaining("finite");
    }

    @Test
    void groupsAreDecidedInOrder() {
        PathSelector s = new PathSelector(COST, 70);
        assertThatThrownBy(() -> s.decide(2, new float[] {1, 0})).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void fixedSelectorFollowsTheRoute() {
        PathSelector s = PathSelector.fixed(COST, Route.parse("1010"), 70);
        for (int g = 1; g <= 4; g++) s.decide(g, new float[] {1, 0});
        assertThat(s.route()).hasToString("1010");
    }
}
