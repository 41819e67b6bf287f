package io.pam.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The CUDA C kernels of {@link CudaTrainingOps} (everything but the convolutions, which cuDNN
 * does), compiled once per process and architecture by NVRTC and loaded per instance.
 *
 * <p>Written to mirror {@code RefTrainingOps} expression by expression (the same float/double
 * types in the same order, compiled with {@code --fmad=false} so no multiply-add is contracted),
 * so parity with the host oracle is at the level of rounding of the sums. Elementwise kernels
 * are grid-stride loops with 64-bit indices; reductions accumulate in double, in two stages
 * (see {@link #split}): many blocks per channel write partial sums, then one block per channel
 * adds them up in a fixed order, so results are deterministic. The adjoints of resize and
 * average pooling scatter with float {@code atomicAdd}.
 */
final class TrainingKernels implements AutoCloseable {
    static final int THREADS = 256;
    /** Values per thread a stage-1 reduction block aims at: enough to hide the per-block sum. */
    static final int VALUES_PER_THREAD = 32;
    /** Most blocks per channel of a stage-1 reduction (stage 2 sums them with one block of {@link #THREADS}). */
    static final int MAX_SPLIT = 128;

    /**
     * Launch geometry of a two-stage reduction of {@code values} values per channel: stage 1 runs
     * {@code blocks} blocks per channel, block b summing the flattened values {@code [b * chunk,
     * min((b + 1) * chunk, values))}.
     */
    record Split(int blocks, long chunk) {}

    /**
     * Blocks per channel: about {@link #VALUES_PER_THREAD} values per thread, at most
     * {@link #MAX_SPLIT}; the chunk is a multiple of {@link #THREADS} (aligned loads when the
     * plane is) and no block gets an empty slice.
     */
    static Split split(long values) {
        if (values <= 0) throw new IllegalArgumentException("reduction over " + values + " values");
        long perBlock = (long) THREADS * VALUES_PER_THREAD;
        long blocks = Math.clamp((values + perBlock - 1) / perBlock, 1, MAX_SPLIT);
        long chunk = (values + blocks - 1) / blocks;
        chunk = (chunk + THREADS - 1) / THREADS * THREADS;
        return new Split((int) ((values + chunk - 1) / chunk), chunk);
    }

    /**
     * Geometry for sums over each of many planes (global pooling, gate gradients): one block per
     * plane, which the count of planes keeps busy, unless a plane has more than two blocks'
     * worth of values.
     */
    static Split splitPlanes(long plane) {
        return plane <= 2L * THREADS * VALUES_PER_THREAD ? new Split(1, plane) : split(plane);
    }

    static final String SOURCE = """
            typedef long long i64;

            #define PT_LOOP(i, n) for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < (n); i += (i64)gridDim.x * blockDim.x)

            __device__ __forceinline__ int pt_min(int a, int b) { return a < b ? a : b; }
            __device__ __forceinline__ int pt_max(int a, int b) { return a > b ? a : b; }

            // sum over the block (blockDim.x == 256); every thread gets the total
            __device__ double pt_block_sum(double v, double* buf) {
                buf[threadIdx.x] = v;
                __syncthreads();
                for (int k = blockDim.x / 2; k > 0; k >>= 1) {
                    if (threadIdx.x < k) buf[threadIdx.x] += buf[threadIdx.x + k];
                    __syncthreads();
                }
                double s = buf[0];
                __syncthreads();
                return s;
            }

            // half-pixel bilinear source index of output coordinate d (RefOps.bilinearIndex)
            __device__ __forceinline__ void pt_bilinear(int in, int out, int d, int* i0, int* i1, float* lambda) {
                double scale = (double)in / out;
                double src = fmax((d + 0.5) * scale - 0.5, 0.0);
                int a = pt_min((int)src, in - 1);
                *i0 = a;
                *i1 = pt_min(a + 1, in - 1);
                *lambda = (float)(src - a);
            }

            // y[n][c][p] += b[c]
            extern "C" __global__ void __launch_bounds__(256) pt_bias(float* y, const float* __restrict__ b, int C, i64 plane, i64 total) {
                PT_LOOP(i, total) y[i] += b[(i / plane) % C];
            }

            // Per-channel reductions are two-stage: channel c's N * plane values, flattened as
            // j = n * plane + i, are cut into B contiguous slices of `chunk` values; block
            // c * B + b sums slice b into a double partial, and one block per channel then sums
            // its B partials in a fixed order (deterministic). A plane is the channel of N = 1.

            // calls f(offset of x[n][c][i]) for this thread's values j = start + threadIdx.x + k * blockDim.x < end
            template <typename F>
            __device__ __forceinline__ void pt_slice(int C, int c, i64 plane, i64 start, i64 end, F f) {
                i64 j = start + threadIdx.x;
                if (j >= end) return;
                const i64 n0 = j / plane;
                i64 i = j - n0 * plane;
                const i64 item = (i64)C * plane; // from x[n][c] to x[n + 1][c]
                i64 base = (n0 * C + c) * plane;
                while (j < end) {
                    f(base + i);
                    j += blockDim.x;
                    i += blockDim.x;
                    if (i >= plane) {
                        if (plane >= blockDim.x) { // i < 2 * plane: one wrap
                            i -= plane;
                            base += item;
                        } else { // i < 2 * blockDim.x: 32-bit division is enough
                            const unsigned q = (unsigned)i / (unsigned)plane;
                            i -= (i64)q * plane;
                            base += (i64)q * item;
                        }
                    }
                }
            }

            // the sum of the B partials p[0..B) (B <= blockDim.x), in the same order in every block
            __device__ double pt_partials(const double* __restrict__ p, int B, double* buf) {
                return pt_block_sum(threadIdx.x < B ? p[threadIdx.x] : 0.0, buf);
            }

            // stage 1 of sum over n and the plane of a[n][c] * b[n][c] (b null: a); grid C * B.
            // out non-null (only with B == 1): out[c] = (float)(sum / div); otherwise partials[c * B + b] = sum
            extern "C" __global__ void __launch_bounds__(256) pt_sum_partial(const float* __restrict__ a, const float* __restrict__ b,
                                                                          int N, int C, i64 plane, int B, i64 chunk,
                                                                          double* partials, float* out, double div) {
                __shared__ double buf[256];
                const int c = blockIdx.x / B, k = blockIdx.x % B;
                const i64 start = k * chunk, end = min(start + chunk, (i64)N * plane);
                double s = 0;
                if (b) pt_slice(C, c, plane, start, end, [&](i64 o) { s += (double)a[o] * b[o]; });
                else pt_slice(C, c, plane, start, end, [&](i64 o) { s += (double)a[o]; });
                s = pt_block_sum(s, buf);
                if (threadIdx.x == 0) {
                    if (out) out[c] = (float)(s / div);
                    else partials[blockIdx.x] = s;
                }
            }

            // stage 2 of pt_sum_partial: out[c] = (float)(sum of partials[c * B ..] / div); grid C
            extern "C" __global__ void __launch_bounds__(256) pt_sum_finish(const double* __restrict__ partials, int B, float* out, double div) {
                __shared__ double buf[256];
                const double s = pt_partials(partials + (i64)blockIdx.x * B, B, buf);
                if (threadIdx.x == 0) out[blockIdx.x] = (float)(s / div);
            }

            // training BatchNorm statistics, pass 2 of 3 (pass 1 is pt_sum_partial into sums): grid C * B,
            // sq[c * B + b] = sum over slice b of (x - mean)^2, the mean from channel c's B partial sums
            extern "C" __global__ void __launch_bounds__(256) pt_bn_sq_partial(const float* __restrict__ x, int N, int C, i64 plane,
                                                                            int B, i64 chunk, const double* __restrict__ sums,
                                                                            double* sq) {
                __shared__ double buf[256];
                const int c = blockIdx.x / B, k = blockIdx.x % B;
                const double m = (double)N * plane;
                const double mu = pt_partials(sums + (i64)c * B, B, buf) / m;
                const i64 start = k * chunk, end = min(start + chunk, (i64)N * plane);
                double q = 0;
                pt_slice(C, c, plane, start, end, [&](i64 o) {
                    double d = x[o] - mu;
                    q += d * d;
                });
                q = pt_block_sum(q, buf);
                if (threadIdx.x == 0) sq[blockIdx.x] = q;
            }

            // pass 3: one block per channel. stats[2c] = mean, stats[2c+1] = invStd (double, for pt_bn_apply)
            extern "C" __global__ void __launch_bounds__(256) pt_bn_stats_finish(const double* __restrict__ sums, const double* __restrict__ sq,
                                                                              int N, i64 plane, int B,
                                                                              float* mean, float* invStd, double* stats,
                                                                              float* runMean, float* runVar, float momentum, float eps) {
                __shared__ double buf[256];
                const int c = blockIdx.x;
                const double m = (double)N * plane;
                const double mu = pt_partials(sums + (i64)c * B, B, buf) / m;
                const double var = pt_partials(sq + (i64)c * B, B, buf) / m;
                const double inv = 1.0 / sqrt(var + eps);
                if (threadIdx.x == 0) {
                    mean[c] = (float)mu;
                    invStd[c] = (float)inv;
                    stats[2 * c] = mu;
                    stats[2 * c + 1] = inv;
                    if (runMean) {
                        runMean[c] = (float)((1 - momentum) * runMean[c] + momentum * mu);
                        double unbiased = m > 1 ? var * m / (m - 1) : var;
                        runVar[c] = (float)((1 - momentum) * runVar[c] + momentum * unbiased);
                    }
                }
            }

            extern "C" __global__ void __launch_bounds__(256) pt_bn_apply(const float* __restrict__ x, float* __restrict__ y,
                                                                       const double* __restrict__ stats, const float* __restrict__ gamma,
                                                                       const float* __restrict__ beta, int C, i64 plane, i64 total) {
                PT_LOOP(i, total) {
                    const int c = (int)((i / plane) % C);
                    const double mu = stats[2 * c], inv = stats[2 * c + 1];
                    y[i] = (float)(gamma[c] * (x[i] - mu) * inv + beta[c]);
                }
            }

            extern "C" __global__ void __launch_bounds__(256) pt_bn_eval(const float* __restrict__ x, float* __restrict__ y,
                                                                      const float* __restrict__ gamma, const float* __restrict__ beta,
                                                                      const float* __restrict__ mean, const float* __restrict__ var,
                                                                      float eps, int C, i64 plane, i64 total) {
                PT_LOOP(i, total) {
                    const int c = (int)((i / plane) % C);
                    const double inv = 1.0 / sqrt((double)(var[c] + eps));
                    y[i] = (float)(gamma[c] * (x[i] - mean[c]) * inv + beta[c]);
                }
            }

            // BatchNorm backward reductions, stage 1: grid C * B; over slice b of channel c,
            // partials[c * B + b] = sum dy (dBeta), partials[C * B + c * B + b] = sum dy * xhat (dGamma)
            extern "C" __global__ void __launch_bounds__(256) pt_bn_grad_partial(const float* __restrict__ x, const float* __restrict__ dy,
                                                                              const float* __restrict__ mean, const float* __restrict__ invStd,
                                                                              int N, int C, i64 plane, int B, i64 chunk, double* partials) {
                __shared__ double buf[256];
                const int c = blockIdx.x / B, k = blockIdx.x % B;
                const float mc = mean[c], ic = invStd[c];
                const i64 start = k * chunk, end = min(start + chunk, (i64)N * plane);
                double sb = 0, sg = 0;
                pt_slice(C, c, plane, start, end, [&](i64 o) {
                    double d = dy[o];
                    sb += d;
                    sg += d * (x[o] - mc) * ic;
                });
                sb = pt_block_sum(sb, buf);
                sg = pt_block_sum(sg, buf);
                if (threadIdx.x == 0) {
                    partials[blockIdx.x] = sb;
                    partials[(i64)C * B + blockIdx.x] = sg;
                }
            }

            // stage 2, one block per channel: dBeta, dGamma; sums[2c], sums[2c+1] in double for pt_bn_grad_apply
            extern "C" __global__ void __launch_bounds__(256) pt_bn_grad_finish(const double* __restrict__ partials, int C, int B,
                                                                             float* dGamma, float* dBeta, double* sums) {
                __shared__ double buf[256];
                const int c = blockIdx.x;
                const double sb = pt_partials(partials + (i64)c * B, B, buf);
                const double sg = pt_partials(partials + (i64)C * B + (i64)c * B, B, buf);
                if (threadIdx.x == 0) {
                    dBeta[c] = (float)sb;
                    dGamma[c] = (float)sg;
                    sums[2 * c] = sb;
                    sums[2 * c + 1] = sg;
                }
            }

            extern "C" __global__ void __launch_bounds__(256) pt_bn_grad_apply(const float* __restrict__ x, const float* __restrict__ dy,
                                                                            const float* __restrict__ mean, const float* __restrict__ invStd,
                                                                            const float* __restrict__ gamma, const double* __restrict__ sums,
                                                                            float* __restrict__ dx, int C, i64 plane, double m, i64 total) {
                PT_LOOP(i, total) {
                    const int c = (int)((i / plane) % C);
                    const double sb = sums[2 * c], sg = sums[2 * c + 1];
                    const double scale = gamma[c] * invStd[c] / m;
                    const double xhat = (x[i] - mean[c]) * invStd[c];
                    dx[i] = (float)(scale * (m * dy[i] - sb - xhat * sg));
                }
            }

            // act: 0 none, 1 ReLU, 2 sigmoid
            extern "C" __global__ void __launch_bounds__(256) pt_act(const float* __restrict__ x, float* __restrict__ y, int act, i64 total) {
                PT_LOOP(i, total) {
                    const float v = x[i];
                    y[i] = act == 1 ? fmaxf(v, 0.0f) : act == 2 ? (float)(1.0 / (1.0 + exp(-(double)v))) : v;
                }
            }

            extern "C" __global__ void __launch_bounds__(256) pt_act_grad(const float* __restrict__ y, const float* __restrict__ dy,
                                                                       float* __restrict__ dx, int act, i64 total) {
                PT_LOOP(i, total) {
                    const float v = y[i];
                    dx[i] = act == 1 ? (v > 0 ? dy[i] : 0.0f) : dy[i] * v * (1 - v);
                }
            }

            extern "C" __global__ void __launch_bounds__(256) pt_add(const float* __restrict__ a, const float* __restrict__ b,
                                                                  float* __restrict__ y, i64 total) {
                PT_LOOP(i, total) y[i] = a[i] + b[i];
            }

            extern "C" __global__ void __launch_bounds__(256) pt_accumulate(float* a, const float* __restrict__ b, i64 total) {
                PT_LOOP(i, total) a[i] += b[i];
            }

            extern "C" __global__ void __launch_bounds__(256) pt_scale(float* a, float s, i64 total) {
                PT_LOOP(i, total) a[i] *= s;
            }

            // y[q][p] = x[q][p] * g[q], q = n * C + c
            extern "C" __global__ void __launch_bounds__(256) pt_channel_mul(const float* __restrict__ x, const float* __restrict__ g,
                                                                          float* __restrict__ y, i64 plane, i64 total) {
                PT_LOOP(i, total) y[i] = x[i] * g[i / plane];
            }

            // copies channels [srcOff, srcOff + c) of every item of src (srcC channels) to [dstOff, ...) of dst (dstC channels)
            extern "C" __global__ void __launch_bounds__(256) pt_copy_channels(const float* __restrict__ src, float* __restrict__ dst,
                                                                            i64 srcC, i64 srcOff, i64 dstC, i64 dstOff, i64 c,
                                                                            i64 plane, i64 total) {
                const i64 item = c * plane;
                PT_LOOP(i, total) {
                    const i64 n = i / item, r = i - n * item;
                    dst[(n * dstC + dstOff) * plane + r] = src[(n * srcC + srcOff) * plane + r];
                }
            }

            extern "C" __global__ void __launch_bounds__(256) pt_resize(const float* __restrict__ x, float* __restrict__ y,
                                                                     int ih, int iw, int oh, int ow, i64 total) {
                PT_LOOP(i, total) {
                    const int q = (int)(i % ow);
                    const i64 t = i / ow;
                    const int r = (int)(t % oh);
                    const i64 nc = t / oh;
                    int y0, y1, x0, x1;
                    float wy, wx;
                    pt_bilinear(ih, oh, r, &y0, &y1, &wy);
                    pt_bilinear(iw, ow, q, &x0, &x1, &wx);
                    const float* p = x + nc * ih * iw;
                    const float top = p[(i64)y0 * iw + x0] * (1 - wx) + p[(i64)y0 * iw + x1] * wx;
                    const float bot = p[(i64)y1 * iw + x0] * (1 - wx) + p[(i64)y1 * iw + x1] * wx;
                    y[i] = top * (1 - wy) + bot * wy;
                }
            }

            // adjoint of pt_resize: dx must be zeroed first
            extern "C" __global__ void __launch_bounds__(256) pt_resize_grad(const float* __restrict__ dy, float* dx,
                                                                          int ih, int iw, int oh, int ow, i64 total) {
                PT_LOOP(i, total) {
                    const int q = (int)(i % ow);
                    const i64 t = i / ow;
                    const int r = (int)(t % oh);
                    const i64 nc = t / oh;
                    int y0, y1, x0, x1;
                    float wy, wx;
                    pt_bilinear(ih, oh, r, &y0, &y1, &wy);
                    pt_bilinear(iw, ow, q, &x0, &x1, &wx);
                    float* p = dx + nc * ih * iw;
                    const double g = dy[i], dwy = wy, dwx = wx;
                    atomicAdd(p + (i64)y0 * iw + x0, (float)(g * (1 - dwy) * (1 - dwx)));
                    atomicAdd(p + (i64)y0 * iw + x1, (float)(g * (1 - dwy) * dwx));
                    atomicAdd(p + (i64)y1 * iw + x0, (float)(g * dwy * (1 - dwx)));
                    atomicAdd(p + (i64)y1 * iw + x1, (float)(g * dwy * dwx));
                }
            }

            // square window k, stride s, padding pad, padding excluded from the count
            extern "C" __global__ void __launch_bounds__(256) pt_avg_pool(const float* __restrict__ x, float* __restrict__ y,
                                                                       int ih, int iw, int oh, int ow, int k, int s, int pad, i64 total) {
                PT_LOOP(i, total) {
                    const int ox = (int)(i % ow);
                    const i64 t = i / ow;
                    const int oy = (int)(t % oh);
                    const i64 nc = t / oh;
                    const int y0 = pt_max(oy * s - pad, 0), y1 = pt_min(oy * s - pad + k, ih);
                    const int x0 = pt_max(ox * s - pad, 0), x1 = pt_min(ox * s - pad + k, iw);
                    const float* p = x + nc * ih * iw;
                    double sum = 0;
                    for (int yy = y0; yy < y1; yy++)
                        for (int xx = x0; xx < x1; xx++) sum += p[(i64)yy * iw + xx];
                    y[i] = (float)(sum / ((y1 - y0) * (x1 - x0)));
                }
            }

            // adjoint of pt_avg_pool: dx must be zeroed first
            extern "C" __global__ void __launch_bounds__(256) pt_avg_pool_grad(const float* __restrict__ dy, float* dx,
                                                                            int ih, int iw, int oh, int ow, int k, int s, int pad, i64 total) {
                PT_LOOP(i, total) {
                    const int ox = (int)(i % ow);
                    const i64 t = i / ow;
                    const int oy = (int)(t % oh);
                    const i64 nc = t / oh;
                    const int y0 = pt_max(oy * s - pad, 0), y1 = pt_min(oy * s - pad + k, ih);
                    const int x0 = pt_max(ox * s - pad, 0), x1 = pt_min(ox * s - pad + k, iw);
                    float* p = dx + nc * ih * iw;
                    const float g = (float)((double)dy[i] / ((y1 - y0) * (x1 - x0)));
                    for (int yy = y0; yy < y1; yy++)
                        for (int xx = x0; xx < x1; xx++) atomicAdd(p + (i64)yy * iw + xx, g);
                }
            }

            // dx[q][p] = dy[q] / plane (the adjoint of a global average)
            extern "C" __global__ void __launch_bounds__(256) pt_expand(const float* __restrict__ dy, float* __restrict__ dx, int plane, i64 total) {
                PT_LOOP(i, total) dx[i] = dy[i / plane] / plane;
            }

            // y[i] = src[i % len] (an embedding row repeated for each batch item)
            extern "C" __global__ void __launch_bounds__(256) pt_tile(const float* __restrict__ src, float* __restrict__ y, i64 len, i64 total) {
                PT_LOOP(i, total) y[i] = src[i % len];
            }

            // alpha = clamp(pred, 0, 1) * x[4] + x[5] per item; x has inC channels
            extern "C" __global__ void __launch_bounds__(256) pt_composite(const float* __restrict__ pred, const float* __restrict__ x,
                                                                        float* __restrict__ y, int inC, i64 plane, i64 total) {
                PT_LOOP(i, total) {
                    const i64 n = i / plane, p = i - n * plane;
                    const float a = fminf(fmaxf(pred[i], 0.0f), 1.0f);
                    y[i] = a * x[(n * inC + 4) * plane + p] + x[(n * inC + 5) * plane + p];
                }
            }

            // restoring pass-through (RefTrainingOps.compositeBackward)
            extern "C" __global__ void __launch_bounds__(256) pt_composite_grad(const float* __restrict__ pred, const float* __restrict__ x,
                                                                             const float* __restrict__ dy, float* __restrict__ d,
                                                                             int inC, i64 plane, i64 total) {
                PT_LOOP(i, total) {
                    const i64 n = i / plane, p = i - n * plane;
                    const float v = pred[i], g = dy[i];
                    const bool passes = (v > 0.0f && v < 1.0f) || (v <= 0.0f && g < 0.0f) || (v >= 1.0f && g > 0.0f);
                    d[i] = passes ? g * x[(n * inC + 4) * plane + p] : 0.0f;
                }
            }

            extern "C" __global__ void __launch_bounds__(256) pt_adam(float* p, const float* __restrict__ g, float* m, float* v,
                                                                   double b1, double b2, double decay, double stepSize, int adaptive,
                                                                   double eps, i64 total) {
                PT_LOOP(i, total) {
                    const double gi = g[i];
                    const double mi = b1 * m[i] + (1 - b1) * gi;
                    const double vi = b2 * v[i] + (1 - b2) * gi * gi;
                    m[i] = (float)mi;
                    v[i] = (float)vi;
                    const double step = adaptive ? stepSize * mi / (sqrt(vi) + eps) : stepSize * mi;
                    p[i] = (float)(p[i] * decay - step);
                }
            }
            """;

    private final KernelModule module;
    /** One reusable argument block: cuLaunchKernel copies the values before it returns. */
    private final Arena arena = Arena.ofShared();
    private static final int MAX_ARGS = 24;
    private final MemorySegment values = arena.allocate(8L * MAX_ARGS, 8);
    private final MemorySegment params = arena.allocate(ADDRESS, MAX_ARGS);

    /** Debugging: wait for every kernel, so an asynchronous fault is reported with the kernel's name. */
    private final boolean syncEach;

    /**
     * Compiles (once per process and architecture) and loads the kernels into the current context.
     *
     * @param syncEach synchronise after every launch (debugging; slow)
     */
    TrainingKernels(int arch, boolean syncEach) {
        this.syncEach = syncEach;
        try {
            module = new KernelModule(SOURCE + DeviceLosses.SOURCE, "pam_training_kernels.cu", arch, List.of("--fmad=false"));
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
        for (int i = 0; i < MAX_ARGS; i++) params.setAtIndex(ADDRESS, i, values.asSlice(8L * i, 8));
    }

    /** Launches {@code name} with {@code blocks} blocks of 256 threads; arguments as {@link KernelModule#putArg}. */
    void launch(String name, long blocks, Object... args) {
        if (args.length > MAX_ARGS) throw new IllegalArgumentException(name + ": too many kernel arguments");
        if (blocks < 1 || blocks > Integer.MAX_VALUE) throw new IllegalArgumentException(name + ": bad grid of " + blocks + " blocks");
        for (int i = 0; i < args.length; i++) KernelModule.putArg(values, 8L * i, args[i]);
        CuDriver.launch(module.function(name), (int) blocks, 1, 1, THREADS, 1, 1, 0, params.address(), name);
        if (syncEach) checkpoint(name);
    }

    /** Waits for the device; a fault of the work just queued is reported naming it. */
    static void checkpoint(String what) {
        try {
            Cudart.synchronize();
        } catch (CudaException e) {
            throw new CudaException(what + " failed on the device: " + e.getMessage(), e);
        }
    }

    /** A grid-stride launch over {@code n} elements (nothing to do for n = 0). */
    void launch1d(String name, long n, Object... args) {
        if (n <= 0) return;
        launch(name, Math.max(1, Math.min((n + THREADS - 1) / THREADS, 65535L * 8)), args);
    }

    @Override
    public void close() {
        try {
            module.close();
        } finally {
            arena.close();
        }
    }
}
