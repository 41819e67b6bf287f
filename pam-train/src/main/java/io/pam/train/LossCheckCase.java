package io.pam.train;

import io.pam.net.Tensor;
import io.pam.train.data.Batch;
import java.util.Random;

/**
 * A case for comparing an implementation of the matting losses with {@link Losses} (the
 * definition): a procedural batch, a prediction that is its ground truth plus noise (sd 0.1) and a
 * teacher closer to it (sd 0.05), both clamped to [0, 1], so every loss term is non-trivial. Used
 * by {@code TrainingCheck}, pam-cuda's device-loss tests and the kernels' host emulation.
 *
 * @param n    batch size
 * @param side crop side (a multiple of 32)
 */
public record LossCheckCase(Batch batch, Tensor alpha, Tensor teacher) {
    /** The case of this size (seeded by the size, the same every time). */
    public static LossCheckCase of(int n, int side) {
        Batch b = new SyntheticBatches(5 + side, n, side).next();
        Random r = new Random(side);
        Tensor alpha = Tensor.zeros(n, 1, side, side), teacher = Tensor.zeros(n, 1, side, side);
        for (int i = 0; i < alpha.data().length; i++) {
            alpha.data()[i] = Math.min(1, Math.max(0, b.alpha().data()[i] + (float) (0.1 * r.nextGaussian())));
            teacher.data()[i] = Math.min(1, Math.max(0, b.alpha().data()[i] + (float) (0.05 * r.nextGaussian())));
        }
        return new LossCheckCase(b, alpha, teacher);
    }

    /** {@code max |got - want| / max |want|}: a gradient's error against the definition's. */
    public static double gradientError(float[] got, float[] want) {
        double e = 0, scale = 1e-30;
        for (int i = 0; i < want.length; i++) {
            e = Math.max(e, Math.abs(got[i] - want[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        return e / scale;
    }

    /** The worst relative difference of the four loss values (L1, composition, Laplacian, distillation). */
    public static double valueError(double[] got, double[] want) {
        double worst = 0;
        for (int i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), 1e-30));
        return worst;
    }

    /** {@code a - b}, elementwise (the gradient of one term: weight 1 minus weight 0). */
    public static float[] minus(float[] a, float[] b) {
        float[] d = new float[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i] - b[i];
        return d;
    }
}
