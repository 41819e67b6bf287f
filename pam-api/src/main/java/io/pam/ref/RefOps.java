package io.pam.ref;

import io.pam.net.Activation;
import io.pam.net.Op;
import io.pam.net.Tensor;

/**
 * Plain-Java reference implementations of every op in the network description: naive loops
 * written for clarity, the oracle that backend parity tests compare against. Slow by design;
 * never used on a hot path.
 */
public final class RefOps {
    private RefOps() {}

    /** Convolution with optional bias (may be null), no norm, no activation. */
    public static Tensor conv(Tensor x, Op.Conv c, float[] weight, float[] bias) {
        if (x.c() != c.inC()) throw new IllegalArgumentException("conv expects " + c.inC() + " channels, got " + x.c());
        int oh = c.outSize(x.h()), ow = c.outSize(x.w());
        Tensor y = Tensor.zeros(x.n(), c.outC(), oh, ow);
        int cinG = c.inC() / c.groups(), coutG = c.outC() / c.groups(), k = c.kernel(), s = c.stride(), p = c.pad();
        for (int n = 0; n < x.n(); n++) {
            for (int o = 0; o < c.outC(); o++) {
                int g = o / coutG;
                int yBase = y.index(n, o, 0, 0);
                float b = bias == null ? 0f : bias[o];
                for (int i = 0; i < oh * ow; i++) y.data()[yBase + i] = b;
                for (int ci = 0; ci < cinG; ci++) {
                    int xBase = x.index(n, g * cinG + ci, 0, 0);
                    for (int ky = 0; ky < k; ky++) {
                        for (int kx = 0; kx < k; kx++) {
                            float wv = weight[((o * cinG + ci) * k + ky) * k + kx];
                            for (int oy = 0; oy < oh; oy++) {
                                int iy = oy * s - p + ky;
                                if (iy < 0 || iy >= x.h()) continue;
                                int row = xBase + iy * x.w();
                                int out = yBase + oy * ow;
                                for (int ox = 0; ox < ow; ox++) {
                                    int ix = ox * s - p + kx;
                                    if (ix >= 0 && ix < x.w()) y.data()[out + ox] += wv * x.data()[row + ix];
                                }
                            }
                        }
                    }
                }
            }
        }
        return y;
    }

    /** BatchNorm with fixed statistics: {@code gamma * (x - mean) / sqrt(var + eps) + beta}. */
    public static Tensor batchNorm(Tensor x, float[] gamma, float[] beta, float[] mean, float[] var, float eps) {
        float[] out = new float[x.data().length];
        int plane = x.plane();
        for (int n = 0; n < x.n(); n++) {
            for (int c = 0; c < x.c(); c++) {
                double inv = 1.0 / Math.sqrt(var[c] + eps);
                int base = x.index(n, c, 0, 0);
                for (int i = 0; i < plane; i++)
                    out[base + i] = (float) (gamma[c] * (x.data()[base + i] - mean[c]) * inv + beta[c]);
            }
        }
        return new Tensor(x.n(), x.c(), x.h(), x.w(), out);
    }

    public static Tensor activation(Tensor x, Activation a) {
        if (a == Activation.NONE) return x;
        float[] out = new float[x.data().length];
        for (int i = 0; i < out.length; i++) {
            float v = x.data()[i];
            out[i] = a == Activation.RELU ? Math.max(v, 0f) : (float) (1.0 / (1.0 + Math.exp(-v)));
        }
        return new Tensor(x.n(), x.c(), x.h(), x.w(), out);
    }

    public static Tensor add(Tensor a, Tensor b) {
        if (!a.shape().equals(b.shape()) || a.n() != b.n()) throw new IllegalArgumentException("add: " + a + " vs " + b);
        float[] out = new float[a.data().length];
        for (int i = 0; i < out.length; i++) out[i] = a.data()[i] + b.data()[i];
        return new Tensor(a.n(), a.c(), a.h(), a.w(), out);
    }

    public static Tensor concat(Tensor... parts) {
        int c = 0;
        for (Tensor t : parts) {
            if (t.h() != parts[0].h() || t.w() != parts[0].w() || t.n() != parts[0].n())
                throw new IllegalArgumentException("concat: " + t + " vs " + parts[0]);
            c += t.c();
        }
        Tensor y = Tensor.zeros(parts[0].n(), c, parts[0].h(), parts[0].w());
        for (int n = 0; n < y.n(); n++) {
            int off = 0;
            for (Tensor t : parts) {
                System.arraycopy(t.data(), t.index(n, 0, 0, 0), y.data(), y.index(n, off, 0, 0), t.c() * t.plane());
                off += t.c();
            }
        }
        return y;
    }

    /** Source coordinate and weights for half-pixel bilinear sampling of one axis. */
    static int[] bilinearIndex(int in, int out, float[] lambda) {
        int[] idx = new int[out * 2];
        double scale = (double) in / out;
        for (int d = 0; d < out; d++) {
            double src = Math.max((d + 0.5) * scale - 0.5, 0.0);
            int i0 = Math.min((int) src, in - 1);
            int i1 = Math.min(i0 + 1, in - 1);
            lambda[d] = (float) (src - i0);
            idx[2 * d] = i0;
            idx[2 * d + 1] = i1;
        }
        return idx;
    }

    /** Bilinear resize, half-pixel centres (PyTorch align_corners=False). */
    public static Tensor resize(Tensor x, int oh, int ow) {
        float[] ly = new float[oh], lx = new float[ow];
        int[] iy = bilinearIndex(x.h(), oh, ly), ix = bilinearIndex(x.w(), ow, lx);
        Tensor y = Tensor.zeros(x.n(), x.c(), oh, ow);
        for (int n = 0; n < x.n(); n++) {
            for (int c = 0; c < x.c(); c++) {
                int xb = x.index(n, c, 0, 0), yb = y.index(n, c, 0, 0);
                for (int r = 0; r < oh; r++) {
                    int r0 = xb + iy[2 * r] * x.w(), r1 = xb + iy[2 * r + 1] * x.w();
                    float wy = ly[r];
                    for (int q = 0; q < ow; q++) {
                        int c0 = ix[2 * q], c1 = ix[2 * q + 1];
                        float wx = lx[q];
                        float top = x.data()[r0 + c0] * (1 - wx) + x.data()[r0 + c1] * wx;
                        float bot = x.data()[r1 + c0] * (1 - wx) + x.data()[r1 + c1] * wx;
                        y.data()[yb + r * ow + q] = top * (1 - wy) + bot * wy;
                    }
                }
            }
        }
        return y;
    }

    /** Windowed average pool, padding excluded; global average when the window does not fit. */
    public static Tensor avgPool(Tensor x, Op.AvgPool p) {
        if (!p.fits(x.h(), x.w())) return globalAvgPool(x);
        int oh = p.outSize(x.h()), ow = p.outSize(x.w()), s = p.stride(), pad = p.pad(), k = p.window();
        Tensor y = Tensor.zeros(x.n(), x.c(), oh, ow);
        for (int n = 0; n < x.n(); n++) {
            for (int c = 0; c < x.c(); c++) {
                int xb = x.index(n, c, 0, 0), yb = y.index(n, c, 0, 0);
                for (int oy = 0; oy < oh; oy++) {
                    int y0 = Math.max(oy * s - pad, 0), y1 = Math.min(oy * s - pad + k, x.h());
                    for (int ox = 0; ox < ow; ox++) {
                        int x0 = Math.max(ox * s - pad, 0), x1 = Math.min(ox * s - pad + k, x.w());
                        double sum = 0;
                        for (int yy = y0; yy < y1; yy++) for (int xx = x0; xx < x1; xx++) sum += x.data()[xb + yy * x.w() + xx];
                        y.data()[yb + oy * ow + ox] = (float) (sum / ((y1 - y0) * (x1 - x0)));
                    }
                }
            }
        }
        return y;
    }

    public static Tensor globalAvgPool(Tensor x) {
        Tensor y = Tensor.zeros(x.n(), x.c(), 1, 1);
        for (int n = 0; n < x.n(); n++) {
            for (int c = 0; c < x.c(); c++) {
                double sum = 0;
                int b = x.index(n, c, 0, 0);
                for (int i = 0; i < x.plane(); i++) sum += x.data()[b + i];
                y.data()[n * x.c() + c] = (float) (sum / x.plane());
            }
        }
        return y;
    }

    public static Tensor channelMul(Tensor x, Tensor g) {
        if (g.c() != x.c() || g.h() != 1 || g.w() != 1) throw new IllegalArgumentException("channelMul: " + x + " by " + g);
        float[] out = new float[x.data().length];
        for (int n = 0; n < x.n(); n++) {
            for (int c = 0; c < x.c(); c++) {
                float s = g.data()[n * x.c() + c];
                int b = x.index(n, c, 0, 0);
                for (int i = 0; i < x.plane(); i++) out[b + i] = x.data()[b + i] * s;
            }
        }
        return new Tensor(x.n(), x.c(), x.h(), x.w(), out);
    }

    /** One row of a cost-embedding table, as an N x dim x 1 x 1 tensor (same row per sample). */
    public static Tensor embedding(float[] table, Op.CostEmbedding e, int n, double budget) {
        int row = e.row(budget);
        float[] out = new float[n * e.dim()];
        for (int i = 0; i < n; i++) System.arraycopy(table, row * e.dim(), out, i * e.dim(), e.dim());
        return new Tensor(n, e.dim(), 1, 1, out);
    }

    /** {@code clamp(pred, 0, 1) * unknown + foreground}, input channels 4 and 5. */
    public static Tensor composite(Tensor pred, Tensor input) {
        Tensor y = Tensor.zeros(pred.n(), 1, pred.h(), pred.w());
        for (int n = 0; n < pred.n(); n++) {
            int pb = pred.index(n, 0, 0, 0), ub = input.index(n, 4, 0, 0), fb = input.index(n, 5, 0, 0);
            for (int i = 0; i < pred.plane(); i++) {
                float a = Math.min(Math.max(pred.data()[pb + i], 0f), 1f);
                y.data()[pb + i] = a * input.data()[ub + i] + input.data()[fb + i];
            }
        }
        return y;
    }
}
