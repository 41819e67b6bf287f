package io.pam.cpu;

import io.pam.net.NetworkSpec;
import io.pam.net.Node;
import io.pam.net.Op;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/** Test inputs: RGB in [0,1] and a one-hot trimap with most pixels unknown. */
final class Inputs {
    private Inputs() {}

    static Tensor random(int n, int h, int w, long seed) {
        Random r = new Random(seed);
        Tensor x = Tensor.zeros(n, 6, h, w);
        for (int b = 0; b < n; b++) {
            for (int c = 0; c < 3; c++) for (int i = 0; i < h * w; i++) x.data()[x.index(b, c, 0, 0) + i] = r.nextFloat();
            for (int i = 0; i < h * w; i++) {
                float u = r.nextFloat();
                int cls = u < 0.15f ? 0 : u < 0.85f ? 1 : 2; // bg, unknown, fg
                x.data()[x.index(b, 3 + cls, 0, 0) + i] = 1f;
            }
        }
        return x;
    }

    /**
     * {@link Weights#randomForTests} with every residual branch's last conv scaled by
     * {@code branchScale}: the unscaled test weights let activations grow to ~1e3 through the
     * residual sums, where float32 rounding alone (relative ~1e-6) moves alpha by ~1e-3.
     */
    static Weights damped(NetworkSpec spec, long seed, float branchScale) {
        Weights base = Weights.randomForTests(spec, seed);
        Set<String> branchEnds = new HashSet<>();
        for (Node n : spec.nodes()) if (n.op() instanceof Op.Add) branchEnds.addAll(n.inputs());
        Map<String, float[]> t = base.copyOf();
        for (Node n : spec.nodes()) {
            if (!(n.op() instanceof Op.Conv c) || !branchEnds.contains(n.name())) continue;
            String[] keys = c.batchNorm() ? new String[] {".bn.weight", ".bn.bias"} : new String[] {".weight", ".bias"};
            for (String k : keys) {
                float[] v = t.get(n.name() + k);
                if (v != null) for (int i = 0; i < v.length; i++) v[i] *= branchScale;
            }
        }
        return Weights.of(spec, t);
    }

    /** Largest |a - b|, with shapes checked. */
    static double maxAbsDiff(Tensor a, Tensor b, String what) {
        if (!a.shape().equals(b.shape()) || a.n() != b.n())
            throw new AssertionError(what + ": shape " + a + " vs reference " + b);
        double m = 0;
        for (int i = 0; i < a.data().length; i++) m = Math.max(m, Math.abs((double) a.data()[i] - b.data()[i]));
        return m;
    }

    static double maxAbs(Tensor t) {
        double m = 0;
        for (float v : t.data()) m = Math.max(m, Math.abs(v));
        return m;
    }
}
