package io.pam.train;

import io.pam.spi.TrainingOps;
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
 * The rule's scalars are computed here and the elementwise update runs in the backend
 * ({@link TrainingOps#adamUpdate}), so the state stays on the device for a GPU backend.
 * Only tensors in the step's {@code touched} set move (SPOS: modules off the sampled path get
 * neither momentum nor decay), each with its own step count. BatchNorm running statistics are
 * not optimised.
 */
public final class RAdam<P> {
    public static final double EPS = 1e-8;

    private final TrainingOps<?, P> ops;
    private final double beta1, beta2, weightDecay;
    private final Map<String, P> m = new LinkedHashMap<>(), v = new LinkedHashMap<>();
    private final Map<String, Integer> steps = new LinkedHashMap<>();

    /** The moments live where the backend keeps parameters ({@link TrainingOps#zeros}); {@link #close} frees them. */
    public RAdam(TrainingOps<?, P> ops, double beta1, double beta2, double weightDecay) {
        if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && weightDecay >= 0))
            throw new IllegalArgumentException("betas must be in [0,1), weight decay >= 0");
        this.ops = ops;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.weightDecay = weightDecay;
    }

    /** Whether a parameter is optimised (running statistics are not). */
    public static boolean optimised(String name) {
        return !name.endsWith("running_mean") && !name.endsWith("running_var");
    }

    /** Applies one update with learning rate {@code lr} to the touched tensors. */
    public void step(Map<String, P> params, Map<String, P> grads, Set<String> touched, double lr) {
        for (String name : touched) {
            if (!optimised(name)) continue;
            P p = params.get(name), g = grads.get(name);
            if (p == null || g == null) throw new IllegalArgumentException("no parameter or gradient " + name);
            P mm = m.computeIfAbsent(name, k -> ops.zeros(ops.length(p)));
            P vv = v.computeIfAbsent(name, k -> ops.zeros(ops.length(p)));
            int t = steps.merge(name, 1, Integer::sum);
            ops.adamUpdate(p, g, mm, vv, scalars(t, lr));
        }
    }

    /** The per-tensor scalars of step {@code t} (1-based): bias corrections and the rectification. */
    TrainingOps.AdamStep scalars(int t, double lr) {
        double bc1 = 1 - Math.pow(beta1, t), b2t = Math.pow(beta2, t), bc2 = 1 - b2t;
        double rhoInf = 2 / (1 - beta2) - 1;
        double rhoT = rhoInf - 2 * t * b2t / bc2;
        boolean rectified = rhoT > 5;
        double decay = 1 - lr * weightDecay;
        if (!rectified) return new TrainingOps.AdamStep(beta1, beta2, decay, lr / bc1, false, EPS);
        double r = Math.sqrt((rhoT - 4) * (rhoT - 2) * rhoInf / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
        return new TrainingOps.AdamStep(beta1, beta2, decay, lr * r * Math.sqrt(bc2) / bc1, true, EPS);
    }

    /** Step count of a tensor (0 when never updated). */
    public int steps(String name) {
        return steps.getOrDefault(name, 0);
    }

    /** Host copies of the first moments (for checkpoints). */
    public Map<String, float[]> firstMoments() {
        return host(m);
    }

    /** Host copies of the second moments. */
    public Map<String, float[]> secondMoments() {
        return host(v);
    }

    private Map<String, float[]> host(Map<String, P> state) {
        Map<String, float[]> r = new LinkedHashMap<>();
        state.forEach((k, a) -> r.put(k, ops.toHost(a)));
        return r;
    }

    public Map<String, Integer> stepCounts() {
        return steps;
    }

    /** Restores a saved state (replaces the current one). */
    public void restore(Map<String, float[]> first, Map<String, float[]> second, Map<String, Integer> counts) {
        close();
        first.forEach((k, a) -> m.put(k, ops.fromHost(a)));
        second.forEach((k, a) -> v.put(k, ops.fromHost(a)));
        steps.putAll(counts);
    }

    /** Frees the moments (the backend's memory) and forgets the state. */
    public void close() {
        m.values().forEach(ops::release);
        v.values().forEach(ops::release);
        m.clear();
        v.clear();
        steps.clear();
    }

    /** Cosine annealing from {@code lr0} to 0 over a stage of {@code total} steps, at step {@code t} (0-based). */
    public static double cosineLr(double lr0, int t, int total) {
        if (total <= 0) return lr0;
        return lr0 * 0.5 * (1 + Math.cos(Math.PI * t / total));
    }
}
