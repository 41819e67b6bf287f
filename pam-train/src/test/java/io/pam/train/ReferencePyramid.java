package io.pam.train;

/**
 * The first (straightforward) implementation of {@link Pyramid}, kept as the reference the
 * optimised one is tested against.
 *
 * <p>The Laplacian pyramid of the Laplacian loss, on one H x W plane in double, with its adjoint.
 * Level i: {@code l_i = c_i - U(c_{i+1})}, {@code c_{i+1} = D(G(c_i))}, G = Gaussian 5x5 with
 * reflect padding, D = keep even rows and columns, U = zero-insertion followed by 4 G.
 */
final class ReferencePyramid {
    private ReferencePyramid() {}

    private static final double[] K = {1 / 16.0, 4 / 16.0, 6 / 16.0, 4 / 16.0, 1 / 16.0};

    /** Reflect index (PyTorch 'reflect': the edge sample is not repeated), any n. */
    static int reflect(int i, int n) {
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        i = Math.floorMod(i, period);
        return i >= n ? period - i : i;
    }

    /** Separable Gaussian blur; {@code transpose} applies the adjoint (scatter). */
    static double[] gauss(double[] x, int h, int w, boolean transpose) {
        double[] t = new double[h * w], y = new double[h * w];
        for (int r = 0; r < h; r++)
            for (int c = 0; c < w; c++)
                for (int k = 0; k < 5; k++) {
                    int src = reflect(c + k - 2, w);
                    if (transpose) t[r * w + src] += K[k] * x[r * w + c];
                    else t[r * w + c] += K[k] * x[r * w + src];
                }
        for (int r = 0; r < h; r++)
            for (int k = 0; k < 5; k++) {
                int src = reflect(r + k - 2, h);
                for (int c = 0; c < w; c++) {
                    if (transpose) y[src * w + c] += K[k] * t[r * w + c];
                    else y[r * w + c] += K[k] * t[src * w + c];
                }
            }
        return y;
    }

    /** Keeps even rows and columns: h x w -> h/2 x w/2. */
    static double[] down(double[] x, int h, int w) {
        int oh = h / 2, ow = w / 2;
        double[] y = new double[oh * ow];
        for (int r = 0; r < oh; r++) for (int c = 0; c < ow; c++) y[r * ow + c] = x[2 * r * w + 2 * c];
        return y;
    }

    /** Zero insertion h x w -> 2h x 2w (the adjoint of {@link #down}). */
    static double[] zeroInsert(double[] x, int h, int w) {
        double[] y = new double[4 * h * w];
        for (int r = 0; r < h; r++) for (int c = 0; c < w; c++) y[2 * r * 2 * w + 2 * c] = x[r * w + c];
        return y;
    }

    /**
     * The masked pyramid loss of a difference plane {@code d = pred - gt} and its gradient.
     *
     * @param maskSums per-level normaliser (sum of the subsampled masks over the batch)
     * @param grad     receives d(loss)/d(d)
     */
    static double maskedLoss(double[] d, double[] mask, int h, int w, double[] maskSums, double[] grad) {
        int levels = maskSums.length;
        double[][] c = new double[levels + 1][], lap = new double[levels][], m = new double[levels][];
        int[] hs = new int[levels + 1], ws = new int[levels + 1];
        c[0] = d;
        m[0] = mask;
        hs[0] = h;
        ws[0] = w;
        double loss = 0;
        double[][] dl = new double[levels][];
        for (int i = 0; i < levels; i++) {
            if (hs[i] % 2 != 0 || ws[i] % 2 != 0) throw new IllegalArgumentException("pyramid level " + i + " is odd: " + hs[i] + "x" + ws[i]);
            hs[i + 1] = hs[i] / 2;
            ws[i + 1] = ws[i] / 2;
            c[i + 1] = down(gauss(c[i], hs[i], ws[i], false), hs[i], ws[i]);
            double[] up = gauss(zeroInsert(c[i + 1], hs[i + 1], ws[i + 1]), hs[i], ws[i], false);
            lap[i] = new double[c[i].length];
            dl[i] = new double[c[i].length];
            double wgt = (1 << i) / (maskSums[i] + Losses.EPS);
            for (int j = 0; j < lap[i].length; j++) {
                lap[i][j] = c[i][j] - 4 * up[j];
                loss += wgt * m[i][j] * Math.abs(lap[i][j]);
                dl[i][j] = wgt * m[i][j] * Math.signum(lap[i][j]);
            }
            if (i + 1 < levels) m[i + 1] = down(m[i], hs[i], ws[i]);
        }
        double[] dNext = new double[c[levels].length];
        for (int i = levels - 1; i >= 0; i--) {
            // l_i = c_i - 4 G Z c_{i+1}:  dc_{i+1} -= 4 D G^T dl_i
            double[] back = down(gauss(dl[i], hs[i], ws[i], true), hs[i], ws[i]);
            for (int j = 0; j < dNext.length; j++) dNext[j] -= 4 * back[j];
            // c_{i+1} = D G c_i:  dc_i = dl_i + G^T Z dc_{i+1}
            double[] prop = gauss(zeroInsert(dNext, hs[i + 1], ws[i + 1]), hs[i], ws[i], true);
            double[] dc = new double[c[i].length];
            for (int j = 0; j < dc.length; j++) dc[j] = dl[i][j] + prop[j];
            dNext = dc;
        }
        System.arraycopy(dNext, 0, grad, 0, grad.length);
        return loss;
    }
}
