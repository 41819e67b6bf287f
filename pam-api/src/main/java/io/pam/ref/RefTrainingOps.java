package io.pam.ref;

import io.pam.net.Activation;
import io.pam.net.Op;
import io.pam.net.Tensor;
import io.pam.spi.TrainingOps;
import java.util.ArrayList;
import java.util.List;

/**
 * Plain-Java training kernels: naive loops that accumulate in double and round once, written for
 * clarity. The oracle for gradient checks and for the parity tests of faster implementations
 * (which may extend this class and override what they accelerate).
 */
public class RefTrainingOps implements TrainingOps<Tensor, float[]> {

    @Override
    public String name() {
        return "reference";
    }

    static void checkConvInput(Tensor x, Op.Conv c) {
        if (x.c() != c.inC())
            throw new IllegalArgumentException("conv expects " + c.inC() + " input channels, got " + x);
        if (c.outSize(x.h()) <= 0 || c.outSize(x.w()) <= 0)
            throw new IllegalArgumentException("conv " + c + " gives an empty output for " + x);
    }

    @Override
    public Tensor conv(Tensor x, Op.Conv c, float[] w, float[] b) {
        checkConvInput(x, c);
        int oh = c.outSize(x.h()), ow = c.outSize(x.w()), ih = x.h(), iw = x.w();
        int cinG = c.inC() / c.groups(), coutG = c.outC() / c.groups(), k = c.kernel(), s = c.stride(), p = c.pad();
        Tensor y = Tensor.zeros(x.n(), c.outC(), oh, ow);
        float[] xd = x.data();
        double[] acc = new double[oh * ow];
        for (int n = 0; n < x.n(); n++)
            for (int o = 0; o < c.outC(); o++) {
                int g = o / coutG;
                java.util.Arrays.fill(acc, b == null ? 0 : b[o]);
                for (int ci = 0; ci < cinG; ci++) {
                    int xb = x.index(n, g * cinG + ci, 0, 0);
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            double wv = w[((o * cinG + ci) * k + ky) * k + kx];
                            for (int oy = 0; oy < oh; oy++) {
                                int iy = oy * s - p + ky;
                                if (iy < 0 || iy >= ih) continue;
                                int row = xb + iy * iw, out = oy * ow;
                                for (int ox = 0; ox < ow; ox++) {
                                    int ix = ox * s - p + kx;
                                    if (ix >= 0 && ix < iw) acc[out + ox] += wv * xd[row + ix];
                                }
                            }
                        }
                }
                int yb = y.index(n, o, 0, 0);
                for (int i = 0; i < acc.length; i++) y.data()[yb + i] = (float) acc[i];
            }
        return y;
    }

    @Override
    public ConvGrads<Tensor, float[]> convBackward(Tensor x, Op.Conv c, float[] w, Tensor dy, boolean needDx) {
        checkConvInput(x, c);
        int oh = c.outSize(x.h()), ow = c.outSize(x.w()), ih = x.h(), iw = x.w();
        if (dy.c() != c.outC() || dy.h() != oh || dy.w() != ow || dy.n() != x.n())
            throw new IllegalArgumentException("conv gradient " + dy + " does not match the output of " + c + " on " + x);
        int cinG = c.inC() / c.groups(), coutG = c.outC() / c.groups(), k = c.kernel(), s = c.stride(), p = c.pad();
        double[] dx = needDx ? new double[x.data().length] : null;
        double[] dw = new double[w.length];
        double[] db = new double[c.outC()];
        float[] xd = x.data(), g = dy.data();
        for (int n = 0; n < x.n(); n++)
            for (int o = 0; o < c.outC(); o++) {
                int grp = o / coutG, yb = dy.index(n, o, 0, 0);
                for (int i = 0; i < oh * ow; i++) db[o] += g[yb + i];
                for (int ci = 0; ci < cinG; ci++) {
                    int xb = x.index(n, grp * cinG + ci, 0, 0);
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int wi = ((o * cinG + ci) * k + ky) * k + kx;
                            double wv = w[wi], sum = 0;
                            for (int oy = 0; oy < oh; oy++) {
                                int iy = oy * s - p + ky;
                                if (iy < 0 || iy >= ih) continue;
                                int row = xb + iy * iw, out = yb + oy * ow;
                                for (int ox = 0; ox < ow; ox++) {
                                    int ix = ox * s - p + kx;
                                    if (ix < 0 || ix >= iw) continue;
                                    double d = g[out + ox];
                                    sum += d * xd[row + ix];
                                    if (dx != null) dx[row + ix] += d * wv;
                                }
                            }
                            dw[wi] += sum;
                        }
                }
            }
        return new ConvGrads<>(dx == null ? null : new Tensor(x.n(), x.c(), x.h(), x.w(), toFloat(dx)), toFloat(dw), toFloat(db));
    }

    static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    @Override
    public BatchNormResult<Tensor, float[]> batchNormTrain(Tensor x, float[] gamma, float[] beta, float[] runningMean, float[] runningVar,
                                          float momentum, float eps) {
        int C = x.c(), plane = x.plane();
        long m = (long) x.n() * plane;
        float[] mean = new float[C], invStd = new float[C];
        float[] out = new float[x.data().length];
        for (int c = 0; c < C; c++) {
            double sum = 0, sq = 0;
            for (int n = 0; n < x.n(); n++) {
                int b = x.index(n, c, 0, 0);
                for (int i = 0; i < plane; i++) sum += x.data()[b + i];
            }
            double mu = sum / m;
            for (int n = 0; n < x.n(); n++) {
                int b = x.index(n, c, 0, 0);
                for (int i = 0; i < plane; i++) {
                    double d = x.data()[b + i] - mu;
                    sq += d * d;
                }
            }
            double var = sq / m, inv = 1.0 / Math.sqrt(var + eps);
            mean[c] = (float) mu;
            invStd[c] = (float) inv;
            for (int n = 0; n < x.n(); n++) {
                int b = x.index(n, c, 0, 0);
                for (int i = 0; i < plane; i++) out[b + i] = (float) (gamma[c] * (x.data()[b + i] - mu) * inv + beta[c]);
            }
            if (runningMean != null) {
                runningMean[c] = (float) ((1 - momentum) * runningMean[c] + momentum * mu);
                double unbiased = m > 1 ? var * m / (m - 1) : var;
                runningVar[c] = (float) ((1 - momentum) * runningVar[c] + momentum * unbiased);
            }
        }
        return new BatchNormResult<>(new Tensor(x.n(), C, x.h(), x.w(), out), mean, invStd);
    }

    @Override
    public BatchNormGrads<Tensor, float[]> batchNormBackward(Tensor x, float[] mean, float[] invStd, float[] gamma, Tensor dy) {
        int C = x.c(), plane = x.plane();
        double m = (double) x.n() * plane;
        float[] dGamma = new float[C], dBeta = new float[C];
        float[] dx = new float[x.data().length];
        for (int c = 0; c < C; c++) {
            double sb = 0, sg = 0;
            for (int n = 0; n < x.n(); n++) {
                int b = x.index(n, c, 0, 0);
                for (int i = 0; i < plane; i++) {
                    double d = dy.data()[b + i];
                    sb += d;
                    sg += d * (x.data()[b + i] - mean[c]) * invStd[c];
                }
            }
            dBeta[c] = (float) sb;
            dGamma[c] = (float) sg;
            double scale = gamma[c] * invStd[c] / m;
            for (int n = 0; n < x.n(); n++) {
                int b = x.index(n, c, 0, 0);
                for (int i = 0; i < plane; i++) {
                    double xhat = (x.data()[b + i] - mean[c]) * invStd[c];
                    dx[b + i] = (float) (scale * (m * dy.data()[b + i] - sb - xhat * sg));
                }
            }
        }
        return new BatchNormGrads<>(new Tensor(x.n(), C, x.h(), x.w(), dx), dGamma, dBeta);
    }

    @Override
    public Tensor batchNormEval(Tensor x, float[] gamma, float[] beta, float[] mean, float[] var, float eps) {
        return RefOps.batchNorm(x, gamma, beta, mean, var, eps);
    }

    @Override
    public Tensor activation(Tensor x, Activation a) {
        return RefOps.activation(x, a);
    }

    @Override
    public Tensor activationBackward(Tensor y, Activation a, Tensor dy) {
        if (a == Activation.NONE) return dy;
        float[] out = new float[dy.data().length];
        for (int i = 0; i < out.length; i++) {
            float v = y.data()[i];
            out[i] = a == Activation.RELU ? (v > 0 ? dy.data()[i] : 0f) : dy.data()[i] * v * (1 - v);
        }
        return new Tensor(dy.n(), dy.c(), dy.h(), dy.w(), out);
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        return RefOps.add(a, b);
    }

    @Override
    public void accumulate(Tensor into, Tensor g) {
        if (into.data().length != g.data().length || !into.shape().equals(g.shape()))
            throw new IllegalArgumentException("accumulate: " + into + " += " + g);
        float[] a = into.data(), b = g.data();
        for (int i = 0; i < a.length; i++) a[i] += b[i];
    }

    @Override
    public Tensor channelMul(Tensor x, Tensor g) {
        return RefOps.channelMul(x, g);
    }

    @Override
    public List<Tensor> channelMulBackward(Tensor x, Tensor g, Tensor dy) {
        Tensor dx = RefOps.channelMul(dy, g);
        float[] dg = new float[g.data().length];
        for (int n = 0; n < x.n(); n++)
            for (int c = 0; c < x.c(); c++) {
                int b = x.index(n, c, 0, 0);
                double s = 0;
                for (int i = 0; i < x.plane(); i++) s += (double) dy.data()[b + i] * x.data()[b + i];
                dg[n * x.c() + c] = (float) s;
            }
        return List.of(dx, new Tensor(g.n(), g.c(), 1, 1, dg));
    }

    @Override
    public Tensor concat(List<Tensor> parts) {
        return RefOps.concat(parts.toArray(Tensor[]::new));
    }

    @Override
    public List<Tensor> split(Tensor x, int[] channels) {
        int total = 0;
        for (int c : channels) total += c;
        if (total != x.c()) throw new IllegalArgumentException("split " + x + " into " + java.util.Arrays.toString(channels));
        List<Tensor> out = new ArrayList<>();
        int off = 0;
        for (int c : channels) {
            Tensor t = Tensor.zeros(x.n(), c, x.h(), x.w());
            for (int n = 0; n < x.n(); n++)
                System.arraycopy(x.data(), x.index(n, off, 0, 0), t.data(), t.index(n, 0, 0, 0), c * x.plane());
            out.add(t);
            off += c;
        }
        return out;
    }

    @Override
    public Tensor resize(Tensor x, int outH, int outW) {
        return RefOps.resize(x, outH, outW);
    }

    @Override
    public Tensor resizeBackward(Tensor dy, int inH, int inW) {
        int oh = dy.h(), ow = dy.w();
        float[] ly = new float[oh], lx = new float[ow];
        int[] iy = RefOps.bilinearIndex(inH, oh, ly), ix = RefOps.bilinearIndex(inW, ow, lx);
        double[] dx = new double[dy.n() * dy.c() * inH * inW];
        for (int nc = 0; nc < dy.n() * dy.c(); nc++) {
            int xb = nc * inH * inW, yb = nc * oh * ow;
            for (int r = 0; r < oh; r++) {
                int r0 = xb + iy[2 * r] * inW, r1 = xb + iy[2 * r + 1] * inW;
                double wy = ly[r];
                for (int q = 0; q < ow; q++) {
                    double g = dy.data()[yb + r * ow + q], wx = lx[q];
                    int c0 = ix[2 * q], c1 = ix[2 * q + 1];
                    dx[r0 + c0] += g * (1 - wy) * (1 - wx);
                    dx[r0 + c1] += g * (1 - wy) * wx;
                    dx[r1 + c0] += g * wy * (1 - wx);
                    dx[r1 + c1] += g * wy * wx;
                }
            }
        }
        return new Tensor(dy.n(), dy.c(), inH, inW, toFloat(dx));
    }

    @Override
    public Tensor avgPool(Tensor x, Op.AvgPool p) {
        return RefOps.avgPool(x, p);
    }

    @Override
    public Tensor avgPoolBackward(Tensor dy, Op.AvgPool p, int inH, int inW) {
        if (!p.fits(inH, inW)) return globalAvgPoolBackward(dy, inH, inW);
        int oh = p.outSize(inH), ow = p.outSize(inW), s = p.stride(), pad = p.pad(), k = p.window();
        if (dy.h() != oh || dy.w() != ow) throw new IllegalArgumentException("avgPool gradient " + dy + " for input " + inH + "x" + inW);
        double[] dx = new double[dy.n() * dy.c() * inH * inW];
        for (int nc = 0; nc < dy.n() * dy.c(); nc++) {
            int xb = nc * inH * inW, yb = nc * oh * ow;
            for (int oy = 0; oy < oh; oy++) {
                int y0 = Math.max(oy * s - pad, 0), y1 = Math.min(oy * s - pad + k, inH);
                for (int ox = 0; ox < ow; ox++) {
                    int x0 = Math.max(ox * s - pad, 0), x1 = Math.min(ox * s - pad + k, inW);
                    double g = dy.data()[yb + oy * ow + ox] / ((y1 - y0) * (x1 - x0));
                    for (int yy = y0; yy < y1; yy++) for (int xx = x0; xx < x1; xx++) dx[xb + yy * inW + xx] += g;
                }
            }
        }
        return new Tensor(dy.n(), dy.c(), inH, inW, toFloat(dx));
    }

    @Override
    public Tensor globalAvgPool(Tensor x) {
        return RefOps.globalAvgPool(x);
    }

    @Override
    public Tensor globalAvgPoolBackward(Tensor dy, int inH, int inW) {
        if (dy.h() != 1 || dy.w() != 1) throw new IllegalArgumentException("global pool gradient must be N x C x 1 x 1, got " + dy);
        Tensor dx = Tensor.zeros(dy.n(), dy.c(), inH, inW);
        int plane = inH * inW;
        for (int nc = 0; nc < dy.n() * dy.c(); nc++) {
            float g = dy.data()[nc] / plane;
            java.util.Arrays.fill(dx.data(), nc * plane, (nc + 1) * plane, g);
        }
        return dx;
    }

    @Override
    public Tensor embedding(float[] table, Op.CostEmbedding e, int n, double budget) {
        return RefOps.embedding(table, e, n, budget);
    }

    @Override
    public float[] embeddingBackward(Tensor dy, Op.CostEmbedding e, double budget) {
        float[] g = new float[e.rows() * e.dim()];
        int row = e.row(budget);
        for (int n = 0; n < dy.n(); n++)
            for (int d = 0; d < e.dim(); d++) g[row * e.dim() + d] += dy.data()[n * e.dim() + d];
        return g;
    }

    @Override
    public Tensor composite(Tensor pred, Tensor input) {
        return RefOps.composite(pred, input);
    }

    @Override
    public Tensor compositeBackward(Tensor pred, Tensor input, Tensor dy) {
        Tensor d = Tensor.zeros(pred.n(), 1, pred.h(), pred.w());
        for (int n = 0; n < pred.n(); n++) {
            int pb = pred.index(n, 0, 0, 0), ub = input.index(n, 4, 0, 0);
            for (int i = 0; i < pred.plane(); i++) {
                float v = pred.data()[pb + i], g = dy.data()[pb + i];
                boolean passes = v > 0f && v < 1f || v <= 0f && g < 0f || v >= 1f && g > 0f;
                d.data()[pb + i] = passes ? g * input.data()[ub + i] : 0f;
            }
        }
        return d;
    }

    // ---- host memory: data and parameters stay where they are -----------------------------

    @Override
    public Tensor upload(Tensor t) {
        return t;
    }

    @Override
    public Tensor download(Tensor t) {
        return t;
    }

    @Override
    public float[] fromHost(float[] values) {
        return values.clone();
    }

    @Override
    public float[] toHost(float[] p) {
        return p.clone();
    }

    @Override
    public void write(float[] p, float[] values) {
        if (p.length != values.length) throw new IllegalArgumentException("write: " + values.length + " values into a vector of " + p.length);
        System.arraycopy(values, 0, p, 0, p.length);
    }

    @Override
    public float[] zeros(int length) {
        return new float[length];
    }

    @Override
    public int length(float[] p) {
        return p.length;
    }

    @Override
    public void release(float[] p) {}

    @Override
    public void accumulateParam(float[] into, float[] g) {
        if (into.length != g.length) throw new IllegalArgumentException("accumulate: " + g.length + " values into " + into.length);
        for (int i = 0; i < into.length; i++) into[i] += g[i];
    }

    @Override
    public void scaleParam(float[] p, float s) {
        for (int i = 0; i < p.length; i++) p[i] *= s;
    }

    @Override
    public void adamUpdate(float[] p, float[] g, float[] m, float[] v, AdamStep s) {
        if (g.length != p.length || m.length != p.length || v.length != p.length)
            throw new IllegalArgumentException("adamUpdate: lengths " + p.length + ", " + g.length + ", " + m.length + ", " + v.length);
        double b1 = s.beta1(), b2 = s.beta2();
        for (int i = 0; i < p.length; i++) {
            double gi = g[i];
            double mi = b1 * m[i] + (1 - b1) * gi;
            double vi = b2 * v[i] + (1 - b2) * gi * gi;
            m[i] = (float) mi;
            v[i] = (float) vi;
            double step = s.adaptive() ? s.stepSize() * mi / (Math.sqrt(vi) + s.eps()) : s.stepSize() * mi;
            p[i] = (float) (p[i] * s.decay() - step);
        }
    }

    private static final Scope NO_SCOPE = () -> {};

    /** Host results are garbage-collected: the scope does nothing. */
    @Override
    public Scope scope() {
        return NO_SCOPE;
    }

    @Override
    public void close() {}
}
