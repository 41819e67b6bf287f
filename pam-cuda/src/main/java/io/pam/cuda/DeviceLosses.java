package io.pam.cuda;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;

import io.pam.spi.TrainingOps;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The matting losses of {@link TrainingOps#mattingLosses} on the device: per-pixel terms and
 * deterministic two-stage sums in double, the Laplacian pyramid and its adjoint as separable
 * blur, subsample and zero-insertion kernels on full planes, and one kernel for the combined
 * gradient. Written to follow pam-train's {@code Losses} and {@code Pyramid}: the same float or
 * double operations per pixel for the loss terms (the values differ only by the order of the
 * sums); the gradient is added up in double and rounded once, where the host rounds each term's
 * gradient to float and adds them in float, so it differs by float rounding. One small download
 * at the end brings the sums to the host for the loss values.
 */
final class DeviceLosses {
    /** Kernels, compiled with {@link TrainingKernels} (they use its block sum). */
    static final String SOURCE = """

            // ---- matting losses (pam-train's Losses): N images of H x W; x the network input
            // (N x 6, channel 4 the unknown mask u), t the targets (N x 7: ground-truth alpha,
            // foreground RGB, background RGB) ----

            // sum of x[0, n) in double: B blocks of contiguous chunks, then one block adds the B
            // partials in order (deterministic)
            extern "C" __global__ void __launch_bounds__(256) pl_sum_partial(const double* __restrict__ x, i64 n, i64 chunk, double* partials) {
                __shared__ double buf[256];
                const i64 start = blockIdx.x * chunk, end = min(start + chunk, n);
                double s = 0;
                for (i64 i = start + threadIdx.x; i < end; i += blockDim.x) s += x[i];
                s = pt_block_sum(s, buf);
                if (threadIdx.x == 0) partials[blockIdx.x] = s;
            }

            extern "C" __global__ void __launch_bounds__(256) pl_sum_finish(const double* __restrict__ partials, int B, double* out) {
                __shared__ double buf[256];
                const double s = pt_partials(partials, B, buf);
                if (threadIdx.x == 0) out[0] = s;
            }

            // per pixel: the terms of the unknown count, the L1, composition and Charbonnier sums,
            // and level 0 of the pyramid (the difference a - gt, in float as the host takes it)
            extern "C" __global__ void __launch_bounds__(256) pl_terms(const float* __restrict__ a, const float* __restrict__ x,
                                                                    const float* __restrict__ t, const float* __restrict__ teacher,
                                                                    i64 plane, i64 total, double is0, double is1, double is2, double ceps,
                                                                    double* cntT, double* l1T, double* compT, double* dsT, double* c0) {
                PT_LOOP(i, total) {
                    const i64 n = i / plane, p = i - n * plane;
                    const float u = x[(n * 6 + 4) * plane + p];
                    const float ai = a[i], gt = t[n * 7 * plane + p];
                    double l1 = 0, comp = 0, ds = 0;
                    if (u != 0.0f) {
                        const double d = (double)(ai - gt);
                        l1 = u * fabs(d);
                        const double ad = ai, is[3] = {is0, is1, is2};
                        for (int c = 0; c < 3; c++) {
                            const double f = t[(n * 7 + 1 + c) * plane + p], b = t[(n * 7 + 4 + c) * plane + p];
                            const double dc = (f * ad + b * (1 - ad) - x[(n * 6 + c) * plane + p]) * is[c];
                            comp += u * fabs(dc);
                        }
                        if (teacher) {
                            const double dd = (double)(ai - teacher[i]);
                            ds = u * sqrt(dd * dd + ceps);
                        }
                    }
                    cntT[i] = u;
                    l1T[i] = l1;
                    compT[i] = comp;
                    dsT[i] = ds;
                    c0[i] = (double)(ai - gt);
                }
            }

            // PyTorch 'reflect' index of i in [0, n) (the edge sample not repeated), any i
            __device__ __forceinline__ int pl_reflect(int i, int n) {
                if (n == 1) return 0;
                const int period = 2 * (n - 1);
                i %= period;
                if (i < 0) i += period;
                return i >= n ? period - i : i;
            }

            // the 5-tap Gaussian [1 4 6 4 1]/16 along a line of n values (stride s) at position o;
            // adjoint: the transposed operator, sum over (q, k) with reflect(q + k - 2) == o of
            // K[k] x[q] (every such q is within 4 of o)
            __device__ double pl_tap(const double* __restrict__ x, i64 s, int n, int o, int adjoint) {
                const double K[5] = {1 / 16.0, 4 / 16.0, 6 / 16.0, 4 / 16.0, 1 / 16.0};
                double acc = 0;
                if (!adjoint) {
                    for (int k = 0; k < 5; k++) acc += K[k] * x[(i64)pl_reflect(o + k - 2, n) * s];
                } else {
                    for (int q = pt_max(o - 4, 0); q <= pt_min(o + 4, n - 1); q++)
                        for (int k = 0; k < 5; k++)
                            if (pl_reflect(q + k - 2, n) == o) acc += K[k] * x[(i64)q * s];
                }
                return acc;
            }

            // y = the blur along W of planes h x w (total = N h w values)
            extern "C" __global__ void __launch_bounds__(256) pl_blur_w(const double* __restrict__ x, double* __restrict__ y, int w,
                                                                     i64 total, int adjoint) {
                PT_LOOP(i, total) {
                    const i64 line = i / w;
                    y[i] = pl_tap(x + line * w, 1, w, (int)(i - line * w), adjoint);
                }
            }

            // y = the blur along H of planes h x w
            extern "C" __global__ void __launch_bounds__(256) pl_blur_h(const double* __restrict__ x, double* __restrict__ y, int h, int w,
                                                                     i64 total, int adjoint) {
                PT_LOOP(i, total) {
                    const i64 plane = (i64)h * w, n = i / plane, p = i - n * plane;
                    const int r = (int)(p / w), c = (int)(p - (i64)r * w);
                    y[i] = pl_tap(x + n * plane + c, w, h, r, adjoint);
                }
            }

            // y (h/2 x w/2) = (accumulate ? y : 0) + s * x[2r][2c] of planes h x w; total = N h/2 w/2
            extern "C" __global__ void __launch_bounds__(256) pl_down(const double* __restrict__ x, double* __restrict__ y, int h, int w,
                                                                   i64 total, double s, int accumulate) {
                PT_LOOP(i, total) {
                    const int oh = h / 2, ow = w / 2;
                    const i64 oplane = (i64)oh * ow, n = i / oplane, p = i - n * oplane;
                    const int r = (int)(p / ow), c = (int)(p - (i64)r * ow);
                    const double v = s * x[n * (i64)h * w + (i64)(2 * r) * w + 2 * c];
                    y[i] = accumulate ? y[i] + v : v;
                }
            }

            // y (h x w) = the zero insertion of x (h/2 x w/2): x[r/2][c/2] at even r and c, else 0
            extern "C" __global__ void __launch_bounds__(256) pl_zero_insert(const double* __restrict__ x, double* __restrict__ y, int h, int w,
                                                                          i64 total) {
                PT_LOOP(i, total) {
                    const i64 plane = (i64)h * w, n = i / plane, p = i - n * plane;
                    const int r = (int)(p / w), c = (int)(p - (i64)r * w);
                    y[i] = (r & 1) == 0 && (c & 1) == 0 ? x[n * (plane / 4) + (i64)(r / 2) * (w / 2) + c / 2] : 0.0;
                }
            }

            // the mask of level l (h x w): u subsampled [::2^l, ::2^l] from H x W (w0 = W)
            extern "C" __global__ void __launch_bounds__(256) pl_mask(const float* __restrict__ x, double* __restrict__ m, i64 plane0, int w0,
                                                                   int h, int w, int level, i64 total) {
                PT_LOOP(i, total) {
                    const i64 plane = (i64)h * w, n = i / plane, p = i - n * plane;
                    const int r = (int)(p / w), c = (int)(p - (i64)r * w);
                    m[i] = x[(n * 6 + 4) * plane0 + ((i64)r << level) * w0 + ((i64)c << level)];
                }
            }

            // level l: lap = c - 4 up; lapT = m |lap| (the loss term before the level's weight),
            // dl = 2^l / (sum of the level's mask + eps) * m * sign(lap)
            extern "C" __global__ void __launch_bounds__(256) pl_lap(const double* __restrict__ c, const double* __restrict__ up,
                                                                  const double* __restrict__ m, const double* __restrict__ maskSum,
                                                                  double scale, double eps, double* lapT, double* dl, i64 total) {
                const double wgt = scale / (maskSum[0] + eps);
                PT_LOOP(i, total) {
                    const double lap = c[i] - 4 * up[i], mi = m[i];
                    lapT[i] = mi * fabs(lap);
                    dl[i] = wgt * mi * (double)((lap > 0) - (lap < 0));
                }
            }

            extern "C" __global__ void __launch_bounds__(256) pl_add(const double* __restrict__ a, const double* __restrict__ b,
                                                                  double* __restrict__ y, i64 total) {
                PT_LOOP(i, total) y[i] = a[i] + b[i];
            }

            // the gradient of l1 + wc comp + wl lap + wd ds w.r.t. a (dlap: the pyramid's gradient);
            // sums[0] = the unknown count
            extern "C" __global__ void __launch_bounds__(256) pl_grad(const float* __restrict__ a, const float* __restrict__ x,
                                                                   const float* __restrict__ t, const float* __restrict__ teacher,
                                                                   const double* __restrict__ dlap, const double* __restrict__ sums,
                                                                   i64 plane, i64 total, double is0, double is1, double is2, double ceps,
                                                                   double eps, double wc, double wl, double wd, float* __restrict__ g) {
                const double cnt = sums[0] + eps, cnt3 = 3 * sums[0] + eps;
                PT_LOOP(i, total) {
                    const i64 n = i / plane, p = i - n * plane;
                    const float u = x[(n * 6 + 4) * plane + p];
                    double gl1 = 0, gc = 0, gd = 0;
                    if (u != 0.0f) {
                        const float ai = a[i];
                        const double d = (double)(ai - t[n * 7 * plane + p]);
                        gl1 = u * (double)((d > 0) - (d < 0)) / cnt;
                        const double ad = ai, is[3] = {is0, is1, is2};
                        for (int c = 0; c < 3; c++) {
                            const double f = t[(n * 7 + 1 + c) * plane + p], b = t[(n * 7 + 4 + c) * plane + p];
                            const double dc = (f * ad + b * (1 - ad) - x[(n * 6 + c) * plane + p]) * is[c];
                            gc += u * (double)((dc > 0) - (dc < 0)) * is[c] * (f - b) / cnt3;
                        }
                        if (teacher) {
                            const double dd = (double)(ai - teacher[i]);
                            gd = u * dd / sqrt(dd * dd + ceps) / cnt;
                        }
                    }
                    g[i] = (float)(gl1 + wc * gc + wl * dlap[i] + wd * gd);
                }
            }
            """;

    /** Values per thread a stage-1 block of {@link #sum} aims at; at most 256 blocks (one finishing block adds them). */
    private static final long PER_BLOCK = (long) TrainingKernels.THREADS * 32;
    private static final int MAX_BLOCKS = 256;

    private final TrainingKernels kernels;
    private final DevicePool pool;

    DeviceLosses(TrainingKernels kernels, DevicePool pool) {
        this.kernels = kernels;
        this.pool = pool;
    }

    /** Scratch blocks of one call, given back at its end (stream order makes reuse safe). */
    private final class Scratch implements AutoCloseable {
        private final List<long[]> taken = new ArrayList<>();

        long doubles(long count) {
            long bytes = 8L * Math.max(count, 1);
            long ptr = pool.take(bytes);
            taken.add(new long[] {ptr, bytes});
            return ptr;
        }

        @Override
        public void close() {
            for (long[] t : taken) pool.give(t[0], t[1]);
            taken.clear();
        }
    }

    /** {@code out[0] = sum of x[0, n)} in double, deterministic. */
    private void sum(Scratch s, long x, long n, long out) {
        int blocks = (int) Math.clamp((n + PER_BLOCK - 1) / PER_BLOCK, 1, MAX_BLOCKS);
        long chunk = (n + blocks - 1) / blocks;
        long partials = s.doubles(blocks);
        kernels.launch("pl_sum_partial", blocks, x, n, chunk, partials);
        kernels.launch("pl_sum_finish", 1, partials, blocks, out);
    }

    /**
     * Computes the losses into {@code grad} (N x 1 x H x W floats) and returns the values.
     * Shapes are checked by the caller.
     */
    TrainingOps.LossValues<DeviceTensor> compute(DeviceTensor alpha, DeviceTensor input, DeviceTensor targets, DeviceTensor teacher,
                                                 TrainingOps.LossSpec spec, DeviceTensor grad) {
        int n = alpha.n(), h = alpha.h(), w = alpha.w(), levels = spec.laplacianLevels();
        long plane = (long) h * w, total = n * plane;
        double is0 = 1 / spec.stdR(), is1 = 1 / spec.stdG(), is2 = 1 / spec.stdB();
        long teacherPtr = teacher == null ? 0L : teacher.ptr();
        // sums: 0 unknown count, 1 L1, 2 composition, 3 Charbonnier, 4.. the levels' terms, 4 + levels.. the levels' mask sums
        int nSums = 4 + 2 * levels;
        try (Scratch s = new Scratch()) {
            long sums = s.doubles(nSums);
            long cntT = s.doubles(total), l1T = s.doubles(total), compT = s.doubles(total), dsT = s.doubles(total);
            long[] c = new long[levels + 1], m = new long[levels], dl = new long[levels];
            for (int i = 0; i <= levels; i++) c[i] = s.doubles(total >> (2 * i));
            for (int i = 0; i < levels; i++) {
                m[i] = s.doubles(total >> (2 * i));
                dl[i] = s.doubles(total >> (2 * i));
            }
            long ta = s.doubles(total), tb = s.doubles(total);

            kernels.launch1d("pl_terms", total, alpha.ptr(), input.ptr(), targets.ptr(), teacherPtr, plane, total, is0, is1, is2,
                    spec.charbonnierEps(), cntT, l1T, compT, dsT, c[0]);
            sum(s, cntT, total, sums);
            sum(s, l1T, total, sums + 8);
            sum(s, compT, total, sums + 16);
            sum(s, dsT, total, sums + 24);

            // the pyramid: c[i+1] = D G c[i]; level i's term m |c[i] - 4 G Z c[i+1]| (the terms into cntT, free now)
            for (int i = 0; i < levels; i++) {
                int hi = h >> i, wi = w >> i;
                long ti = total >> (2 * i), maskSum = sums + 8L * (4 + levels + i);
                kernels.launch1d("pl_mask", ti, input.ptr(), m[i], plane, w, hi, wi, i, ti);
                sum(s, m[i], ti, maskSum);
                kernels.launch1d("pl_blur_w", ti, c[i], ta, wi, ti, 0);
                kernels.launch1d("pl_blur_h", ti, ta, tb, hi, wi, ti, 0);
                kernels.launch1d("pl_down", ti / 4, tb, c[i + 1], hi, wi, ti / 4, 1.0, 0);
                kernels.launch1d("pl_zero_insert", ti, c[i + 1], ta, hi, wi, ti);
                kernels.launch1d("pl_blur_w", ti, ta, tb, wi, ti, 0);
                kernels.launch1d("pl_blur_h", ti, tb, ta, hi, wi, ti, 0);
                kernels.launch1d("pl_lap", ti, c[i], ta, m[i], maskSum, (double) (1 << i), spec.eps(), cntT, dl[i], ti);
                sum(s, cntT, ti, sums + 8L * (4 + i));
            }
            // the adjoint, coarse to fine: dc[i+1] -= 4 D G^T dl[i]; dc[i] = dl[i] + G^T Z dc[i+1] (over c[i])
            long dNext = c[levels];
            Cudart.memset(dNext, 0, 8L * (total >> (2 * levels)));
            for (int i = levels - 1; i >= 0; i--) {
                int hi = h >> i, wi = w >> i;
                long ti = total >> (2 * i);
                kernels.launch1d("pl_blur_h", ti, dl[i], ta, hi, wi, ti, 1);
                kernels.launch1d("pl_blur_w", ti, ta, tb, wi, ti, 1);
                kernels.launch1d("pl_down", ti / 4, tb, dNext, hi, wi, ti / 4, -4.0, 1);
                kernels.launch1d("pl_zero_insert", ti, dNext, ta, hi, wi, ti);
                kernels.launch1d("pl_blur_h", ti, ta, tb, hi, wi, ti, 1);
                kernels.launch1d("pl_blur_w", ti, tb, ta, wi, ti, 1);
                kernels.launch1d("pl_add", ti, dl[i], ta, c[i], ti);
                dNext = c[i];
            }
            kernels.launch1d("pl_grad", total, alpha.ptr(), input.ptr(), targets.ptr(), teacherPtr, c[0], sums, plane, total, is0, is1, is2,
                    spec.charbonnierEps(), spec.eps(), spec.compositionWeight(), spec.laplacianWeight(), spec.distillationWeight(),
                    grad.ptr());

            double[] v = download(sums, nSums);
            double cnt = v[0];
            double lap = 0;
            for (int i = 0; i < levels; i++) lap += (1 << i) / (v[4 + levels + i] + spec.eps()) * v[4 + i];
            return new TrainingOps.LossValues<>(v[1] / (cnt + spec.eps()), v[2] / (3 * cnt + spec.eps()), lap,
                    teacher == null ? 0 : v[3] / (cnt + spec.eps()), grad);
        }
    }

    private static double[] download(long ptr, int count) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment host = a.allocate(8L * count, 8);
            Cudart.memcpy(host.address(), ptr, 8L * count, Cudart.D2H);
            return host.toArray(JAVA_DOUBLE);
        }
    }
}
