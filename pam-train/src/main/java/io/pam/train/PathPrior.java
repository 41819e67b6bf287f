package io.pam.train;

import io.pam.Route;
import io.pam.net.CostModel;
import io.pam.net.NetworkSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The path prior of stage 3 (paper eq. 7): for each budget C_g of a grid (GMAC@1024), the
 * candidates are the {@code N_g} feasible routes (cost strictly below C_g) of highest cost, and
 * {@code Q[C_g][route]} is the fraction of validation images on which that route had the lowest
 * L1 among the candidates. Draws use a smoothed table,
 * {@code (1 - s) Q + s / |candidates|}, so that every candidate has positive probability and
 * {@code min(N_e, |candidates|)} distinct routes can always be drawn.
 *
 * <p>The grid: budgets are {@code point / pointsPerGmac} for integer grid points. A network whose
 * cost range spans at least {@value #MIN_SPAN} GMAC (the paper network: 57.85..74.67) uses the
 * paper's integer budgets (58..75, one point per GMAC). A narrower network (the tiny one:
 * 3.64..3.73) gets the finest power-of-ten grid that still leaves at least
 * {@value #MIN_SPAN} grid steps across its range, so it also has several budgets, and routes
 * that they exclude, instead of one budget that admits every route.
 */
public final class PathPrior {
    private final CostModel costs;
    /** A cost range at least this wide (in grid steps) keeps the grid; narrower ones refine it. */
    static final int MIN_SPAN = 4;
    private final int lo, hi, candidatesPerBudget, pointsPerGmac;
    private final double smoothing;
    private final double[][] q;

    /** An empty (uniform) prior over the integer budgets of a network. */
    public PathPrior(CostModel costs, int candidatesPerBudget, double smoothing) {
        if (candidatesPerBudget < 1) throw new IllegalArgumentException("N_g must be >= 1");
        if (!(smoothing > 0 && smoothing <= 1)) throw new IllegalArgumentException("prior smoothing must be in (0, 1]");
        this.costs = costs;
        this.pointsPerGmac = pointsPerGmac(costs.largest() - costs.smallest());
        this.lo = (int) Math.floor(costs.smallest() * pointsPerGmac) + 1;
        this.hi = (int) Math.ceil(costs.largest() * pointsPerGmac);
        this.candidatesPerBudget = candidatesPerBudget;
        this.smoothing = smoothing;
        this.q = new double[hi - lo + 1][1 << NetworkSpec.GROUPS];
    }

    /** Grid points per GMAC: 1 (integer budgets) for a range of at least {@value #MIN_SPAN} GMAC, else 10, 100, ... */
    static int pointsPerGmac(double costRange) {
        int p = 1;
        while (costRange * p < MIN_SPAN && p < 1_000_000) p *= 10;
        return p;
    }

    /** Grid points per GMAC (1 on the paper network: the grid points are the integer budgets). */
    public int pointsPerGmac() {
        return pointsPerGmac;
    }

    /** The budget (GMAC@1024) of a grid point. */
    public double gmac(int point) {
        return point / (double) pointsPerGmac;
    }

    /** The grid points the prior covers: the smallest budget that admits a route .. the first that admits all. */
    public int lowestBudget() {
        return lo;
    }

    public int highestBudget() {
        return hi;
    }

    /** Feasible routes under a grid point's budget (cost < budget), most expensive first, at most N_g. */
    public List<Route> candidates(int budget) {
        double limit = gmac(budget);
        List<Route> r = new ArrayList<>();
        for (Route route : Route.all(NetworkSpec.GROUPS)) if (costs.gmac(route) < limit) r.add(route);
        r.sort(Comparator.comparingDouble((Route x) -> costs.gmac(x)).reversed());
        return r.size() > candidatesPerBudget ? r.subList(0, candidatesPerBudget) : r;
    }

    /**
     * Estimates the table from per-image errors.
     *
     * @param errors one array per image: L1 of each route (indexed by mask)
     */
    public void estimate(List<double[]> errors) {
        if (errors.isEmpty()) throw new IllegalArgumentException("the prior needs at least one image");
        for (int b = lo; b <= hi; b++) {
            double[] row = q[b - lo];
            java.util.Arrays.fill(row, 0);
            List<Route> cand = candidates(b);
            for (double[] e : errors) {
                Route best = cand.get(0);
                for (Route r : cand) if (e[r.mask()] < e[best.mask()]) best = r;
                row[best.mask()] += 1.0 / errors.size();
            }
        }
    }

    /** The raw prior Q[budget][mask] (fractions of images; sums to 1 over the candidates). */
    public double probability(int budget, Route route) {
        return q[checkBudget(budget) - lo][route.mask()];
    }

    /** The smoothed probability used for draws (0 for non-candidates). */
    public double smoothed(int budget, Route route) {
        List<Route> cand = candidates(checkBudget(budget));
        if (!cand.contains(route)) return 0;
        return (1 - smoothing) * q[budget - lo][route.mask()] + smoothing / cand.size();
    }

    private int checkBudget(int budget) {
        if (budget < lo || budget > hi) throw new IllegalArgumentException("budget " + budget + " outside the prior's range " + lo + ".." + hi);
        return budget;
    }

    /** Draws {@code min(k, |candidates|)} distinct routes, without replacement, proportionally to the smoothed prior. */
    public List<Route> draw(int budget, int k, Rng rng) {
        List<Route> pool = new ArrayList<>(candidates(checkBudget(budget)));
        List<Double> w = new ArrayList<>();
        for (Route r : pool) w.add(smoothed(budget, r));
        List<Route> out = new ArrayList<>();
        while (out.size() < k && !pool.isEmpty()) {
            double total = 0;
            for (double x : w) total += x;
            double u = rng.nextDouble() * total;
            int i = 0;
            while (i < pool.size() - 1 && (u -= w.get(i)) >= 0) i++;
            out.add(pool.remove(i));
            w.remove(i);
        }
        return out;
    }

    /** The table as a flat array [budgets x 16] (for checkpoints). */
    public float[] table() {
        float[] t = new float[q.length * q[0].length];
        for (int b = 0; b < q.length; b++) for (int m = 0; m < q[0].length; m++) t[b * q[0].length + m] = (float) q[b][m];
        return t;
    }

    public int[] tableShape() {
        return new int[] {q.length, q[0].length};
    }

    /** Restores a table saved by {@link #table()}. */
    public void restore(float[] t) {
        if (t.length != q.length * q[0].length) throw new IllegalArgumentException("prior table has " + t.length + " values, expected " + q.length * q[0].length);
        for (int b = 0; b < q.length; b++) for (int m = 0; m < q[0].length; m++) q[b][m] = t[b * q[0].length + m];
    }
}
