package io.pam.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pam.Route;
import io.pam.net.CostModel;
import io.pam.net.NetworkSpec;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Algorithm 1's label rule and the path prior, with controlled errors and the paper network's costs. */
class PathLearningTest {
    private final CostModel costs = new CostModel(NetworkSpec.paper());

    @Test
    void labelIsTheNetworkRouteWhenFeasibleAndBest() {
        List<Route> prior = List.of(Route.parse("1011"), Route.parse("0111"), Route.parse("1101"));
        Route net = Route.parse("1001"); // 66.37 GMAC
        assertThat(PathLabel.choose(net, 0.10, prior, new double[] {0.2, 0.15, 0.3}, costs, 72)).isEqualTo(net);
        // a prior route beats it: the best prior route
        assertThat(PathLabel.choose(net, 0.10, prior, new double[] {0.2, 0.05, 0.3}, costs, 72)).isEqualTo(Route.parse("0111"));
    }

    @Test
    void infeasibleNetworkRouteIsNeverTheLabel() {
        List<Route> prior = List.of(Route.parse("1011"), Route.parse("0111"));
        Route net = Route.parse("1111"); // 74.67 > 70
        assertThat(PathLabel.choose(net, 0.0, prior, new double[] {0.4, 0.3}, costs, 70)).isEqualTo(Route.parse("0111"));
        // cost equal to the budget is infeasible too (strict <)
        assertThatThrownBy(() -> PathLabel.choose(net, 0, List.of(Route.parse("1111")), new double[] {0}, costs, costs.gmac(Route.parse("1111"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not below the budget");
    }

    @Test
    void priorCandidatesTableAndDraws() {
        PathPrior prior = new PathPrior(costs, 10, 0.1);
        assertThat(prior.lowestBudget()).isEqualTo(58);
        assertThat(prior.highestBudget()).isEqualTo(75);
        assertThat(prior.pointsPerGmac()).isEqualTo(1);
        assertThat(prior.gmac(70)).isEqualTo(70.0);
        assertThat(prior.candidates(58)).containsExactly(new Route(0, 4));
        List<Route> c70 = prior.candidates(70);
        assertThat(c70).hasSize(10).allMatch(r -> costs.gmac(r) < 70);
        assertThat(c70.get(0)).isEqualTo(Route.parse("1011")); // 69.59, the most expensive below 70
        // errors: route 0111 best on 3 images, 1011 on 1
        List<double[]> errs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            double[] e = new double[16];
            java.util.Arrays.fill(e, 1);
            e[(i < 3 ? Route.parse("0111") : Route.parse("1011")).mask()] = 0.1;
            errs.add(e);
        }
        prior.estimate(errs);
        assertThat(prior.probability(70, Route.parse("0111"))).isEqualTo(0.75);
        assertThat(prior.probability(70, Route.parse("1011"))).isEqualTo(0.25);
        for (int b = prior.lowestBudget(); b <= prior.highestBudget(); b++) {
            double sum = 0, smooth = 0;
            for (Route r : Route.all(4)) {
                sum += prior.probability(b, r);
                smooth += prior.smoothed(b, r);
                if (prior.probability(b, r) > 0) assertThat(costs.gmac(r)).isLessThan(prior.gmac(b));
            }
            assertThat(sum).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(smooth).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-9));
            int budget = b;
            List<Route> drawn = prior.draw(b, 4, new Rng(b));
            assertThat(new HashSet<>(drawn)).hasSize(Math.min(4, prior.candidates(b).size()));
            assertThat(drawn).allMatch(r -> costs.gmac(r) < prior.gmac(budget));
        }
        // smoothing lets 4 distinct routes be drawn even where the raw prior has 2 non-zero entries
        assertThat(new HashSet<>(prior.draw(70, 4, new Rng(3)))).hasSize(4);
    }

    @Test
    void narrowCostRangesGetAFinerGridWithSeveralBudgets() {
        CostModel tiny = new CostModel(NetworkSpec.of(io.pam.net.NetworkConfig.tiny()));
        PathPrior prior = new PathPrior(tiny, 10, 0.1);
        // the tiny network's whole range (about 3.64..3.73 GMAC) lies inside one integer budget
        assertThat(Math.ceil(tiny.largest()) - Math.floor(tiny.smallest())).isEqualTo(1);
        assertThat(prior.pointsPerGmac()).isEqualTo(100);
        assertThat(prior.highestBudget() - prior.lowestBudget() + 1).isGreaterThanOrEqualTo(PathPrior.MIN_SPAN);
        assertThat(prior.gmac(prior.lowestBudget())).isGreaterThan(tiny.smallest());
        assertThat(prior.gmac(prior.lowestBudget() - 1)).isLessThanOrEqualTo(tiny.smallest());
        assertThat(prior.gmac(prior.highestBudget())).isGreaterThanOrEqualTo(tiny.largest());
        assertThat(prior.gmac(prior.highestBudget() - 1)).isLessThan(tiny.largest());
        // the cheapest budget admits only the cheapest route; the highest admits all 16 (N_g 16)
        assertThat(prior.candidates(prior.lowestBudget())).containsExactly(new Route(0, 4));
        assertThat(new PathPrior(tiny, 16, 0.1).candidates(prior.highestBudget())).hasSize(16);
        // budgets in between exclude some routes
        int mid = (prior.lowestBudget() + prior.highestBudget()) / 2;
        assertThat(new PathPrior(tiny, 16, 0.1).candidates(mid).size()).isBetween(2, 15);
    }
}
