package io.pam.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The CUDA C kernels for the ops cuDNN has no call for (bilinear resize with half-pixel centres,
 * the final composite, global and padding-excluded average pooling, elementwise add, channel
 * gate, bias+activation after a plain convolution, and a tiled depthwise convolution), compiled
 * once per process and architecture by NVRTC and loaded per engine as a module.
 *
 * <p>Activation codes: 0 none, 1 ReLU, 2 sigmoid. Every kernel indexes with 64-bit integers.
 */
final class Kernels implements AutoCloseable {
    static final String SOURCE = """
            typedef long long i64;

            __device__ __forceinline__ float pam_act(float v, int act) {
                if (act == 1) return fmaxf(v, 0.0f);
                if (act == 2) return 1.0f / (1.0f + expf(-v));
                return v;
            }

            __device__ __forceinline__ int pam_min(int a, int b) { return a < b ? a : b; }
            __device__ __forceinline__ int pam_max(int a, int b) { return a > b ? a : b; }

            #define PAM_LOOP(i, n) for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < (n); i += (i64)gridDim.x * blockDim.x)

            // y[c][p] = act(y[c][p] + bias[c]) in place
            extern "C" __global__ void pam_bias_act(float* y, const float* __restrict__ bias, i64 plane, i64 n, int act) {
                PAM_LOOP(i, n) y[i] = pam_act(y[i] + bias[i / plane], act);
            }

            extern "C" __global__ void pam_add(const float* __restrict__ a, const float* __restrict__ b, float* __restrict__ y, i64 n) {
                PAM_LOOP(i, n) y[i] = a[i] + b[i];
            }

            // y[c][p] = x[c][p] * g[c]
            extern "C" __global__ void pam_channel_mul(const float* __restrict__ x, const float* __restrict__ g, float* __restrict__ y,
                                                       i64 plane, i64 n) {
                PAM_LOOP(i, n) y[i] = x[i] * g[i / plane];
            }

            // bilinear, half-pixel centres (align_corners=False), source coordinates clamped at 0 and at the last sample
            extern "C" __global__ void pam_resize(const float* __restrict__ x, float* __restrict__ y, int c, int ih, int iw, int oh, int ow) {
                const float sy = (float)ih / (float)oh, sx = (float)iw / (float)ow;
                const i64 n = (i64)c * oh * ow;
                PAM_LOOP(i, n) {
                    const int ox = (int)(i % ow);
                    const i64 t = i / ow;
                    const int oy = (int)(t % oh);
                    const i64 ch = t / oh;
                    const float fy = fmaxf((oy + 0.5f) * sy - 0.5f, 0.0f);
                    const float fx = fmaxf((ox + 0.5f) * sx - 0.5f, 0.0f);
                    const int y0 = pam_min((int)fy, ih - 1), x0 = pam_min((int)fx, iw - 1);
                    const int y1 = pam_min(y0 + 1, ih - 1), x1 = pam_min(x0 + 1, iw - 1);
                    const float ly = fy - (float)y0, lx = fx - (float)x0;
                    const float* p = x + ch * ih * iw;
                    const float top = p[(i64)y0 * iw + x0] * (1.0f - lx) + p[(i64)y0 * iw + x1] * lx;
                    const float bot = p[(i64)y1 * iw + x0] * (1.0f - lx) + p[(i64)y1 * iw + x1] * lx;
                    y[i] = top * (1.0f - ly) + bot * ly;
                }
            }

            // one block of 256 threads per channel
            extern "C" __global__ void pam_global_avg(const float* __restrict__ x, float* __restrict__ y, i64 plane) {
                __shared__ float buf[256];
                const float* p = x + (i64)blockIdx.x * plane;
                float s = 0.0f;
                for (i64 i = threadIdx.x; i < plane; i += blockDim.x) s += p[i];
                buf[threadIdx.x] = s;
                __syncthreads();
                for (int k = blockDim.x / 2; k > 0; k >>= 1) {
                    if (threadIdx.x < k) buf[threadIdx.x] += buf[threadIdx.x + k];
                    __syncthreads();
                }
                if (threadIdx.x == 0) y[blockIdx.x] = buf[0] / (float)plane;
            }

            // square window k, stride s, padding pad, padding excluded from the count
            extern "C" __global__ void pam_avg_pool(const float* __restrict__ x, float* __restrict__ y, int c, int ih, int iw,
                                                    int oh, int ow, int k, int s, int pad) {
                const i64 n = (i64)c * oh * ow;
                PAM_LOOP(i, n) {
                    const int ox = (int)(i % ow);
                    const i64 t = i / ow;
                    const int oy = (int)(t % oh);
                    const i64 ch = t / oh;
                    const int y0 = pam_max(oy * s - pad, 0), y1 = pam_min(oy * s - pad + k, ih);
                    const int x0 = pam_max(ox * s - pad, 0), x1 = pam_min(ox * s - pad + k, iw);
                    const float* p = x + ch * ih * iw;
                    float sum = 0.0f;
                    for (int yy = y0; yy < y1; yy++)
                        for (int xx = x0; xx < x1; xx++) sum += p[(i64)yy * iw + xx];
                    y[i] = sum / (float)((y1 - y0) * (x1 - x0));
                }
            }

            // alpha = clamp(pred, 0, 1) * x[4] + x[5]
            extern "C" __global__ void pam_composite(const float* __restrict__ pred, const float* __restrict__ x, float* __restrict__ y,
                                                     i64 plane) {
                PAM_LOOP(i, plane) {
                    const float a = fminf(fmaxf(pred[i], 0.0f), 1.0f);
                    y[i] = a * x[4 * plane + i] + x[5 * plane + i];
                }
            }

            // Depthwise KxK convolution, stride 1, padding K/2, fused bias and activation.
            // Block 32x4 threads computes a 32x32 output tile of one channel: lane = output row,
            // each of the 4 warps R=8 consecutive columns. The input tile's row stride is odd so that
            // the 32 lanes (32 rows) of a warp read 32 different banks; weights are broadcast reads.
            template <int K>
            __device__ __forceinline__ void pam_dw_body(const float* __restrict__ x, const float* __restrict__ w,
                                                        const float* __restrict__ b, float* __restrict__ y, int H, int W, int act) {
                constexpr int R = 8;
                constexpr int TH = 32;
                constexpr int TW = 4 * R;
                constexpr int SH = TH + K - 1;
                constexpr int LW = TW + K - 1;
                constexpr int SW = LW | 1;
                __shared__ float tile[SH * SW];
                __shared__ float wk[K * K];
                const int c = blockIdx.z;
                const int pad = K / 2;
                const int oy0 = blockIdx.y * TH, ox0 = blockIdx.x * TW;
                const float* xc = x + (i64)c * H * W;
                const int tid = threadIdx.y * 32 + threadIdx.x;
                for (int i = tid; i < K * K; i += 128) wk[i] = w[(i64)c * K * K + i];
                for (int i = tid; i < SH * LW; i += 128) {
                    const int sy = i / LW, sx = i - sy * LW;
                    const int iy = oy0 - pad + sy, ix = ox0 - pad + sx;
                    tile[sy * SW + sx] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? xc[(i64)iy * W + ix] : 0.0f;
                }
                __syncthreads();
                const int lane = threadIdx.x, grp = threadIdx.y;
                float acc[R];
            #pragma unroll
                for (int j = 0; j < R; j++) acc[j] = 0.0f;
            #pragma unroll
                for (int ky = 0; ky < K; ky++) {
                    const float* row = tile + (lane + ky) * SW + grp * R;
                    float xv[R + K - 1];
            #pragma unroll
                    for (int i = 0; i < R + K - 1; i++) xv[i] = row[i];
            #pragma unroll
                    for (int kx = 0; kx < K; kx++) {
                        const float wv = wk[ky * K + kx];
            #pragma unroll
                        for (int j = 0; j < R; j++) acc[j] = fmaf(xv[j + kx], wv, acc[j]);
                    }
                }
                const int oy = oy0 + lane;
                if (oy < H) {
                    const float bias = b[c];
                    float* yr = y + (i64)c * H * W + (i64)oy * W;
            #pragma unroll
                    for (int j = 0; j < R; j++) {
                        const int ox = ox0 + grp * R + j;
                        if (ox < W) yr[ox] = pam_act(acc[j] + bias, act);
                    }
                }
            }

            #define PAM_DW(K) extern "C" __global__ void __launch_bounds__(128) pam_dw##K(const float* __restrict__ x, \\
                const float* __restrict__ w, const float* __restrict__ b, float* __restrict__ y, int H, int W, int act) { \\
                pam_dw_body<K>(x, w, b, y, H, W, act); }
            PAM_DW(3)
            PAM_DW(5)
            PAM_DW(7)
            PAM_DW(9)
            PAM_DW(11)
            PAM_DW(13)
            PAM_DW(15)
            """;

    /** Kernel sizes with a dedicated depthwise kernel. */
    static boolean hasDepthwise(int k) {
        return k >= 3 && k <= 15 && k % 2 == 1;
    }

    private final KernelModule module;

    /** Compiles (once per process and architecture) and loads the kernels into the current context. */
    Kernels(int arch) {
        module = new KernelModule(SOURCE, "pam_kernels.cu", arch, List.of());
    }

    long function(String name) {
        return module.function(name);
    }

    /**
     * A launch prepared once (arguments fixed at plan time): the argument values and the
     * {@code void*[]} pointing at them live in {@code arena}.
     */
    record Launch(String name, long function, int gx, int gy, int gz, int bx, int by, int bz, MemorySegment params) {
        void run() {
            CuDriver.launch(function, gx, gy, gz, bx, by, bz, 0, params.address(), name);
        }
    }

    /** Prepares a launch; arguments as {@link KernelModule#putArg}, each in an 8-byte slot. */
    Launch prepare(Arena arena, String name, int gx, int gy, int gz, int bx, int by, int bz, Object... args) {
        MemorySegment values = arena.allocate(8L * Math.max(args.length, 1), 8);
        MemorySegment params = arena.allocate(ADDRESS, Math.max(args.length, 1));
        for (int i = 0; i < args.length; i++) {
            KernelModule.putArg(values, 8L * i, args[i]);
            params.setAtIndex(ADDRESS, i, values.asSlice(8L * i, 8));
        }
        return new Launch(name, function(name), gx, gy, gz, bx, by, bz, params);
    }

    /** A 1-d grid-stride launch over {@code n} elements. */
    Launch prepare1d(Arena arena, String name, long n, Object... args) {
        int blocks = (int) Math.max(1, Math.min((n + 255) / 256, 65535L * 8));
        return prepare(arena, name, blocks, 1, 1, 256, 1, 1, args);
    }

    @Override
    public void close() {
        module.close();
    }
}
