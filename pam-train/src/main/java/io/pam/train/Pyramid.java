package io.pam.train;

import java.lang.ref.SoftReference;

/**
 * The Laplacian pyramid of the Laplacian loss, on one H x W plane in double, with its adjoint.
 * Level i: {@code l_i = c_i - U(c_{i+1})}, {@code c_{i+1} = D(G(c_i))}, G = Gaussian 5x5 with
 * reflect padding, D = keep even rows and columns, U = zero-insertion followed by 4 G.
 *
 * <p>Computed without forming the full-size intermediates: {@code D G} evaluates the blur only
 * at the kept (even) rows and columns, {@code G Z} skips the inserted zeros (a 3-tap filter at
 * even positions, 2-tap at odd ones), and the same for the adjoints {@code D G^T} and
 * {@code G^T Z}. Every output is accumulated over the same terms in the same order as the plain
 * "blur the whole plane, then subsample" evaluation (only additions of exact zeros are left
 * out), so the results equal it up to the sign of zero. Buffers live in a per-thread
 * {@link Workspace} reused across calls.
 */
final class Pyramid {
    private Pyramid() {}

    private static final double K0 = 1 / 16.0, K1 = 4 / 16.0, K2 = 6 / 16.0;
    private static final double[] K = {K0, K1, K2, K1, K0};

    /** Reflect index (PyTorch 'reflect': the edge sample is not repeated), any n. */
    static int reflect(int i, int n) {
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        i = Math.floorMod(i, period);
        return i >= n ? period - i : i;
    }

    /** Keeps even rows and columns: h x w -> h/2 x w/2. */
    static double[] down(double[] x, int h, int w) {
        int oh = h / 2, ow = w / 2;
        double[] y = new double[oh * ow];
        for (int r = 0; r < oh; r++) for (int c = 0; c < ow; c++) y[r * ow + c] = x[2 * r * w + 2 * c];
        return y;
    }

    /**
     * The 1-D blur along one axis of length n as a sparse matrix: output {@code o} is
     * {@code sum_t wt[t] * x[idx[t]]} over {@code t in [start[o], start[o+1])}, the terms in the
     * order the plain evaluation adds them (forward: by tap k; adjoint, a scatter there: by
     * source position, then k). Rows in {@code [lo, hi)} are the plain 5 taps
     * {@code o-2..o+2} with weights {@code K[0..4]} (also for the adjoint: K is symmetric).
     */
    private record Taps(int[] start, int[] idx, double[] wt, int lo, int hi) {
        static Taps of(int n, boolean adjoint) {
            int[] count = new int[n];
            for (int c = 0; c < n; c++) for (int k = 0; k < 5; k++) count[adjoint ? reflect(c + k - 2, n) : c]++;
            int[] start = new int[n + 1];
            for (int o = 0; o < n; o++) start[o + 1] = start[o] + count[o];
            int[] idx = new int[start[n]], fill = java.util.Arrays.copyOf(start, n);
            double[] wt = new double[start[n]];
            for (int c = 0; c < n; c++)
                for (int k = 0; k < 5; k++) {
                    int src = reflect(c + k - 2, n);
                    int o = adjoint ? src : c, in = adjoint ? c : src;
                    idx[fill[o]] = in;
                    wt[fill[o]++] = K[k];
                }
            int lo = n, hi = n;
            for (int o = 0; o < n; o++) {
                boolean plain = start[o + 1] - start[o] == 5;
                for (int t = 0; plain && t < 5; t++) plain = idx[start[o] + t] == o - 2 + t && wt[start[o] + t] == K[t];
                if (plain && lo == n) lo = o;
                if (!plain && lo < n && hi == n) hi = o;
            }
            return new Taps(start, idx, wt, lo, hi);
        }

        boolean plain(int o) {
            return o >= lo && o < hi;
        }
    }

    /** Buffers and filter tables for one plane size, reused across calls on one thread. */
    static final class Workspace {
        final int h, w, levels;
        /** c[i]: level i of the Gaussian pyramid (c[0] = the difference); reused for dc[i] going back. */
        final double[][] c;
        /** dl[i]: d(loss)/d(l_i). */
        final double[][] dl;
        final double[] tmp, back, row;
        final Taps[] fw, fh, aw, ah;

        Workspace(int h, int w, int levels) {
            this.h = h;
            this.w = w;
            this.levels = levels;
            c = new double[levels + 1][];
            dl = new double[levels][];
            fw = new Taps[levels];
            fh = new Taps[levels];
            aw = new Taps[levels];
            ah = new Taps[levels];
            for (int i = 0; i <= levels; i++) c[i] = new double[(h >> i) * (w >> i)];
            for (int i = 0; i < levels; i++) {
                dl[i] = new double[(h >> i) * (w >> i)];
                fw[i] = Taps.of(w >> i, false);
                fh[i] = Taps.of(h >> i, false);
                aw[i] = Taps.of(w >> i, true);
                ah[i] = Taps.of(h >> i, true);
            }
            tmp = new double[h * w / 2];
            back = new double[(h / 2) * (w / 2)];
            row = new double[w];
        }

        private static final ThreadLocal<SoftReference<Workspace>> CACHE = new ThreadLocal<>();

        /** This thread's workspace for the size (a new one when the size or level count differs). */
        static Workspace forThread(int h, int w, int levels) {
            SoftReference<Workspace> ref = CACHE.get();
            Workspace ws = ref == null ? null : ref.get();
            if (ws == null || ws.h != h || ws.w != w || ws.levels != levels) {
                ws = new Workspace(h, w, levels);
                CACHE.set(new SoftReference<>(ws));
            }
            return ws;
        }
    }

    /**
     * The masked pyramid loss of a difference plane {@code d = pred - gt} and its gradient.
     *
     * @param maskSums per-level normaliser (sum of the subsampled masks over the batch)
     * @param grad     receives d(loss)/d(d)
     */
    static double maskedLoss(double[] d, double[] mask, int h, int w, double[] maskSums, double[] grad) {
        checkEven(h, w, maskSums.length);
        Workspace ws = new Workspace(h, w, maskSums.length);
        System.arraycopy(d, 0, ws.c[0], 0, h * w);
        float[] m = new float[h * w];
        for (int i = 0; i < m.length; i++) {
            m[i] = (float) mask[i];
            if (m[i] != mask[i]) throw new IllegalArgumentException("mask values must be exact floats, got " + mask[i]);
        }
        double loss = maskedLoss(ws, m, 0, maskSums);
        System.arraycopy(ws.c[0], 0, grad, 0, h * w);
        return loss;
    }

    static void checkEven(int h, int w, int levels) {
        for (int i = 0; i < levels; i++)
            if ((h >> i) % 2 != 0 || (w >> i) % 2 != 0)
                throw new IllegalArgumentException("pyramid level " + i + " is odd: " + (h >> i) + "x" + (w >> i));
    }

    /**
     * The masked pyramid loss of the difference held in {@code ws.c[0]}; on return
     * {@code ws.c[0]} holds its gradient. The level-0 mask is {@code mask[maskOff ..]} (H x W);
     * level i's mask is its {@code [::2^i, ::2^i]} subsample.
     */
    static double maskedLoss(Workspace ws, float[] mask, int maskOff, double[] maskSums) {
        int levels = ws.levels, w0 = ws.w;
        double loss = 0;
        for (int i = 0; i < levels; i++) {
            int h = ws.h >> i, w = ws.w >> i;
            downBlur(ws.c[i], h, w, ws.fw[i], ws.fh[i], ws.tmp, ws.c[i + 1]);
            double wgt = (1 << i) / (maskSums[i] + Losses.EPS);
            double[] ci = ws.c[i], dli = ws.dl[i], row = ws.row;
            for (int r = 0; r < h; r++) {
                upBlurRow(ws.c[i + 1], h / 2, w / 2, ws.fw[i], ws.fh[i], ws.tmp, r, row);
                int mb = maskOff + (r << i) * w0, b = r * w;
                for (int x = 0; x < w; x++) {
                    double lap = ci[b + x] - 4 * row[x];
                    double m = mask[mb + (x << i)];
                    loss += wgt * m * Math.abs(lap);
                    dli[b + x] = wgt * m * Math.signum(lap);
                }
            }
        }
        double[] dNext = ws.c[levels];
        java.util.Arrays.fill(dNext, 0);
        for (int i = levels - 1; i >= 0; i--) {
            int h = ws.h >> i, w = ws.w >> i;
            // l_i = c_i - 4 G Z c_{i+1}:  dc_{i+1} -= 4 D G^T dl_i
            downBlur(ws.dl[i], h, w, ws.aw[i], ws.ah[i], ws.tmp, ws.back);
            for (int j = 0; j < dNext.length; j++) dNext[j] -= 4 * ws.back[j];
            // c_{i+1} = D G c_i:  dc_i = dl_i + G^T Z dc_{i+1}  (written over c_i, no longer needed)
            double[] dc = ws.c[i], dli = ws.dl[i], row = ws.row;
            for (int r = 0; r < h; r++) {
                upBlurRow(dNext, h / 2, w / 2, ws.aw[i], ws.ah[i], ws.tmp, r, row);
                int b = r * w;
                for (int x = 0; x < w; x++) dc[b + x] = dli[b + x] + row[x];
            }
            dNext = dc;
        }
        return loss;
    }

    /**
     * {@code y = D B x}: the separable blur B (taps {@code tw} along rows, {@code th} along
     * columns) of the h x w plane x, evaluated only at even rows and columns (h/2 x w/2).
     * Uses {@code tmp} (h x w/2) for the row pass.
     */
    private static void downBlur(double[] x, int h, int w, Taps tw, Taps th, double[] tmp, double[] y) {
        int ow = w / 2;
        for (int r = 0; r < h; r++) {
            int xb = r * w, tb = r * ow;
            for (int c = 0; c < ow; c++) {
                int o = 2 * c;
                if (tw.plain(o)) {
                    int j = xb + o;
                    tmp[tb + c] = K0 * x[j - 2] + K1 * x[j - 1] + K2 * x[j] + K1 * x[j + 1] + K0 * x[j + 2];
                } else {
                    double s = 0;
                    for (int t = tw.start[o]; t < tw.start[o + 1]; t++) s += tw.wt[t] * x[xb + tw.idx[t]];
                    tmp[tb + c] = s;
                }
            }
        }
        for (int r = 0; r < h / 2; r++) columnSum(th, 2 * r, tmp, ow, 1, y, r * ow);
    }

    /**
     * Row r (of 2h) of {@code B Z x}: the blur of the zero-insertion (2h x 2w) of the h x w plane
     * x, into {@code out} (2w). Only the taps on even (inserted-sample) positions contribute.
     * On r == 0 the row pass over all of x's rows is done into {@code tmp} (h x 2w) first.
     */
    private static void upBlurRow(double[] x, int h, int w, Taps tw, Taps th, double[] tmp, int r, double[] out) {
        int ow = 2 * w;
        if (r == 0) {
            for (int rr = 0; rr < h; rr++) {
                int xb = rr * w, tb = rr * ow;
                for (int o = 0; o < ow; o++) {
                    if (tw.plain(o)) {
                        int j = xb + (o >> 1);
                        tmp[tb + o] = (o & 1) == 0 ? K0 * x[j - 1] + K2 * x[j] + K0 * x[j + 1] : K1 * x[j] + K1 * x[j + 1];
                    } else {
                        double s = 0;
                        for (int t = tw.start[o]; t < tw.start[o + 1]; t++)
                            if ((tw.idx[t] & 1) == 0) s += tw.wt[t] * x[xb + (tw.idx[t] >> 1)];
                        tmp[tb + o] = s;
                    }
                }
            }
        }
        columnSum(th, r, tmp, ow, 2, out, 0);
    }

    /**
     * {@code y[yOff + x] = sum_t th.wt[t] * src[row(t) * width + x]} for x in [0, width), over
     * the taps of output row {@code o} whose source row is a multiple of {@code step}
     * ({@code row(t) = idx[t] / step}); terms in tap order.
     */
    private static void columnSum(Taps th, int o, double[] src, int width, int step, double[] y, int yOff) {
        int n = 0;
        int t0 = th.start[o], t1 = th.start[o + 1];
        // up to 5 contributing taps (all plain rows) in locals: one fused pass over the row
        int a = -1, b = -1, c = -1, d = -1, e = -1;
        double wa = 0, wb = 0, wc = 0, wd = 0, we = 0;
        for (int t = t0; t < t1; t++) {
            if (th.idx[t] % step != 0) continue;
            int rb = th.idx[t] / step * width;
            double wt = th.wt[t];
            switch (n) {
                case 0 -> { a = rb; wa = wt; }
                case 1 -> { b = rb; wb = wt; }
                case 2 -> { c = rb; wc = wt; }
                case 3 -> { d = rb; wd = wt; }
                case 4 -> { e = rb; we = wt; }
                default -> { }
            }
            n++;
        }
        switch (n) {
            case 5 -> {
                for (int x = 0; x < width; x++) y[yOff + x] = wa * src[a + x] + wb * src[b + x] + wc * src[c + x] + wd * src[d + x] + we * src[e + x];
                return;
            }
            case 4 -> {
                for (int x = 0; x < width; x++) y[yOff + x] = wa * src[a + x] + wb * src[b + x] + wc * src[c + x] + wd * src[d + x];
                return;
            }
            case 3 -> {
                for (int x = 0; x < width; x++) y[yOff + x] = wa * src[a + x] + wb * src[b + x] + wc * src[c + x];
                return;
            }
            case 2 -> {
                for (int x = 0; x < width; x++) y[yOff + x] = wa * src[a + x] + wb * src[b + x];
                return;
            }
            default -> {}
        }
        java.util.Arrays.fill(y, yOff, yOff + width, 0);
        for (int t = t0; t < t1; t++) {
            if (th.idx[t] % step != 0) continue;
            int rb = th.idx[t] / step * width;
            double wt = th.wt[t];
            for (int x = 0; x < width; x++) y[yOff + x] += wt * src[rb + x];
        }
    }
}
