package io.pam.train;

import io.pam.Route;
import io.pam.metrics.Metrics;
import io.pam.net.CostModel;
import io.pam.net.NetworkSpec;
import io.pam.net.Tensor;
import io.pam.train.data.Batch;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Validation helpers: per-image errors over the trimap's unknown pixels and the named budgets.
 * SAD and MSE come from {@link Metrics} (Composition-1K: SAD = sum |d| / 1000, MSE = mean d^2).
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

    /**
     * {SAD, MSE, L1} of one image (N = 1) over the trimap's unknown pixels: SAD and MSE by
     * {@link Metrics} (Composition-1K definitions), L1 = mean |pred - gt| over unknown pixels.
     */
    static double[] metrics(Tensor pred, Tensor gt, Tensor input) {
        int w = pred.w(), h = pred.h(), plane = pred.plane();
        float[] p = new float[plane], g = new float[plane];
        System.arraycopy(pred.data(), 0, p, 0, plane);
        System.arraycopy(gt.data(), 0, g, 0, plane);
        byte[] trimap = new byte[plane];
        int bgb = input.index(0, 3, 0, 0), ub = input.index(0, 4, 0, 0);
        for (int i = 0; i < plane; i++)
            trimap[i] = (byte) (input.data()[ub + i] > 0.5f ? 128 : input.data()[bgb + i] > 0.5f ? 0 : 255);
        double sad = Metrics.sad(w, h, p, g, trimap), mse = Metrics.mse(w, h, p, g, trimap);
        return new double[] {sad, mse, perImageL1(pred, gt, input)[0]};
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

    /** Batches of one (or more) stacked into one batch. */
    static Batch stack(java.util.List<Batch> parts) {
        return new Batch(cat(parts, Batch::input), cat(parts, Batch::alpha), cat(parts, Batch::fg), cat(parts, Batch::bg));
    }

    private static Tensor cat(java.util.List<Batch> parts, java.util.function.Function<Batch, Tensor> f) {
        Tensor t0 = f.apply(parts.get(0));
        int n = 0;
        for (Batch b : parts) n += f.apply(b).n();
        float[] d = new float[n * t0.c() * t0.plane()];
        int off = 0;
        for (Batch b : parts) {
            float[] s = f.apply(b).data();
            System.arraycopy(s, 0, d, off, s.length);
            off += s.length;
        }
        return new Tensor(n, t0.c(), t0.h(), t0.w(), d);
    }

    private static Tensor one(Tensor t, int i) {
        int per = t.c() * t.plane();
        float[] d = new float[per];
        System.arraycopy(t.data(), i * per, d, 0, per);
        return new Tensor(1, t.c(), t.h(), t.w(), d);
    }
}
