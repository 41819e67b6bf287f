package io.pam.train;

import io.pam.Route;
import io.pam.net.CostModel;
import io.pam.net.NetworkSpec;
import io.pam.net.Tensor;
import io.pam.train.data.Batch;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Validation helpers: per-image errors over the trimap's unknown pixels and the named budgets.
 * SAD and MSE follow the Composition-1K definitions (SAD = sum |d| / 1000, MSE = mean d^2);
 * they are computed here until the project's metrics module is wired in ({@link #metrics}).
 */
final class Validation {
    private Validation() {}

    /** The paper's operating points (GMAC@1024) and the paper network's cost range. */
    static final double[] PAPER_BUDGETS = {75, 70, 60};
    static final double PAPER_SMALLEST = 57.85, PAPER_LARGEST = 74.67;

    /**
     * Named budgets: 75/70/60 on the paper network; on other networks the same positions within
     * their own cost range (so "75" admits the full route, "60" little more than the smallest).
     */
    static Map<String, Double> namedBudgets(CostModel costs) {
        Map<String, Double> m = new LinkedHashMap<>();
        boolean paper = Math.abs(costs.largest() - PAPER_LARGEST) < 0.05 && Math.abs(costs.smallest() - PAPER_SMALLEST) < 0.05;
        for (double b : PAPER_BUDGETS) {
            double v = paper ? b : costs.smallest() + (b - PAPER_SMALLEST) / (PAPER_LARGEST - PAPER_SMALLEST) * (costs.largest() - costs.smallest());
            m.put(String.valueOf((int) b), v);
        }
        return m;
    }

    /** The most expensive route strictly below a budget (the full route when it fits). */
    static Route bestFixedRoute(CostModel costs, double budget) {
        Route best = null;
        for (Route r : Route.all(NetworkSpec.GROUPS))
            if (costs.gmac(r) < budget && (best == null || costs.gmac(r) > costs.gmac(best))) best = r;
        if (best == null) throw new IllegalArgumentException("no route below " + budget);
        return best;
    }

    /** {SAD, MSE, L1} of one image (N = 1) over unknown pixels. */
    static double[] metrics(Tensor pred, Tensor gt, Tensor input) {
        double sad = 0, sq = 0, cnt = 0;
        int ub = input.index(0, 4, 0, 0);
        for (int i = 0; i < pred.plane(); i++) {
            double u = input.data()[ub + i];
            if (u == 0) continue;
            double d = pred.data()[i] - gt.data()[i];
            sad += u * Math.abs(d);
            sq += u * d * d;
            cnt += u;
        }
        return new double[] {sad / 1000, sq / (cnt + Losses.EPS), sad / (cnt + Losses.EPS)};
    }

    /** Mean |pred - gt| over unknown pixels, per image. */
    static double[] perImageL1(Tensor pred, Tensor gt, Tensor input) {
        double[] r = new double[pred.n()];
        for (int n = 0; n < pred.n(); n++) {
            double s = 0, c = 0;
            int pb = pred.index(n, 0, 0, 0), ub = input.index(n, 4, 0, 0);
            for (int i = 0; i < pred.plane(); i++) {
                double u = input.data()[ub + i];
                s += u * Math.abs(pred.data()[pb + i] - gt.data()[pb + i]);
                c += u;
            }
            r[n] = s / (c + Losses.EPS);
        }
        return r;
    }

    /** Sample {@code i} of a batch as a batch of one. */
    static Batch slice(Batch b, int i) {
        return new Batch(one(b.input(), i), one(b.alpha(), i), one(b.fg(), i), one(b.bg(), i));
    }

    private static Tensor one(Tensor t, int i) {
        int per = t.c() * t.plane();
        float[] d = new float[per];
        System.arraycopy(t.data(), i * per, d, 0, per);
        return new Tensor(1, t.c(), t.h(), t.w(), d);
    }
}
