package io.pam.cpu.train;

import io.pam.net.Activation;
import io.pam.net.Op;
import io.pam.net.Tensor;
import io.pam.ref.RefTrainingOps;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Fast CPU training kernels. Convolutions: stride-1 "same" depthwise convolutions run in Vector
 * API kernels ({@link DepthwiseKernels}); every other convolution is a GEMM per sample and group
 * through OpenBLAS (1x1 stride-1 convolutions directly on the NCHW data, others through im2col /
 * col2im), the samples spread over the worker threads. BatchNorm and the elementwise ops are
 * Vector API loops spread over channels or chunks. Resize and average pooling (and adjoints)
 * run separably per plane ({@link PlaneKernels}); concat/split copy whole sample blocks; only the
 * cost embedding (a few hundred values) comes from {@link RefTrainingOps}.
 *
 * <p>Sums run in float vector lanes over blocks of at most {@value #BLOCK} values and in double
 * across blocks, so results agree with the double-accumulating reference to about 1e-5 relative.
 * Not thread-safe (one instance per training loop, as the interface says).
 */
public final class CpuTrainingOps extends RefTrainingOps {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    static final int BLOCK = 2048;
    /** Elementwise ops split their range into chunks of this many values. */
    private static final int CHUNK = 1 << 16;

    private final int threads;
    private final ExecutorService pool;
    private final NativeFloats weights = new NativeFloats(), input = new NativeFloats(),
            output = new NativeFloats(), dInput = new NativeFloats();
    private final NativeFloats[] taskCol, taskDw;
    private final float[][] heapCol;
    private boolean closed;

    /** @param threads worker threads (>= 1); OpenBLAS must already be loaded ({@link Gemm#load}). */
    CpuTrainingOps(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "pam-cpu-train");
            t.setDaemon(true);
            return t;
        });
        taskCol = new NativeFloats[threads];
        taskDw = new NativeFloats[threads];
        heapCol = new float[threads][];
        for (int t = 0; t < threads; t++) {
            taskCol[t] = new NativeFloats();
            taskDw[t] = new NativeFloats();
            heapCol[t] = new float[0];
        }
    }

    @Override
    public String name() {
        return "cpu";
    }

    int threads() {
        return threads;
    }

    // ---- parallel helpers -------------------------------------------------------------------

    /** Runs {@code body(t)} for t in [0, tasks), tasks <= threads, one per worker; waits. */
    private void runTasks(int tasks, IntConsumer body) {
        check();
        if (tasks == 1 || pool == null) {
            for (int t = 0; t < tasks; t++) body.accept(t);
            return;
        }
        List<Callable<Void>> jobs = new ArrayList<>(tasks);
        for (int t = 0; t < tasks; t++) {
            int task = t;
            jobs.add(() -> {
                body.accept(task);
                return null;
            });
        }
        try {
            for (Future<Void> f : pool.invokeAll(jobs)) f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** {@code body(i)} for every i in [0, count), items dealt round-robin to the workers. */
    private void parallelFor(int count, IntConsumer body) {
        int tasks = Math.min(threads, count);
        runTasks(tasks, t -> {
            for (int i = t; i < count; i += tasks) body.accept(i);
        });
    }

    /** {@code body(from, to)} over [0, length) in contiguous chunks. */
    private void parallelRange(int length, RangeBody body) {
        int chunks = Math.max(1, (length + CHUNK - 1) / CHUNK);
        parallelFor(chunks, i -> body.run(i * CHUNK, Math.min(length, (i + 1) * CHUNK)));
    }

    private interface RangeBody {
        void run(int from, int to);
    }

    private void check() {
        if (closed) throw new IllegalStateException("training ops are closed");
    }

    // ---- convolution ------------------------------------------------------------------------

    private static boolean direct(Op.Conv c) {
        return c.kernel() == 1 && c.stride() == 1 && c.pad() == 0;
    }

    @Override
    public Tensor conv(Tensor x, Op.Conv c, float[] w, float[] b) {
        checkConv(x, c, w);
        if (b != null && b.length != c.outC())
            throw new IllegalArgumentException("conv bias: expected " + c.outC() + " values, got " + b.length);
        int oh = c.outSize(x.h()), ow = c.outSize(x.w());
        Tensor y = Tensor.zeros(x.n(), c.outC(), oh, ow);
        if (DepthwiseKernels.handles(c)) {
            int h = x.h(), wd = x.w(), k = c.kernel(), C = c.outC();
            parallelFor(x.n() * C, p -> DepthwiseKernels.forwardPlane(x.data(), y.data(), p * h * wd, h, wd, w,
                    (p % C) * k * k, k, b == null ? 0f : b[p % C], false));
            return y;
        }
        int G = c.groups(), cinG = c.inC() / G, coutG = c.outC() / G, kg = cinG * c.kernel() * c.kernel();
        int plane = x.plane(), p = oh * ow, n = x.n();
        boolean direct = direct(c);
        weights.ensure(w.length).put(w, 0, 0, w.length);
        if (direct) input.ensure(x.data().length).put(x.data(), 0, 0, x.data().length);
        output.ensure(y.data().length);
        int rows = bandRows(kg, oh, ow);
        int tasks = Math.min(threads, n);
        runTasks(tasks, t -> {
            for (int s = t; s < n; s += tasks)
                for (int g = 0; g < G; g++) {
                    long xo = (long) (s * c.inC() + g * cinG) * plane, yo = (long) (s * c.outC() + g * coutG) * p;
                    if (direct) {
                        Gemm.sgemm(false, false, coutG, p, kg, 1f, weights.at((long) g * coutG * kg), kg, input.at(xo), p,
                                0f, output.at(yo), p);
                        continue;
                    }
                    // a band of output rows at a time, so the columns stay in cache between im2col and GEMM
                    for (int oy0 = 0; oy0 < oh; oy0 += rows) {
                        int oy1 = Math.min(oh, oy0 + rows), pc = (oy1 - oy0) * ow;
                        float[] col = im2col(x, c, s, g, t, oy0, oy1);
                        taskCol[t].ensure((long) kg * pc).put(col, 0, 0, kg * pc);
                        Gemm.sgemm(false, false, coutG, pc, kg, 1f, weights.at((long) g * coutG * kg), kg, taskCol[t].at(0), pc,
                                0f, output.at(yo + (long) oy0 * ow), p);
                    }
                }
        });
        output.get(0, y.data(), 0, y.data().length);
        if (b != null) parallelFor(n * c.outC(), i -> addScalar(y.data(), i * p, p, b[i % c.outC()]));
        return y;
    }

    @Override
    public ConvGrads<Tensor, float[]> convBackward(Tensor x, Op.Conv c, float[] w, Tensor dy, boolean needDx) {
        checkConv(x, c, w);
        int oh = c.outSize(x.h()), ow = c.outSize(x.w()), n = x.n(), p = oh * ow;
        if (dy.c() != c.outC() || dy.h() != oh || dy.w() != ow || dy.n() != n)
            throw new IllegalArgumentException("conv gradient " + dy + " does not match the output of " + c + " on " + x);
        float[] db = new float[c.outC()];
        parallelFor(c.outC(), o -> {
            double s = 0;
            for (int i = 0; i < n; i++) s += sum(dy.data(), (i * c.outC() + o) * p, p);
            db[o] = (float) s;
        });
        if (DepthwiseKernels.handles(c)) return depthwiseBackward(x, c, w, dy, needDx, db);

        int G = c.groups(), cinG = c.inC() / G, coutG = c.outC() / G, k = c.kernel(), kg = cinG * k * k;
        int plane = x.plane();
        boolean direct = direct(c);
        weights.ensure(w.length).put(w, 0, 0, w.length);
        input.ensure(dy.data().length).put(dy.data(), 0, 0, dy.data().length); // holds dy
        if (direct) output.ensure(x.data().length).put(x.data(), 0, 0, x.data().length); // holds x
        if (needDx && direct) dInput.ensure(x.data().length);
        Tensor dx = needDx ? Tensor.zeros(n, c.inC(), x.h(), x.w()) : null;
        int rows = bandRows(kg, oh, ow), band = rows * ow;
        int tasks = Math.min(threads, n);
        runTasks(tasks, t -> {
            taskDw[t].ensure(w.length);
            boolean first = true;
            for (int s = t; s < n; s += tasks) {
                for (int g = 0; g < G; g++) {
                    long dyo = (long) (s * c.outC() + g * coutG) * p, xo = (long) (s * c.inC() + g * cinG) * plane;
                    if (direct) {
                        // dW_g (+)= dY_g [coutG x P] * X_g^T [P x kg]
                        Gemm.sgemm(false, true, coutG, kg, p, 1f, input.at(dyo), p, output.at(xo), p,
                                first ? 0f : 1f, taskDw[t].at((long) g * coutG * kg), kg);
                        // dX_g [kg x P] = W_g^T [kg x coutG] * dY_g [coutG x P]
                        if (needDx)
                            Gemm.sgemm(true, false, kg, p, coutG, 1f, weights.at((long) g * coutG * kg), kg,
                                    input.at(dyo), p, 0f, dInput.at(xo), p);
                        continue;
                    }
                    taskCol[t].ensure(2L * kg * band);
                    for (int oy0 = 0; oy0 < oh; oy0 += rows) {
                        int oy1 = Math.min(oh, oy0 + rows), pc = (oy1 - oy0) * ow;
                        long dyBand = dyo + (long) oy0 * ow;
                        float[] col = im2col(x, c, s, g, t, oy0, oy1);
                        taskCol[t].put(col, 0, 0, kg * pc);
                        // dW_g (+)= dY_g band [coutG x pc] * col^T [pc x kg]
                        Gemm.sgemm(false, true, coutG, kg, pc, 1f, input.at(dyBand), p, taskCol[t].at(0), pc,
                                first && oy0 == 0 ? 0f : 1f, taskDw[t].at((long) g * coutG * kg), kg);
                        if (needDx) {
                            // dcol [kg x pc] = W_g^T [kg x coutG] * dY_g band [coutG x pc], scattered back
                            Gemm.sgemm(true, false, kg, pc, coutG, 1f, weights.at((long) g * coutG * kg), kg,
                                    input.at(dyBand), p, 0f, taskCol[t].at((long) kg * band), pc);
                            float[] dcol = heapCol[t];
                            taskCol[t].get((long) kg * band, dcol, 0, kg * pc);
                            col2im(dcol, dx, c, s, g, oy0, oy1);
                        }
                    }
                }
                first = false;
            }
        });
        float[] dw = new float[w.length];
        float[][] parts = new float[tasks][w.length];
        for (int t = 0; t < tasks; t++) taskDw[t].get(0, parts[t], 0, w.length);
        for (int i = 0; i < w.length; i++) {
            double s = 0;
            for (int t = 0; t < tasks; t++) s += parts[t][i];
            dw[i] = (float) s;
        }
        if (needDx && direct) dInput.get(0, dx.data(), 0, dx.data().length);
        return new ConvGrads<>(dx, dw, db);
    }

    private ConvGrads<Tensor, float[]> depthwiseBackward(Tensor x, Op.Conv c, float[] w, Tensor dy, boolean needDx, float[] db) {
        int h = x.h(), wd = x.w(), k = c.kernel(), C = c.outC(), n = x.n(), plane = h * wd;
        float[] dw = new float[w.length];
        parallelFor(C, ch -> {
            double[] acc = new double[k * k];
            for (int s = 0; s < n; s++)
                DepthwiseKernels.weightGradPlane(x.data(), dy.data(), (s * C + ch) * plane, h, wd, k, acc);
            for (int i = 0; i < k * k; i++) dw[ch * k * k + i] = (float) acc[i];
        });
        Tensor dx = null;
        if (needDx) {
            Tensor out = Tensor.zeros(n, C, h, wd);
            parallelFor(n * C, pl -> DepthwiseKernels.forwardPlane(dy.data(), out.data(), pl * plane, h, wd, w,
                    (pl % C) * k * k, k, 0f, true));
            dx = out;
        }
        return new ConvGrads<>(dx, dw, db);
    }

    private static void checkConv(Tensor x, Op.Conv c, float[] w) {
        if (x.c() != c.inC())
            throw new IllegalArgumentException("conv expects " + c.inC() + " input channels, got " + x);
        if (c.outSize(x.h()) <= 0 || c.outSize(x.w()) <= 0)
            throw new IllegalArgumentException("conv " + c + " gives an empty output for " + x);
        int need = c.outC() * (c.inC() / c.groups()) * c.kernel() * c.kernel();
        if (w.length != need)
            throw new IllegalArgumentException("conv weight: expected " + need + " values [outC, inC/groups, k, k], got " + w.length);
    }

    /** Floats of im2col columns per band of output rows: about 1 MB, so a band stays in L2. */
    static final int BAND_FLOATS = 1 << 18;

    /** Output rows per band for {@code kg} column rows of {@code ow} values (at least 1). */
    private static int bandRows(int kg, int oh, int ow) {
        return Math.max(1, Math.min(oh, BAND_FLOATS / Math.max(1, kg * ow)));
    }

    /**
     * Columns of sample s, group g, output rows [oy0, oy1) into this task's heap scratch:
     * [cinG*k*k] x [(oy1-oy0)*ow].
     */
    private float[] im2col(Tensor x, Op.Conv c, int s, int g, int task, int oy0, int oy1) {
        int k = c.kernel(), st = c.stride(), pad = c.pad(), ih = x.h(), iw = x.w();
        int ow = c.outSize(iw), p = (oy1 - oy0) * ow, cinG = c.inC() / c.groups();
        int size = cinG * k * k * p;
        if (heapCol[task].length < size) heapCol[task] = new float[size];
        float[] col = heapCol[task], xd = x.data();
        for (int ci = 0; ci < cinG; ci++) {
            int xb = x.index(s, g * cinG + ci, 0, 0);
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++) {
                    int r = ((ci * k + ky) * k + kx) * p;
                    // output columns whose input column ox*st - pad + kx lies inside [0, iw)
                    int lo = Math.max(0, ceilDiv(pad - kx, st)), hi = Math.min(ow, ceilDiv(iw + pad - kx, st));
                    for (int oy = oy0; oy < oy1; oy++) {
                        int iy = oy * st - pad + ky, o = r + (oy - oy0) * ow;
                        if (iy < 0 || iy >= ih || lo >= hi) {
                            java.util.Arrays.fill(col, o, o + ow, 0f);
                            continue;
                        }
                        java.util.Arrays.fill(col, o, o + lo, 0f);
                        int src = xb + iy * iw + lo * st - pad + kx;
                        if (st == 1) System.arraycopy(xd, src, col, o + lo, hi - lo);
                        else for (int ox = lo; ox < hi; ox++, src += st) col[o + ox] = xd[src];
                        java.util.Arrays.fill(col, o + hi, o + ow, 0f);
                    }
                }
        }
        return col;
    }

    /** Scatters the columns of output rows [oy0, oy1) back: dx[sample s, group g] += col2im(dcol). */
    private static void col2im(float[] dcol, Tensor dx, Op.Conv c, int s, int g, int oy0, int oy1) {
        int k = c.kernel(), st = c.stride(), pad = c.pad(), ih = dx.h(), iw = dx.w();
        int ow = c.outSize(iw), p = (oy1 - oy0) * ow, cinG = c.inC() / c.groups();
        float[] d = dx.data();
        for (int ci = 0; ci < cinG; ci++) {
            int xb = dx.index(s, g * cinG + ci, 0, 0);
            for (int ky = 0; ky < k; ky++)
                for (int kx = 0; kx < k; kx++) {
                    int r = ((ci * k + ky) * k + kx) * p;
                    int lo = Math.max(0, ceilDiv(pad - kx, st)), hi = Math.min(ow, ceilDiv(iw + pad - kx, st));
                    if (lo >= hi) continue;
                    for (int oy = oy0; oy < oy1; oy++) {
                        int iy = oy * st - pad + ky;
                        if (iy < 0 || iy >= ih) continue;
                        int dst = xb + iy * iw + lo * st - pad + kx, o = r + (oy - oy0) * ow;
                        if (st == 1) addInto(d, dst, dcol, o + lo, hi - lo);
                        else for (int ox = lo; ox < hi; ox++, dst += st) d[dst] += dcol[o + ox];
                    }
                }
        }
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }

    // ---- BatchNorm --------------------------------------------------------------------------

    @Override
    public BatchNormResult<Tensor, float[]> batchNormTrain(Tensor x, float[] gamma, float[] beta, float[] runningMean, float[] runningVar,
                                          float momentum, float eps) {
        int C = x.c(), plane = x.plane(), n = x.n();
        checkChannels("batchNormTrain", x, gamma, beta);
        if ((runningMean == null) != (runningVar == null))
            throw new IllegalArgumentException("batchNormTrain: give both running statistics or neither");
        long m = (long) n * plane;
        float[] mean = new float[C], invStd = new float[C], out = new float[x.data().length];
        float[] xd = x.data();
        parallelFor(C, c -> {
            double s = 0;
            for (int i = 0; i < n; i++) s += sum(xd, (i * C + c) * plane, plane);
            double mu = s / m, sq = 0;
            for (int i = 0; i < n; i++) sq += sumSquaredDiff(xd, (i * C + c) * plane, plane, (float) mu);
            double var = sq / m, inv = 1.0 / Math.sqrt(var + eps);
            mean[c] = (float) mu;
            invStd[c] = (float) inv;
            float scale = (float) (gamma[c] * inv), shift = (float) (beta[c] - mu * gamma[c] * inv);
            for (int i = 0; i < n; i++) affine(xd, out, (i * C + c) * plane, plane, scale, shift);
            if (runningMean != null) {
                runningMean[c] = (float) ((1 - momentum) * runningMean[c] + momentum * mu);
                double unbiased = m > 1 ? var * m / (m - 1) : var;
                runningVar[c] = (float) ((1 - momentum) * runningVar[c] + momentum * unbiased);
            }
        });
        return new BatchNormResult<>(new Tensor(n, C, x.h(), x.w(), out), mean, invStd);
    }

    @Override
    public BatchNormGrads<Tensor, float[]> batchNormBackward(Tensor x, float[] mean, float[] invStd, float[] gamma, Tensor dy) {
        int C = x.c(), plane = x.plane(), n = x.n();
        checkChannels("batchNormBackward", x, gamma, mean);
        if (!dy.shape().equals(x.shape()) || dy.n() != n)
            throw new IllegalArgumentException("batchNormBackward: gradient " + dy + " does not match " + x);
        double m = (double) n * plane;
        float[] dGamma = new float[C], dBeta = new float[C], dx = new float[x.data().length];
        float[] xd = x.data(), g = dy.data();
        parallelFor(C, c -> {
            double sb = 0, sxd = 0;
            double[] sums = new double[2];
            for (int i = 0; i < n; i++) {
                sumAndDotCentred(xd, g, (i * C + c) * plane, plane, mean[c], sums);
                sb += sums[0];
                sxd += sums[1];
            }
            double sg = sxd * invStd[c];
            dBeta[c] = (float) sb;
            dGamma[c] = (float) sg;
            // dx = scale (m dy - sb - xhat sg) = a dy + b (x - mean) + d
            double scale = gamma[c] * invStd[c] / m;
            float a = (float) (scale * m), bb = (float) (-scale * sg * invStd[c]), d = (float) (-scale * sb);
            for (int i = 0; i < n; i++) bnGrad(xd, g, dx, (i * C + c) * plane, plane, mean[c], a, bb, d);
        });
        return new BatchNormGrads<>(new Tensor(n, C, x.h(), x.w(), dx), dGamma, dBeta);
    }

    private static void checkChannels(String op, Tensor x, float[] a, float[] b) {
        if (a.length != x.c() || b.length != x.c())
            throw new IllegalArgumentException(op + ": per-channel vectors must have " + x.c() + " values for " + x);
    }

    // ---- elementwise ------------------------------------------------------------------------

    @Override
    public Tensor activation(Tensor x, Activation a) {
        if (a == Activation.NONE) return x;
        float[] xd = x.data(), out = new float[xd.length];
        boolean relu = a == Activation.RELU;
        parallelRange(xd.length, (from, to) -> {
            int i = from;
            for (; i + L <= to; i += L) {
                FloatVector v = FloatVector.fromArray(S, xd, i);
                (relu ? v.max(0f) : sigmoid(v)).intoArray(out, i);
            }
            for (; i < to; i++) out[i] = relu ? Math.max(xd[i], 0f) : (float) (1.0 / (1.0 + Math.exp(-xd[i])));
        });
        return new Tensor(x.n(), x.c(), x.h(), x.w(), out);
    }

    private static FloatVector sigmoid(FloatVector v) {
        // lane by lane with Math.exp (as the scalar tail): the vector EXP may be an SVML intrinsic in
        // C2-compiled code but Math.exp per lane before compilation, which need not agree to the
        // last bit; precaution for bit-exact resumption (not observed to differ in the tests)
        float[] t = new float[L];
        v.intoArray(t, 0);
        for (int i = 0; i < L; i++) t[i] = (float) (1.0 / (1.0 + Math.exp(-t[i])));
        return FloatVector.fromArray(S, t, 0);
    }

    @Override
    public Tensor activationBackward(Tensor y, Activation a, Tensor dy) {
        if (a == Activation.NONE) return dy;
        sameShape("activationBackward", y, dy);
        float[] yd = y.data(), g = dy.data(), out = new float[g.length];
        boolean relu = a == Activation.RELU;
        parallelRange(g.length, (from, to) -> {
            int i = from;
            for (; i + L <= to; i += L) {
                FloatVector v = FloatVector.fromArray(S, yd, i), d = FloatVector.fromArray(S, g, i);
                FloatVector r = relu ? d.blend(0f, v.compare(VectorOperators.LE, 0f)) : d.mul(v).mul(v.neg().add(1f));
                r.intoArray(out, i);
            }
            for (; i < to; i++) out[i] = relu ? (yd[i] > 0 ? g[i] : 0f) : g[i] * yd[i] * (1 - yd[i]);
        });
        return new Tensor(dy.n(), dy.c(), dy.h(), dy.w(), out);
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        sameShape("add", a, b);
        // one pass (a clone then an accumulate would read and write the output twice)
        float[] out = new float[a.data().length], ad = a.data(), bd = b.data();
        parallelRange(out.length, (from, to) -> {
            int i = from;
            for (; i + L <= to; i += L)
                FloatVector.fromArray(S, ad, i).add(FloatVector.fromArray(S, bd, i)).intoArray(out, i);
            for (; i < to; i++) out[i] = ad[i] + bd[i];
        });
        return new Tensor(a.n(), a.c(), a.h(), a.w(), out);
    }

    @Override
    public void accumulate(Tensor into, Tensor g) {
        sameShape("accumulate", into, g);
        accumulateInto(into.data(), g.data());
    }

    private void accumulateInto(float[] a, float[] b) {
        parallelRange(a.length, (from, to) -> addInto(a, from, b, from, to - from));
    }

    @Override
    public Tensor channelMul(Tensor x, Tensor g) {
        checkGate(x, g);
        float[] out = new float[x.data().length];
        int plane = x.plane();
        parallelFor(x.n() * x.c(), i -> affine(x.data(), out, i * plane, plane, g.data()[i], 0f));
        return new Tensor(x.n(), x.c(), x.h(), x.w(), out);
    }

    @Override
    public List<Tensor> channelMulBackward(Tensor x, Tensor g, Tensor dy) {
        checkGate(x, g);
        sameShape("channelMulBackward", x, dy);
        float[] dx = new float[x.data().length], dg = new float[g.data().length];
        int plane = x.plane();
        parallelFor(x.n() * x.c(), i -> {
            affine(dy.data(), dx, i * plane, plane, g.data()[i], 0f);
            dg[i] = (float) dot(dy.data(), x.data(), i * plane, plane);
        });
        return List.of(new Tensor(x.n(), x.c(), x.h(), x.w(), dx), new Tensor(g.n(), g.c(), 1, 1, dg));
    }

    private static void checkGate(Tensor x, Tensor g) {
        if (g.n() != x.n() || g.c() != x.c() || g.h() != 1 || g.w() != 1)
            throw new IllegalArgumentException("channel gate must be " + x.n() + "x" + x.c() + "x1x1 for " + x + ", got " + g);
    }

    private static void sameShape(String op, Tensor a, Tensor b) {
        if (a.n() != b.n() || !a.shape().equals(b.shape()))
            throw new IllegalArgumentException(op + ": shapes differ: " + a + " vs " + b);
    }

    // ---- layout, resampling, pools, composite -------------------------------------------------

    @Override
    public Tensor concat(List<Tensor> parts) {
        if (parts.isEmpty()) throw new IllegalArgumentException("concat needs at least one tensor");
        Tensor first = parts.get(0);
        int c = 0;
        for (Tensor t : parts) {
            if (t.n() != first.n() || t.h() != first.h() || t.w() != first.w())
                throw new IllegalArgumentException("concat: " + t + " does not match " + first + " in batch or size");
            c += t.c();
        }
        int n = first.n(), plane = first.plane(), total = c;
        float[] out = new float[n * c * plane];
        parallelFor(n, s -> {
            int off = s * total * plane;
            for (Tensor t : parts) {
                int len = t.c() * plane;
                System.arraycopy(t.data(), s * len, out, off, len);
                off += len;
            }
        });
        return new Tensor(n, c, first.h(), first.w(), out);
    }

    @Override
    public List<Tensor> split(Tensor x, int[] channels) {
        int total = 0;
        for (int c : channels) {
            if (c < 1) throw new IllegalArgumentException("split: channel counts must be >= 1, got " + java.util.Arrays.toString(channels));
            total += c;
        }
        if (total != x.c())
            throw new IllegalArgumentException("split: channel counts " + java.util.Arrays.toString(channels) + " must sum to " + x.c() + " for " + x);
        int n = x.n(), plane = x.plane();
        float[][] outs = new float[channels.length][];
        for (int i = 0; i < channels.length; i++) outs[i] = new float[n * channels[i] * plane];
        parallelFor(n, s -> {
            int off = s * x.c() * plane;
            for (int i = 0; i < channels.length; i++) {
                int len = channels[i] * plane;
                System.arraycopy(x.data(), off, outs[i], s * len, len);
                off += len;
            }
        });
        List<Tensor> out = new ArrayList<>(channels.length);
        for (int i = 0; i < channels.length; i++) out.add(new Tensor(n, channels[i], x.h(), x.w(), outs[i]));
        return out;
    }

    /** Sampling positions by (in, out) size of one axis; a network uses a handful of shapes. */
    private final java.util.Map<Long, PlaneKernels.Axis> axes = new java.util.HashMap<>();

    private PlaneKernels.Axis axis(int in, int out) {
        return axes.computeIfAbsent(((long) in << 32) | out, key -> PlaneKernels.Axis.of(in, out));
    }

    /** {@code body(plane, scratch)} for every plane in [0, planes); each task owns one scratch of {@code scratch} floats. */
    private void forPlanes(int planes, int scratch, PlaneBody body) {
        int tasks = Math.min(threads, planes);
        runTasks(tasks, t -> {
            float[] tmp = new float[scratch];
            for (int i = t; i < planes; i += tasks) body.run(i, tmp);
        });
    }

    private interface PlaneBody {
        void run(int plane, float[] tmp);
    }

    @Override
    public Tensor resize(Tensor x, int outH, int outW) {
        if (outH < 1 || outW < 1) throw new IllegalArgumentException("resize: output size must be >= 1x1, got " + outH + "x" + outW);
        PlaneKernels.Axis ay = axis(x.h(), outH), ax = axis(x.w(), outW);
        int ih = x.h(), iw = x.w(), in = x.plane(), on = outH * outW;
        float[] out = new float[x.n() * x.c() * on];
        forPlanes(x.n() * x.c(), ih * outW, (p, tmp) -> PlaneKernels.resize(x.data(), p * in, ih, iw, out, p * on, ay, ax, tmp));
        return new Tensor(x.n(), x.c(), outH, outW, out);
    }

    @Override
    public Tensor resizeBackward(Tensor dy, int inH, int inW) {
        if (inH < 1 || inW < 1) throw new IllegalArgumentException("resizeBackward: input size must be >= 1x1, got " + inH + "x" + inW);
        PlaneKernels.Axis ay = axis(inH, dy.h()), ax = axis(inW, dy.w());
        int on = dy.plane(), in = inH * inW, ow = dy.w();
        float[] dx = new float[dy.n() * dy.c() * in];
        forPlanes(dy.n() * dy.c(), inH * ow, (p, tmp) -> PlaneKernels.resizeAdjoint(dy.data(), p * on, dx, p * in, inH, inW, ay, ax, tmp));
        return new Tensor(dy.n(), dy.c(), inH, inW, dx);
    }

    @Override
    public Tensor avgPool(Tensor x, Op.AvgPool p) {
        if (!p.fits(x.h(), x.w())) return globalAvgPool(x);
        int ih = x.h(), iw = x.w(), oh = p.outSize(ih), ow = p.outSize(iw);
        int[] by = PlaneKernels.windows(ih, oh, p.window(), p.stride(), p.pad()), bx = PlaneKernels.windows(iw, ow, p.window(), p.stride(), p.pad());
        int in = x.plane(), on = oh * ow;
        float[] out = new float[x.n() * x.c() * on];
        forPlanes(x.n() * x.c(), ih * ow, (pl, tmp) -> PlaneKernels.avgPool(x.data(), pl * in, ih, iw, out, pl * on, by, bx, tmp));
        return new Tensor(x.n(), x.c(), oh, ow, out);
    }

    @Override
    public Tensor avgPoolBackward(Tensor dy, Op.AvgPool p, int inH, int inW) {
        if (inH < 1 || inW < 1) throw new IllegalArgumentException("avgPoolBackward: input size must be >= 1x1, got " + inH + "x" + inW);
        if (!p.fits(inH, inW)) return globalAvgPoolBackward(dy, inH, inW);
        int oh = p.outSize(inH), ow = p.outSize(inW);
        if (dy.h() != oh || dy.w() != ow)
            throw new IllegalArgumentException("avgPool gradient " + dy + " does not match the pool's output " + oh + "x" + ow + " for input " + inH + "x" + inW);
        int[] by = PlaneKernels.windows(inH, oh, p.window(), p.stride(), p.pad()), bx = PlaneKernels.windows(inW, ow, p.window(), p.stride(), p.pad());
        int in = inH * inW, on = oh * ow;
        float[] dx = new float[dy.n() * dy.c() * in];
        forPlanes(dy.n() * dy.c(), inH * ow + ow, (pl, tmp) -> PlaneKernels.avgPoolAdjoint(dy.data(), pl * on, dx, pl * in, inH, inW, by, bx, tmp));
        return new Tensor(dy.n(), dy.c(), inH, inW, dx);
    }

    @Override
    public Tensor globalAvgPool(Tensor x) {
        int plane = x.plane();
        float[] out = new float[x.n() * x.c()];
        parallelFor(out.length, i -> out[i] = (float) (sum(x.data(), i * plane, plane) / plane));
        return new Tensor(x.n(), x.c(), 1, 1, out);
    }

    @Override
    public Tensor globalAvgPoolBackward(Tensor dy, int inH, int inW) {
        if (dy.h() != 1 || dy.w() != 1) throw new IllegalArgumentException("global pool gradient must be N x C x 1 x 1, got " + dy);
        if (inH < 1 || inW < 1) throw new IllegalArgumentException("globalAvgPoolBackward: input size must be >= 1x1, got " + inH + "x" + inW);
        int plane = inH * inW;
        float[] dx = new float[dy.n() * dy.c() * plane];
        parallelFor(dy.n() * dy.c(), i -> java.util.Arrays.fill(dx, i * plane, (i + 1) * plane, dy.data()[i] / plane));
        return new Tensor(dy.n(), dy.c(), inH, inW, dx);
    }

    private static void checkComposite(Tensor pred, Tensor input) {
        if (pred.c() != 1 || input.c() < 6 || pred.n() != input.n() || pred.h() != input.h() || pred.w() != input.w())
            throw new IllegalArgumentException("composite needs a N x 1 x H x W prediction and the N x 6 x H x W input, got " + pred + " and " + input);
    }

    @Override
    public Tensor composite(Tensor pred, Tensor input) {
        checkComposite(pred, input);
        int plane = pred.plane();
        float[] out = new float[pred.data().length], pd = pred.data(), xd = input.data();
        parallelFor(pred.n(), s -> {
            int pb = s * plane, ub = input.index(s, 4, 0, 0), fb = input.index(s, 5, 0, 0), i = 0;
            for (; i + L <= plane; i += L)
                FloatVector.fromArray(S, pd, pb + i).max(0f).min(1f)
                        .mul(FloatVector.fromArray(S, xd, ub + i)).add(FloatVector.fromArray(S, xd, fb + i)).intoArray(out, pb + i);
            for (; i < plane; i++) out[pb + i] = Math.min(Math.max(pd[pb + i], 0f), 1f) * xd[ub + i] + xd[fb + i];
        });
        return new Tensor(pred.n(), 1, pred.h(), pred.w(), out);
    }

    @Override
    public Tensor compositeBackward(Tensor pred, Tensor input, Tensor dy) {
        checkComposite(pred, input);
        sameShape("compositeBackward", pred, dy);
        int plane = pred.plane();
        float[] out = new float[pred.data().length], pd = pred.data(), xd = input.data(), g = dy.data();
        parallelFor(pred.n(), s -> {
            int pb = s * plane, ub = input.index(s, 4, 0, 0), i = 0;
            for (; i + L <= plane; i += L) {
                // passes inside (0, 1), and outside where the gradient pulls back towards the range
                FloatVector v = FloatVector.fromArray(S, pd, pb + i), gv = FloatVector.fromArray(S, g, pb + i);
                var passes = v.compare(VectorOperators.GT, 0f).and(v.compare(VectorOperators.LT, 1f))
                        .or(v.compare(VectorOperators.LE, 0f).and(gv.compare(VectorOperators.LT, 0f)))
                        .or(v.compare(VectorOperators.GE, 1f).and(gv.compare(VectorOperators.GT, 0f)));
                gv.mul(FloatVector.fromArray(S, xd, ub + i)).blend(0f, passes.not()).intoArray(out, pb + i);
            }
            for (; i < plane; i++) {
                float v = pd[pb + i], gi = g[pb + i];
                boolean passes = v > 0f && v < 1f || v <= 0f && gi < 0f || v >= 1f && gi > 0f;
                out[pb + i] = passes ? gi * xd[ub + i] : 0f;
            }
        });
        return new Tensor(pred.n(), 1, pred.h(), pred.w(), out);
    }

    // ---- vector loops -----------------------------------------------------------------------

    /** Sum of {@code a[off .. off+len)}: float lanes per block, double across blocks. */
    static double sum(float[] a, int off, int len) {
        double total = 0;
        for (int b = 0; b < len; b += BLOCK) {
            int end = off + Math.min(len, b + BLOCK), i = off + b;
            FloatVector acc = FloatVector.zero(S);
            for (; i + L <= end; i += L) acc = acc.add(FloatVector.fromArray(S, a, i));
            double t = DepthwiseKernels.sumLanes(acc);
            for (; i < end; i++) t += a[i];
            total += t;
        }
        return total;
    }

    private static double sumSquaredDiff(float[] a, int off, int len, float mu) {
        double total = 0;
        for (int b = 0; b < len; b += BLOCK) {
            int end = off + Math.min(len, b + BLOCK), i = off + b;
            FloatVector acc = FloatVector.zero(S);
            for (; i + L <= end; i += L) {
                FloatVector d = FloatVector.fromArray(S, a, i).sub(mu);
                acc = d.fma(d, acc);
            }
            double t = DepthwiseKernels.sumLanes(acc);
            for (; i < end; i++) t += (double) (a[i] - mu) * (a[i] - mu);
            total += t;
        }
        return total;
    }

    private static double dot(float[] a, float[] b, int off, int len) {
        double total = 0;
        for (int bl = 0; bl < len; bl += BLOCK) {
            int end = off + Math.min(len, bl + BLOCK), i = off + bl;
            FloatVector acc = FloatVector.zero(S);
            for (; i + L <= end; i += L) acc = FloatVector.fromArray(S, a, i).fma(FloatVector.fromArray(S, b, i), acc);
            double t = DepthwiseKernels.sumLanes(acc);
            for (; i < end; i++) t += (double) a[i] * b[i];
            total += t;
        }
        return total;
    }

    /** {@code sums = [sum g, sum (x - mu) * g]} over one range, reading g once. */
    private static void sumAndDotCentred(float[] x, float[] g, int off, int len, float mu, double[] sums) {
        double tg = 0, txg = 0;
        for (int bl = 0; bl < len; bl += BLOCK) {
            int end = off + Math.min(len, bl + BLOCK), i = off + bl;
            FloatVector accG = FloatVector.zero(S), accXg = FloatVector.zero(S);
            for (; i + L <= end; i += L) {
                FloatVector gv = FloatVector.fromArray(S, g, i);
                accG = accG.add(gv);
                accXg = FloatVector.fromArray(S, x, i).sub(mu).fma(gv, accXg);
            }
            double a = DepthwiseKernels.sumLanes(accG), b = DepthwiseKernels.sumLanes(accXg);
            for (; i < end; i++) {
                a += g[i];
                b += (double) (x[i] - mu) * g[i];
            }
            tg += a;
            txg += b;
        }
        sums[0] = tg;
        sums[1] = txg;
    }

    /** {@code out = x * scale + shift} over one range. */
    private static void affine(float[] x, float[] out, int off, int len, float scale, float shift) {
        int i = off, end = off + len;
        FloatVector sv = FloatVector.broadcast(S, scale), tv = FloatVector.broadcast(S, shift);
        for (; i + L <= end; i += L) FloatVector.fromArray(S, x, i).fma(sv, tv).intoArray(out, i);
        for (; i < end; i++) out[i] = x[i] * scale + shift;
    }

    /** {@code dx = a dy + b (x - mu) + d} over one range. */
    private static void bnGrad(float[] x, float[] dy, float[] dx, int off, int len, float mu, float a, float b, float d) {
        int i = off, end = off + len;
        FloatVector av = FloatVector.broadcast(S, a), bv = FloatVector.broadcast(S, b), dv = FloatVector.broadcast(S, d);
        for (; i + L <= end; i += L) {
            FloatVector t = FloatVector.fromArray(S, x, i).sub(mu).fma(bv, dv);
            FloatVector.fromArray(S, dy, i).fma(av, t).intoArray(dx, i);
        }
        for (; i < end; i++) dx[i] = a * dy[i] + (b * (x[i] - mu) + d);
    }

    private static void addScalar(float[] a, int off, int len, float v) {
        int i = off, end = off + len;
        for (; i + L <= end; i += L) FloatVector.fromArray(S, a, i).add(v).intoArray(a, i);
        for (; i < end; i++) a[i] += v;
    }

    /** {@code a[ao..ao+len) += b[bo..bo+len)} (HotSpot does not vectorise this across arrays by itself). */
    static void addInto(float[] a, int ao, float[] b, int bo, int len) {
        int i = 0;
        for (; i + L <= len; i += L)
            FloatVector.fromArray(S, a, ao + i).add(FloatVector.fromArray(S, b, bo + i)).intoArray(a, ao + i);
        for (; i < len; i++) a[ao + i] += b[bo + i];
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (pool != null) pool.shutdownNow();
        weights.close();
        input.close();
        output.close();
        dInput.close();
        for (NativeFloats f : taskCol) f.close();
        for (NativeFloats f : taskDw) f.close();
    }
}
