// Serial host emulation of the CUDA loss kernels of io.pam.cuda.DeviceLosses: the kernel source is
// compiled as plain C++ with one "thread" (blockDim 1, grid 1), every grid-stride loop running
// over all elements and the block sums reduced to plain loops, and driven in the same order as
// DeviceLosses.compute. It checks the kernels' arithmetic and indexing without a GPU (not the
// launch geometry, streams or the parallel sums). Used by LossKernelsEmulation.java.
// Input file: int n, h, w, hasTeacher, levels; double wc, wl, wd, eps, charbonnierEps, std[3];
// float alpha[n h w], input[n 6 h w], targets[n 7 h w], teacher[n h w] (if any).
// Output file: double l1, composition, laplacian, distillation; float grad[n h w].
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>
typedef long long i64;
struct D3 { unsigned x = 0; };
static D3 blockIdx, threadIdx, blockDim, gridDim;
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(x)
#define __restrict__
#define __shared__ static
#define PT_LOOP(i, n) for (i64 i = 0; i < (n); i++)
inline int pt_min(int a, int b) { return a < b ? a : b; }
inline int pt_max(int a, int b) { return a > b ? a : b; }
inline i64 min(i64 a, i64 b) { return a < b ? a : b; }
double pt_block_sum(double v, double*) { return v; }
double pt_partials(const double* p, int B, double*) { double s = 0; for (int i = 0; i < B; i++) s += p[i]; return s; }
using std::fabs; using std::sqrt;
// the kernels of DeviceLosses.SOURCE, extracted by LossKernelsEmulation
#include "losses.cu"

static void sum(const double* x, i64 n, double* out) {
    i64 per = 256 * 32; int B = (int)std::min<i64>(std::max<i64>((n + per - 1) / per, 1), 256);
    i64 chunk = (n + B - 1) / B; std::vector<double> part(B);
    blockDim.x = 1; for (int b = 0; b < B; b++) { blockIdx.x = b; pl_sum_partial(x, n, chunk, part.data()); }
    blockIdx.x = 0; pl_sum_finish(part.data(), B, out);
}
int main(int argc, char** argv) {
    FILE* f = fopen(argv[1], "rb"); int hd[5]; fread(hd, 4, 5, f);
    int n = hd[0], h = hd[1], w = hd[2], hasT = hd[3], L = hd[4];
    double spec[8]; fread(spec, 8, 8, f); // wc wl wd eps ceps s0 s1 s2
    i64 plane = (i64)h * w, total = n * plane;
    std::vector<float> a(total), x(6 * total), t(7 * total), te(total);
    fread(a.data(), 4, total, f); fread(x.data(), 4, 6 * total, f); fread(t.data(), 4, 7 * total, f); if (hasT) fread(te.data(), 4, total, f);
    fclose(f);
    blockDim.x = 1; gridDim.x = 1; blockIdx.x = 0; threadIdx.x = 0;
    const float* tp = hasT ? te.data() : nullptr;
    double is0 = 1 / spec[5], is1 = 1 / spec[6], is2 = 1 / spec[7];
    int nS = 4 + 2 * L; std::vector<double> sums(nS);
    std::vector<double> cntT(total), l1T(total), compT(total), dsT(total), ta(total), tb(total);
    std::vector<std::vector<double>> c(L + 1), m(L), dl(L);
    for (int i = 0; i <= L; i++) c[i].resize(total >> (2 * i));
    for (int i = 0; i < L; i++) { m[i].resize(total >> (2 * i)); dl[i].resize(total >> (2 * i)); }
    pl_terms(a.data(), x.data(), t.data(), tp, plane, total, is0, is1, is2, spec[4], cntT.data(), l1T.data(), compT.data(), dsT.data(), c[0].data());
    sum(cntT.data(), total, &sums[0]); sum(l1T.data(), total, &sums[1]); sum(compT.data(), total, &sums[2]); sum(dsT.data(), total, &sums[3]);
    for (int i = 0; i < L; i++) {
        int hi = h >> i, wi = w >> i; i64 ti = total >> (2 * i); double* maskSum = &sums[4 + L + i];
        pl_mask(x.data(), m[i].data(), plane, w, hi, wi, i, ti);
        sum(m[i].data(), ti, maskSum);
        pl_blur_w(c[i].data(), ta.data(), wi, ti, 0);
        pl_blur_h(ta.data(), tb.data(), hi, wi, ti, 0);
        pl_down(tb.data(), c[i + 1].data(), hi, wi, ti / 4, 1.0, 0);
        pl_zero_insert(c[i + 1].data(), ta.data(), hi, wi, ti);
        pl_blur_w(ta.data(), tb.data(), wi, ti, 0);
        pl_blur_h(tb.data(), ta.data(), hi, wi, ti, 0);
        pl_lap(c[i].data(), ta.data(), m[i].data(), maskSum, (double)(1 << i), spec[3], cntT.data(), dl[i].data(), ti);
        sum(cntT.data(), ti, &sums[4 + i]);
    }
    double* dNext = c[L].data(); for (size_t j = 0; j < c[L].size(); j++) dNext[j] = 0;
    for (int i = L - 1; i >= 0; i--) {
        int hi = h >> i, wi = w >> i; i64 ti = total >> (2 * i);
        pl_blur_h(dl[i].data(), ta.data(), hi, wi, ti, 1);
        pl_blur_w(ta.data(), tb.data(), wi, ti, 1);
        pl_down(tb.data(), dNext, hi, wi, ti / 4, -4.0, 1);
        pl_zero_insert(dNext, ta.data(), hi, wi, ti);
        pl_blur_h(ta.data(), tb.data(), hi, wi, ti, 1);
        pl_blur_w(tb.data(), ta.data(), wi, ti, 1);
        pl_add(dl[i].data(), ta.data(), c[i].data(), ti);
        dNext = c[i].data();
    }
    std::vector<float> g(total);
    pl_grad(a.data(), x.data(), t.data(), tp, c[0].data(), sums.data(), plane, total, is0, is1, is2, spec[4], spec[3], spec[0], spec[1], spec[2], g.data());
    double cnt = sums[0], lap = 0;
    for (int i = 0; i < L; i++) lap += (1 << i) / (sums[4 + L + i] + spec[3]) * sums[4 + i];
    double vals[4] = {sums[1] / (cnt + spec[3]), sums[2] / (3 * cnt + spec[3]), lap, hasT ? sums[3] / (cnt + spec[3]) : 0};
    FILE* o = fopen(argv[2], "wb"); fwrite(vals, 8, 4, o); fwrite(g.data(), 4, total, o); fclose(o);
    return 0;
}
