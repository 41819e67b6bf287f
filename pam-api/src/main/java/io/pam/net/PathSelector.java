package io.pam.net;

import io.pam.Route;

/**
 * Routing under a budget, one decision per selection layer, in group order.
 *
 * <p>Each decision takes the argmax of the layer's two logits (0 = compute, 1 = bypass; ties
 * compute), then enforces the budget: "compute" is allowed only if the route could still be
 * completed within the budget with every later group bypassed. A route is feasible when its
 * cost is strictly below the budget (the paper's rule). Budgets at or below the cheapest route
 * are rejected up front; a budget above the full route's cost runs the full route without
 * consulting the logits, since every route is feasible and the full route is the most accurate.
 *
 * <p>Not thread-safe: one selector per call.
 */
public final class PathSelector {
    private final CostModel costs;
    private final double budget;
    private final boolean unconstrained;
    private final Route forced;
    private Route route;
    private int next = 1;

    public PathSelector(CostModel costs, double budgetGmac) {
        checkBudget(costs, budgetGmac);
        this.costs = costs;
        this.budget = budgetGmac;
        this.unconstrained = budgetGmac > costs.largest();
        this.forced = null;
        this.route = new Route(0, NetworkSpec.GROUPS);
    }

    private PathSelector(CostModel costs, Route forced, double embeddingBudget) {
        this.costs = costs;
        this.budget = embeddingBudget;
        this.unconstrained = false;
        this.forced = forced;
        this.route = new Route(0, NetworkSpec.GROUPS);
    }

    /**
     * A selector that runs a fixed route whatever the logits say, for tests, exports and
     * training (the budget only feeds the cost embedding; no budget check).
     */
    public static PathSelector fixed(CostModel costs, Route route, double embeddingBudget) {
        return new PathSelector(costs, route, embeddingBudget);
    }

    /** Validates a budget, with an error naming what is allowed. */
    public static void checkBudget(CostModel costs, double budgetGmac) {
        if (!Double.isFinite(budgetGmac))
            throw new IllegalArgumentException("budget must be a finite number of GMAC at 1024x1024, got " + budgetGmac);
        if (budgetGmac <= costs.smallest())
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "budget %.2f GMAC is below the cheapest path (%.2f GMAC at 1024x1024, every group bypassed); "
                            + "the smallest feasible budget is anything above %.2f", budgetGmac, costs.smallest(), costs.smallest()));
    }

    public double budget() {
        return budget;
    }

    /** Whether the budget admits every route (then logits are not consulted). */
    public boolean unconstrained() {
        return unconstrained;
    }

    /**
     * Decides group {@code group} (must be the next undecided one) from its logits.
     *
     * @return true to compute the group, false to bypass it
     */
    public boolean decide(int group, float[] logits) {
        if (group != next) throw new IllegalStateException("groups are decided in order: expected " + next + ", got " + group);
        boolean compute;
        if (forced != null) {
            compute = forced.computes(group);
        } else if (unconstrained) {
            compute = true;
        } else {
            compute = logits[0] >= logits[1] && fits(route.with(group, true));
        }
        route = route.with(group, compute);
        next++;
        return compute;
    }

    /** Forces a decision (fixed-route runs); still refuses to exceed the budget. */
    public boolean force(int group, boolean compute) {
        if (group != next) throw new IllegalStateException("groups are decided in order: expected " + next + ", got " + group);
        boolean c = compute && fits(route.with(group, true));
        route = route.with(group, c);
        next++;
        return c;
    }

    private boolean fits(Route candidate) {
        // candidate has every later group bypassed (their bits are still clear)
        return costs.gmac(candidate) < budget;
    }

    /** The route decided so far (undecided groups read as bypassed). */
    public Route route() {
        return route;
    }

    /** Whether all groups are decided. */
    public boolean done() {
        return next > NetworkSpec.GROUPS;
    }
}
