package io.pam.train;

import io.pam.Route;
import io.pam.net.CostModel;
import java.util.List;

/**
 * The label of performance-aware path learning (paper Algorithm 1): the network's own route if
 * it is feasible (cost strictly below the budget) and no prior route has a lower error; else the
 * best prior route. Prior routes are feasible by construction; an infeasible one is refused.
 */
public final class PathLabel {
    private PathLabel() {}

    /**
     * @param network      the route the network chose (Gumbel-perturbed logits)
     * @param networkError its error, ignored when the route is infeasible
     * @param prior        routes drawn from the prior (non-empty)
     * @param priorErrors  their errors
     */
    public static Route choose(Route network, double networkError, List<Route> prior, double[] priorErrors,
                               CostModel costs, double budget) {
        if (prior.isEmpty() || prior.size() != priorErrors.length)
            throw new IllegalArgumentException("need one error per prior route, and at least one route");
        int best = 0;
        for (int i = 0; i < prior.size(); i++) {
            if (!(costs.gmac(prior.get(i)) < budget))
                throw new IllegalArgumentException("prior route " + prior.get(i) + " (" + costs.gmac(prior.get(i)) + " GMAC) is not below the budget " + budget);
            if (priorErrors[i] < priorErrors[best]) best = i;
        }
        boolean feasible = costs.gmac(network) < budget;
        if (feasible && networkError <= priorErrors[best]) return network;
        return prior.get(best);
    }
}
