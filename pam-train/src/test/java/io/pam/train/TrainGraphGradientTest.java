package io.pam.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pam.Route;
import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.Tensor;
import io.pam.net.Weights;
import io.pam.ref.RefTrainingOps;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * End-to-end finite-difference check of the trainer's autograd on the tiny network with the
 * reference kernels: a loss on the final alpha ({@code sum r * alpha}, r Gaussian) plus the path
 * cross-entropy on the selection logits, over every other parameter tensor that receives a
 * gradient. The head's output is scaled so the prediction stays inside (0, 1) (the clamp is then
 * the identity), and BatchNorm runs in training mode (batch statistics).
 *
 * <p>What is compared: per tensor, the directional derivative along a random unit direction
 * within that tensor, {@code <v, grad>} against the central difference
 * {@code (L(w + h v) - L(w - h v)) / 2h} at h = 1e-3 and 1e-4. Why these tolerances: the forward
 * is float and the loss is piecewise smooth (thousands of ReLUs at full resolution, random inputs,
 * random signs in r): a step moves some pre-activations across their kink, which adds a
 * second-order error that is large for the full-resolution stem (at h = 1e-2 some stem estimates
 * even have the wrong sign) and shrinks with h; below h = 1e-4 the float forward's rounding takes
 * over. Measured (seed below): every tensor's estimate approaches the backward as h shrinks, the
 * selection logits layers and the head output (no ReLU between them and the loss) agree to 1e-5. Hence: the
 * smooth tail within 1e-3 relative; at least 90% of all checked tensors within 10% (or 1% of the
 * largest directional derivative) at the better of the two steps. A wrong backward of any op
 * (concat/split offsets, fan-out accumulation, resize adjoint, gate, BN) fails several tensors by
 * far more than that. (A single direction across all tensors at once, as first tried, is dominated
 * by the stem's kink error: -0.240 vs -0.193 at h = 1e-3; that was noise, not a gradient bug.)
 */
class TrainGraphGradientTest {

    @Test
    void networkGradientsMatchFiniteDifferences() {
        NetworkSpec spec = NetworkSpec.of(NetworkConfig.tiny());
        Map<String, float[]> p = Weights.init(spec, 3).copyOf();
        // residual branches start at zero (gamma 0): open them so that every term is exercised
        p.forEach((k, v) -> {
            if (k.endsWith(".bn.weight")) for (int i = 0; i < v.length; i++) if (v[i] == 0) v[i] = 0.3f;
        });
        for (int i = 0; i < p.get("head.out.weight").length; i++) p.get("head.out.weight")[i] *= 0.05f;
        p.get("head.out.bias")[0] = 0.5f;
        TrainGraph<Tensor, float[]> graph = new TrainGraph<>(spec, new RefTrainingOps());
        Random rnd = new Random(5);
        Tensor x = Tensor.zeros(2, 6, 64, 64);
        for (int n = 0; n < 2; n++)
            for (int i = 0; i < 64 * 64; i++) {
                for (int c = 0; c < 3; c++) x.data()[x.index(n, c, 0, 0) + i] = rnd.nextFloat();
                x.data()[x.index(n, 4, 0, 0) + i] = 1f; // everything unknown: every pixel reaches the loss
            }
        Tensor r = Tensor.zeros(2, 1, 64, 64);
        for (int i = 0; i < r.data().length; i++) r.data()[i] = (float) rnd.nextGaussian();
        Route route = Route.parse("1011");
        Route label = Route.parse("0110");
        double budget = 3.7;

        java.util.function.Supplier<Double> loss = () -> {
            TrainGraph.Pass<Tensor, float[]> pass = graph.forward(p, x, budget, TrainGraph.Router.fixed(route), TrainGraph.Mode.TRAIN);
            Tensor[] logits = logits(spec, pass);
            return RefTrainingOpsDot.dot(pass.alpha(), r) + Losses.pathCrossEntropy(logits, label, new Tensor[4]);
        };
        TrainGraph.Pass<Tensor, float[]> pass = graph.forward(p, x, budget, TrainGraph.Router.fixed(route), TrainGraph.Mode.TRAIN);
        for (int i = 0; i < pass.prediction(spec).data().length; i++)
            assertThat(pass.prediction(spec).data()[i]).as("prediction inside (0,1)").isBetween(0.01f, 0.99f);
        Tensor[] dLogits = new Tensor[4];
        Losses.pathCrossEntropy(logits(spec, pass), label, dLogits);
        Map<String, float[]> grads = new HashMap<>();
        Set<String> touched = graph.backward(pass, p, r, java.util.Arrays.asList(dLogits), grads);

        // parameters off the route get nothing; the cost embeddings and logits layers do (via L_pt)
        assertThat(touched).doesNotContain("enc2.weight", "enc2.pw1.weight").contains("lcl2.pw1.weight", "enc1.pw1.weight",
                "ps1.embed.weight", "ps4.logits.weight", "head.out.weight");
        assertThat(touched).noneMatch(n -> n.endsWith("running_mean") || n.endsWith("running_var"));

        java.util.List<String> names = new java.util.ArrayList<>(new java.util.TreeSet<>(touched));
        java.util.List<String> checkedNames = new java.util.ArrayList<>();
        for (int i = 0; i < names.size(); i += 2) checkedNames.add(names.get(i));
        for (String smooth : new String[] {"head.out.weight", "head.out.bias", "ps1.logits.weight", "ps3.logits.bias"})
            if (!checkedNames.contains(smooth)) checkedNames.add(smooth);
        double[] gvs = new double[checkedNames.size()], best = new double[gvs.length];
        double[] bestFd = new double[gvs.length];
        for (int t = 0; t < gvs.length; t++) {
            String name = checkedNames.get(t);
            float[] w = p.get(name), g = grads.get(name), base = w.clone();
            double[] v = new double[w.length];
            double norm = 0;
            for (int i = 0; i < v.length; i++) norm += (v[i] = rnd.nextGaussian()) * v[i];
            norm = Math.sqrt(norm);
            for (int i = 0; i < v.length; i++) gvs[t] += (v[i] /= norm) * g[i];
            best[t] = Double.MAX_VALUE;
            for (double h : new double[] {1e-3, 1e-4}) {
                for (int i = 0; i < w.length; i++) w[i] = (float) (base[i] + h * v[i]);
                double up = loss.get();
                for (int i = 0; i < w.length; i++) w[i] = (float) (base[i] - h * v[i]);
                double down = loss.get();
                System.arraycopy(base, 0, w, 0, w.length);
                double fd = (up - down) / (2 * h);
                if (Math.abs(fd - gvs[t]) < best[t]) {
                    best[t] = Math.abs(fd - gvs[t]);
                    bestFd[t] = fd;
                }
            }
        }
        double maxGv = 0;
        for (double gv : gvs) maxGv = Math.max(maxGv, Math.abs(gv));
        int passed = 0;
        StringBuilder report = new StringBuilder();
        for (int t = 0; t < gvs.length; t++) {
            String name = checkedNames.get(t);
            boolean ok = best[t] <= Math.max(0.1 * Math.abs(gvs[t]), 0.01 * maxGv);
            if (ok) passed++;
            report.append(String.format("%n  %s %-24s finite difference % .5e vs backward % .5e", ok ? "  " : "!!", name, bestFd[t], gvs[t]));
            if (name.startsWith("head.out") || name.contains(".logits."))
                assertThat(best[t]).as("%s (smooth part): finite difference %s vs backward %s", name, bestFd[t], gvs[t])
                        .isLessThanOrEqualTo(1e-3 * Math.abs(gvs[t]) + 1e-6);
        }
        assertThat(gvs.length).isGreaterThan(80);
        assertThat(passed).as("tensors whose directional derivative matches (of %d):%s", gvs.length, report)
                .isGreaterThanOrEqualTo((int) Math.ceil(0.9 * gvs.length));
    }

    static Tensor[] logits(NetworkSpec spec, TrainGraph.Pass<Tensor, float[]> pass) {
        Tensor[] l = new Tensor[4];
        for (int g = 0; g < 4; g++) l[g] = pass.output(spec.group(g + 1).logits());
        return l;
    }

    static int argMaxAbs(float[] g) {
        int b = 0;
        for (int i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[b])) b = i;
        return b;
    }
}

final class RefTrainingOpsDot {
    static double dot(Tensor y, Tensor r) {
        double s = 0;
        for (int i = 0; i < y.data().length; i++) s += (double) y.data()[i] * r.data()[i];
        return s;
    }
}
