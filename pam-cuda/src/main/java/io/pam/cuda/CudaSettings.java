package io.pam.cuda;

import java.util.Locale;

/**
 * Knobs of the CUDA engine. {@link #fromSystemProperties()} reads them once per engine from
 * {@code pam.cuda.*} properties (documented in {@code docs/cuda.md}).
 *
 * @param math              FP32, the default (FP32 FMA kernels only: parity with the reference, max
 *                          abs alpha error 1.5e-6 on an H200), or TF32, opt-in with
 *                          {@code -Dpam.cuda.math=tf32} or {@link #withMath} (tensor cores with
 *                          TF32 conversion, 10-bit mantissa products: 3.6e-4 max abs alpha error on
 *                          random weights, network 24% faster at 2048x2048 on an H200)
 * @param depthwiseKernel   depthwise convolutions by our tiled NVRTC kernel (true) or by cuDNN
 *                          grouped convolution (false)
 * @param poolingKernel     windowed average pooling by our kernel (true) or cudnnPoolingForward
 * @param measureAlgorithms choose convolution algorithms by timing them
 *                          (cudnnFindConvolutionForwardAlgorithmEx) rather than by cuDNN's heuristic
 * @param workspaceLimitBytes largest convolution workspace an algorithm may use
 * @param reuseMemory       share device buffers between tensors whose lifetimes do not overlap;
 *                          false keeps every intermediate tensor (diagnostics)
 * @param device            CUDA device ordinal
 */
public record CudaSettings(MathMode math, boolean depthwiseKernel, boolean poolingKernel, boolean measureAlgorithms,
                           long workspaceLimitBytes, boolean reuseMemory, int device) {

    /** Convolution arithmetic (see the {@code math} parameter). */
    public enum MathMode {
        /** Exact FP32 (cuDNN restricted to FMA math): the default, matches the reference to ~1e-6. */
        FP32,
        /** TF32 tensor cores: faster on Ampere and newer, alpha within ~4e-4 of FP32. */
        TF32
    }

    public CudaSettings {
        if (math == null) throw new IllegalArgumentException("math mode is required (FP32 or TF32)");
        if (workspaceLimitBytes < 0) throw new IllegalArgumentException("workspace limit must be >= 0, got " + workspaceLimitBytes);
        if (device < 0) throw new IllegalArgumentException("device must be >= 0, got " + device);
    }

    /** FP32, our depthwise kernel, cuDNN pooling, measured algorithms, 1 GiB workspace, reuse, device 0. */
    public static CudaSettings defaults() {
        return new CudaSettings(MathMode.FP32, true, false, true, 1L << 30, true, 0);
    }

    /**
     * Defaults overridden by {@code pam.cuda.math} (fp32|tf32), {@code pam.cuda.depthwise}
     * (kernel|cudnn), {@code pam.cuda.pooling} (cudnn|kernel), {@code pam.cuda.algo}
     * (measure|heuristic), {@code pam.cuda.workspaceMb}, {@code pam.cuda.device}.
     */
    public static CudaSettings fromSystemProperties() {
        CudaSettings d = defaults();
        MathMode math = switch (prop("pam.cuda.math", "fp32")) {
            case "fp32" -> MathMode.FP32;
            case "tf32" -> MathMode.TF32;
            default -> throw bad("pam.cuda.math", "fp32, tf32");
        };
        boolean dw = choice("pam.cuda.depthwise", "kernel", "cudnn");
        boolean pool = !choice("pam.cuda.pooling", "cudnn", "kernel");
        boolean measure = choice("pam.cuda.algo", "measure", "heuristic");
        long ws = Long.parseLong(prop("pam.cuda.workspaceMb", String.valueOf(d.workspaceLimitBytes() >> 20))) << 20;
        int device = Integer.parseInt(prop("pam.cuda.device", "0"));
        return new CudaSettings(math, dw, pool, measure, ws, true, device);
    }

    public CudaSettings withMath(MathMode m) {
        return new CudaSettings(m, depthwiseKernel, poolingKernel, measureAlgorithms, workspaceLimitBytes, reuseMemory, device);
    }

    public CudaSettings withDepthwiseKernel(boolean b) {
        return new CudaSettings(math, b, poolingKernel, measureAlgorithms, workspaceLimitBytes, reuseMemory, device);
    }

    public CudaSettings withPoolingKernel(boolean b) {
        return new CudaSettings(math, depthwiseKernel, b, measureAlgorithms, workspaceLimitBytes, reuseMemory, device);
    }

    public CudaSettings withMeasureAlgorithms(boolean b) {
        return new CudaSettings(math, depthwiseKernel, poolingKernel, b, workspaceLimitBytes, reuseMemory, device);
    }

    public CudaSettings withReuseMemory(boolean b) {
        return new CudaSettings(math, depthwiseKernel, poolingKernel, measureAlgorithms, workspaceLimitBytes, b, device);
    }

    @Override
    public String toString() {
        return math.name().toLowerCase(Locale.ROOT) + ", depthwise=" + (depthwiseKernel ? "kernel" : "cudnn")
                + ", pooling=" + (poolingKernel ? "kernel" : "cudnn") + ", algo=" + (measureAlgorithms ? "measure" : "heuristic")
                + (reuseMemory ? "" : ", no reuse");
    }

    private static String prop(String name, String def) {
        return System.getProperty(name, def).trim().toLowerCase(Locale.ROOT);
    }

    /** True for the first value, false for the second, else an error naming both. */
    private static boolean choice(String name, String first, String second) {
        String v = prop(name, first);
        if (v.equals(first)) return true;
        if (v.equals(second)) return false;
        throw bad(name, first + ", " + second);
    }

    private static IllegalArgumentException bad(String name, String allowed) {
        return new IllegalArgumentException("-D" + name + "=" + System.getProperty(name) + " is not valid; allowed: " + allowed);
    }
}
