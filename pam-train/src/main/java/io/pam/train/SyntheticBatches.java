package io.pam.train;

import io.pam.net.Tensor;
import io.pam.train.data.Batch;
import io.pam.train.data.BatchSource;

/**
 * Simple procedural batches for smoke runs and tests of the trainer (not the project's data
 * pipeline): a soft ellipse of random colour, partly semi-transparent, over a smooth random
 * background; the trimap's unknown band covers the soft edge and the semi-transparent part.
 * Seeded and single-threaded: the same seed gives the same batches.
 */
public final class SyntheticBatches implements BatchSource {
    private final Rng rng;
    private final int batch, side;

    public SyntheticBatches(long seed, int batch, int side) {
        if (batch < 1 || side <= 0 || side % 32 != 0) throw new IllegalArgumentException("batch >= 1, side a multiple of 32");
        this.rng = new Rng(seed);
        this.batch = batch;
        this.side = side;
    }

    @Override
    public Batch next() {
        int s = side, plane = s * s;
        Tensor in = Tensor.zeros(batch, 6, s, s), alpha = Tensor.zeros(batch, 1, s, s);
        Tensor fg = Tensor.zeros(batch, 3, s, s), bg = Tensor.zeros(batch, 3, s, s);
        for (int n = 0; n < batch; n++) {
            double cx = s * (0.3 + 0.4 * rng.nextDouble()), cy = s * (0.3 + 0.4 * rng.nextDouble());
            double rx = s * (0.15 + 0.2 * rng.nextDouble()), ry = s * (0.15 + 0.2 * rng.nextDouble());
            double soft = 1 + 4 * rng.nextDouble(), band = soft + 2 + 3 * rng.nextDouble();
            double transparency = 0.3 + 0.5 * rng.nextDouble(), cut = cx + (rng.nextDouble() - 0.5) * rx;
            double[] f0 = {rng.nextDouble(), rng.nextDouble(), rng.nextDouble()}, f1 = {rng.nextDouble(), rng.nextDouble(), rng.nextDouble()};
            double[] b0 = {rng.nextDouble(), rng.nextDouble(), rng.nextDouble()}, b1 = {rng.nextDouble(), rng.nextDouble(), rng.nextDouble()};
            double freq = 2 + 4 * rng.nextDouble(), phase = 6.28 * rng.nextDouble();
            for (int y = 0; y < s; y++)
                for (int x = 0; x < s; x++) {
                    int i = y * s + x;
                    double dx = (x - cx) / rx, dy = (y - cy) / ry;
                    double sd = (Math.sqrt(dx * dx + dy * dy) - 1) * Math.min(rx, ry); // signed distance, pixels
                    double a = Math.min(Math.max(0.5 - sd / (2 * soft), 0), 1);
                    boolean semi = x > cut && a > 0;
                    if (semi) a *= transparency;
                    double t = (double) y / s, u = 0.5 + 0.5 * Math.sin(freq * x / s * 6.28 + phase);
                    for (int c = 0; c < 3; c++) {
                        double fc = f0[c] * (1 - t) + f1[c] * t, bc = b0[c] * (1 - u) + b1[c] * u;
                        fg.data()[fg.index(n, c, 0, 0) + i] = (float) fc;
                        bg.data()[bg.index(n, c, 0, 0) + i] = (float) bc;
                        in.data()[in.index(n, c, 0, 0) + i] = (float) (fc * a + bc * (1 - a));
                    }
                    alpha.data()[n * plane + i] = (float) a;
                    int tri = Math.abs(sd) < band || (semi && sd < band) ? 1 : sd < 0 ? 2 : 0;
                    in.data()[in.index(n, 3 + tri, 0, 0) + i] = 1f;
                }
        }
        return new Batch(in, alpha, fg, bg);
    }

    @Override
    public void close() {}
}
