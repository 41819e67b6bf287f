package io.pam.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * RAdam (Liu et al. 2020) with decoupled weight decay, PyTorch semantics
 * ({@code torch.optim.RAdam(decoupled_weight_decay=True)}), state per parameter tensor:
 *
 * <pre>
 *   t += 1;  p *= 1 - lr*wd
 *   m = b1 m + (1-b1) g;   v = b2 v + (1-b2) g^2;   mhat = m / (1 - b1^t)
 *   rho_inf = 2/(1-b2) - 1;   rho_t = rho_inf - 2 t b2^t / (1 - b2^t)
 *   rho_t > 5:  p -= lr * mhat * r_t * sqrt(1 - b2^t) / (sqrt(v) + eps),
 *               r_t = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t))
 *   otherwise:  p -= lr * mhat
 * </pre>
 *
 * Only tensors in the step's {@code touched} set move (SPOS: modules off the sampled path get
 * neither momentum nor decay), each with its own step count. BatchNorm running statistics are
 * not optimised.
 */
public final class RAdam {
    public static final double EPS = 1e-8;

    private final double beta1, beta2, weightDecay;
    private final Map<String, float[]> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
    private final Map<String, Integer> steps = new LinkedHashMap<>();

    public RAdam(double beta1, double beta2, double weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && weightDecay >= 0))
            throw new IllegalArgumentException("betas must be in [0,1), weight decay >= 0");
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.weightDecay = weightDecay;
    }

    /** Whether a parameter is optimised (running statistics are not). */
    public static boolean optimised(String name) {
        return !name.endsWith("running_mean") && !name.endsWith("running_var");
    }

    /** Applies one update with learning rate {@code lr} to the touched tensors. */
    public void step(Map<String, float[]> params, Map<String, float[]> grads, Set<String> touched, double lr) {
        for (String name : touched) {
            if (!optimised(name)) continue;
            float[] p = params.get(name), g = grads.get(name);
            if (p == null || g == null) throw new IllegalArgumentException("no parameter or gradient " + name);
            float[] mm = m.computeIfAbsent(name, k -> new float[p.length]);
            float[] vv = v.computeIfAbsent(name, k -> new float[p.length]);
            int t = steps.merge(name, 1, Integer::sum);
            update(p, g, mm, vv, t, lr);
        }
    }

    private void update(float[] p, float[] g, float[] mm, float[] vv, int t, double lr) {
        double bc1 = 1 - Math.pow(beta1, t), b2t = Math.pow(beta2, t), bc2 = 1 - b2t;
        double rhoInf = 2 / (1 - beta2) - 1;
        double rhoT = rhoInf - 2 * t * b2t / bc2;
        boolean rectified = rhoT > 5;
        double r = rectified ? Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
        double decay = 1 - lr * weightDecay;
        double sqrtBc2 = Math.sqrt(bc2);
        for (int i = 0; i < p.length; i++) {
            double gi = g[i];
            double mi = beta1 * mm[i] + (1 - beta1) * gi;
            double vi = beta2 * vv[i] + (1 - beta2) * gi * gi;
            mm[i] = (float) mi;
            vv[i] = (float) vi;
            double pi = p[i] * decay;
            double mhat = mi / bc1;
            if (rectified) pi -= lr * mhat * r * sqrtBc2 / (Math.sqrt(vi) + EPS);
            else pi -= lr * mhat;
            p[i] = (float) pi;
        }
    }

    /** Step count of a tensor (0 when never updated). */
    public int steps(String name) {
        return steps.getOrDefault(name, 0);
    }

    /** The state for checkpoints: first and second moments, step counts. */
    public Map<String, float[]> firstMoments() {
        return m;
    }

    public Map<String, float[]> secondMoments() {
        return v;
    }

    public Map<String, Integer> stepCounts() {
        return steps;
    }

    /** Restores a saved state (replaces the current one). */
    public void restore(Map<String, float[]> first, Map<String, float[]> second, Map<String, Integer> counts) {
        m.clear();
        v.clear();
        steps.clear();
        first.forEach((k, a) -> m.put(k, a.clone()));
        second.forEach((k, a) -> v.put(k, a.clone()));
        steps.putAll(counts);
    }

    /** Cosine annealing from {@code lr0} to 0 over a stage of {@code total} steps, at step {@code t} (0-based). */
    public static double cosineLr(double lr0, int t, int total) {
        if (total <= 0) return lr0;
        return lr0 * 0.5 * (1 + Math.cos(Math.PI * t / total));
    }
}
