package io.pam.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The cuDNN calls we use: the legacy imperative API (convolution, fused conv+bias+activation,
 * pooling), still shipped in cuDNN 9's {@code libcudnn_cnn}/{@code libcudnn_ops} behind the
 * {@code libcudnn} shim. Handles and descriptors are {@code long}s, device pointers too.
 */
final class Cudnn {
    private Cudnn() {}

    // enums (cudnn_graph.h / cudnn_ops.h / cudnn_cnn.h)
    static final int DATA_FLOAT = 0;
    static final int TENSOR_NCHW = 0, TENSOR_NHWC = 1;
    static final int CROSS_CORRELATION = 1;
    static final int DEFAULT_MATH = 0, TENSOR_OP_MATH_ALLOW_CONVERSION = 2, FMA_MATH = 3;
    static final int ACTIVATION_SIGMOID = 0, ACTIVATION_RELU = 1, ACTIVATION_IDENTITY = 5;
    static final int NOT_PROPAGATE_NAN = 0;
    static final int POOLING_AVERAGE_EXCLUDE_PADDING = 2;
    static final int ALGO_IMPLICIT_PRECOMP_GEMM = 1;
    static final String[] ALGO_NAMES = {"IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM", "DIRECT", "FFT", "FFT_TILING",
            "WINOGRAD", "WINOGRAD_NONFUSED"};

    /** cudnnConvolutionFwdAlgoPerf_t: algo, status, time, memory, determinism, mathType, reserved[3]. */
    static final StructLayout ALGO_PERF = MemoryLayout.structLayout(
            JAVA_INT.withName("algo"), JAVA_INT.withName("status"), JAVA_FLOAT.withName("time"),
            MemoryLayout.paddingLayout(4), JAVA_LONG.withName("memory"), JAVA_INT.withName("determinism"),
            JAVA_INT.withName("mathType"), MemoryLayout.sequenceLayout(3, JAVA_INT).withName("reserved"),
            MemoryLayout.paddingLayout(4));

    /** The shim first; a symbol it lacks is looked up in the sub-libraries (cnn, ops, graph). */
    private static final List<Native.Library> LIBS = libraries();

    private static List<Native.Library> libraries() {
        List<Native.Library> l = new ArrayList<>();
        l.add(CudaLibraries.get().cudnn());
        l.addAll(CudaLibraries.get().cudnnParts());
        return List.copyOf(l);
    }

    private static MethodHandle downcall(String symbol, FunctionDescriptor fd) {
        return Native.downcall(LIBS, symbol, fd);
    }
    private static final MethodHandle GET_VERSION = downcall("cudnnGetVersion", FunctionDescriptor.of(JAVA_LONG));
    private static final MethodHandle GET_ERROR_STRING = downcall("cudnnGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle CREATE = downcall("cudnnCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle DESTROY = downcall("cudnnDestroy", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle CREATE_TENSOR = downcall("cudnnCreateTensorDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SET_TENSOR_4D = downcall("cudnnSetTensor4dDescriptor",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle DESTROY_TENSOR = downcall("cudnnDestroyTensorDescriptor", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle CREATE_FILTER = downcall("cudnnCreateFilterDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SET_FILTER_4D = downcall("cudnnSetFilter4dDescriptor",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle DESTROY_FILTER = downcall("cudnnDestroyFilterDescriptor", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle CREATE_CONV = downcall("cudnnCreateConvolutionDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SET_CONV_2D = downcall("cudnnSetConvolution2dDescriptor", FunctionDescriptor.of(JAVA_INT,
            JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SET_CONV_GROUPS = downcall("cudnnSetConvolutionGroupCount", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle SET_CONV_MATH = downcall("cudnnSetConvolutionMathType", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT));
    private static final MethodHandle CONV_OUTPUT_DIM = downcall("cudnnGetConvolution2dForwardOutputDim",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle DESTROY_CONV = downcall("cudnnDestroyConvolutionDescriptor", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle GET_ALGO_V7 = downcall("cudnnGetConvolutionForwardAlgorithm_v7", FunctionDescriptor.of(JAVA_INT,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle FIND_ALGO_EX = downcall("cudnnFindConvolutionForwardAlgorithmEx", FunctionDescriptor.of(JAVA_INT,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS,
            JAVA_LONG, JAVA_LONG));
    private static final MethodHandle WORKSPACE_SIZE = downcall("cudnnGetConvolutionForwardWorkspaceSize", FunctionDescriptor.of(JAVA_INT,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS));
    private static final MethodHandle CONV_FORWARD = downcall("cudnnConvolutionForward", FunctionDescriptor.of(JAVA_INT,
            JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS,
            JAVA_LONG, JAVA_LONG));
    private static final MethodHandle CONV_BIAS_ACT = downcall("cudnnConvolutionBiasActivationForward", FunctionDescriptor.of(JAVA_INT,
            JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS,
            JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG));
    /**
     * The backward-convolution calls (training only), bound on first use so that a cuDNN lacking
     * them cannot break inference. Same argument order as the forward ones, the tensors' roles swapped.
     */
    private static final class Bwd {
        private static final MethodHandle GET_BWD_DATA_ALGO_V7 = downcall("cudnnGetConvolutionBackwardDataAlgorithm_v7",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
        private static final MethodHandle BWD_DATA_WORKSPACE_SIZE = downcall("cudnnGetConvolutionBackwardDataWorkspaceSize",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS));
        private static final MethodHandle CONV_BWD_DATA = downcall("cudnnConvolutionBackwardData", FunctionDescriptor.of(JAVA_INT,
                JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS,
                JAVA_LONG, JAVA_LONG));
        private static final MethodHandle GET_BWD_FILTER_ALGO_V7 = downcall("cudnnGetConvolutionBackwardFilterAlgorithm_v7",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
        private static final MethodHandle BWD_FILTER_WORKSPACE_SIZE = downcall("cudnnGetConvolutionBackwardFilterWorkspaceSize",
                FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS));
        private static final MethodHandle CONV_BWD_FILTER = downcall("cudnnConvolutionBackwardFilter", FunctionDescriptor.of(JAVA_INT,
                JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS,
                JAVA_LONG, JAVA_LONG));
    }

    private static final MethodHandle CREATE_ACTIVATION = downcall("cudnnCreateActivationDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SET_ACTIVATION = downcall("cudnnSetActivationDescriptor",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_DOUBLE));
    private static final MethodHandle DESTROY_ACTIVATION = downcall("cudnnDestroyActivationDescriptor", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle CREATE_POOLING = downcall("cudnnCreatePoolingDescriptor", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SET_POOLING_2D = downcall("cudnnSetPooling2dDescriptor", FunctionDescriptor.of(JAVA_INT,
            JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle POOLING_OUTPUT_DIM = downcall("cudnnGetPooling2dForwardOutputDim",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle POOLING_FORWARD = downcall("cudnnPoolingForward", FunctionDescriptor.of(JAVA_INT,
            JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle DESTROY_POOLING = downcall("cudnnDestroyPoolingDescriptor", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));

    static void check(int status, String fn) {
        Native.checkStatus(status, fn, GET_ERROR_STRING, "cudnnStatus");
    }

    /** e.g. 91400 for 9.14.0. */
    static long version() {
        try {
            return (long) GET_VERSION.invokeExact();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static String versionString() {
        long v = version();
        return v >= 90000 ? v / 10000 + "." + v % 10000 / 100 + "." + v % 100 : v / 1000 + "." + v % 1000 / 100 + "." + v % 100;
    }

    private static long create(MethodHandle h, String fn) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(JAVA_LONG);
            check((int) h.invokeExact(p), fn);
            return p.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static void destroy(MethodHandle h, long d, String fn) {
        try {
            check((int) h.invokeExact(d), fn);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static long createHandle() {
        return create(CREATE, "cudnnCreate");
    }

    static void destroyHandle(long h) {
        destroy(DESTROY, h, "cudnnDestroy");
    }

    /** A packed 4-d float tensor descriptor in the given format. */
    static long tensor(int format, int n, int c, int h, int w) {
        long d = create(CREATE_TENSOR, "cudnnCreateTensorDescriptor");
        try {
            check((int) SET_TENSOR_4D.invokeExact(d, format, DATA_FLOAT, n, c, h, w), "cudnnSetTensor4dDescriptor(" + n + "x" + c + "x" + h + "x" + w + ")");
            return d;
        } catch (Throwable t) {
            destroyTensor(d);
            throw Native.rethrow(t);
        }
    }

    static void destroyTensor(long d) {
        destroy(DESTROY_TENSOR, d, "cudnnDestroyTensorDescriptor");
    }

    /** Filter {@code k x c x h x w} (c = input channels per group). */
    static long filter(int format, int k, int c, int h, int w) {
        long d = create(CREATE_FILTER, "cudnnCreateFilterDescriptor");
        try {
            check((int) SET_FILTER_4D.invokeExact(d, DATA_FLOAT, format, k, c, h, w), "cudnnSetFilter4dDescriptor");
            return d;
        } catch (Throwable t) {
            destroyFilter(d);
            throw Native.rethrow(t);
        }
    }

    static void destroyFilter(long d) {
        destroy(DESTROY_FILTER, d, "cudnnDestroyFilterDescriptor");
    }

    /** A 2-d cross-correlation with square padding/stride, groups and math type, FP32 compute. */
    static long convolution(int pad, int stride, int groups, int mathType) {
        long d = create(CREATE_CONV, "cudnnCreateConvolutionDescriptor");
        try {
            check((int) SET_CONV_2D.invokeExact(d, pad, pad, stride, stride, 1, 1, CROSS_CORRELATION, DATA_FLOAT), "cudnnSetConvolution2dDescriptor");
            if (groups > 1) check((int) SET_CONV_GROUPS.invokeExact(d, groups), "cudnnSetConvolutionGroupCount");
            setMathType(d, mathType);
            return d;
        } catch (Throwable t) {
            destroyConvolution(d);
            throw Native.rethrow(t);
        }
    }

    static void setMathType(long conv, int mathType) {
        try {
            check((int) SET_CONV_MATH.invokeExact(conv, mathType), "cudnnSetConvolutionMathType");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** cuDNN's idea of the output shape {n, c, h, w} (checked against the network description). */
    static int[] convolutionOutput(long conv, long x, long w) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT), c = a.allocate(JAVA_INT), h = a.allocate(JAVA_INT), ww = a.allocate(JAVA_INT);
            check((int) CONV_OUTPUT_DIM.invokeExact(conv, x, w, n, c, h, ww), "cudnnGetConvolution2dForwardOutputDim");
            return new int[] {n.get(JAVA_INT, 0), c.get(JAVA_INT, 0), h.get(JAVA_INT, 0), ww.get(JAVA_INT, 0)};
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static void destroyConvolution(long d) {
        destroy(DESTROY_CONV, d, "cudnnDestroyConvolutionDescriptor");
    }

    /** One candidate algorithm: what cuDNN measured or estimated. */
    record AlgoPerf(int algo, int status, float timeMs, long memory, int mathType) {
        String algoName() {
            return algo >= 0 && algo < ALGO_NAMES.length ? ALGO_NAMES[algo] : "ALGO_" + algo;
        }
    }

    private static List<AlgoPerf> readPerf(MemorySegment perf, int count) {
        List<AlgoPerf> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            MemorySegment p = perf.asSlice(i * ALGO_PERF.byteSize(), ALGO_PERF.byteSize());
            out.add(new AlgoPerf(p.get(JAVA_INT, 0), p.get(JAVA_INT, 4), p.get(JAVA_FLOAT, 8), p.get(JAVA_LONG, 16), p.get(JAVA_INT, 28)));
        }
        return out;
    }

    /** cuDNN's heuristic ranking of forward algorithms (no GPU work), best first. */
    static List<AlgoPerf> heuristicAlgorithms(long handle, long x, long w, long conv, long y) {
        try (Arena a = Arena.ofConfined()) {
            int max = 16;
            MemorySegment n = a.allocate(JAVA_INT);
            MemorySegment perf = a.allocate(ALGO_PERF, max);
            check((int) GET_ALGO_V7.invokeExact(handle, x, w, conv, y, max, n, perf), "cudnnGetConvolutionForwardAlgorithm_v7");
            return readPerf(perf, n.get(JAVA_INT, 0));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Times every forward algorithm that fits the workspace on real buffers, fastest first. */
    static List<AlgoPerf> findAlgorithms(long handle, long x, long xPtr, long w, long wPtr, long conv, long y, long yPtr,
                                         long workspace, long workspaceBytes) {
        try (Arena a = Arena.ofConfined()) {
            int max = 16;
            MemorySegment n = a.allocate(JAVA_INT);
            MemorySegment perf = a.allocate(ALGO_PERF, max);
            check((int) FIND_ALGO_EX.invokeExact(handle, x, xPtr, w, wPtr, conv, y, yPtr, max, n, perf, workspace, workspaceBytes),
                    "cudnnFindConvolutionForwardAlgorithmEx");
            return readPerf(perf, n.get(JAVA_INT, 0));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static long workspaceSize(long handle, long x, long w, long conv, long y, int algo) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(JAVA_LONG);
            check((int) WORKSPACE_SIZE.invokeExact(handle, x, w, conv, y, algo, s), "cudnnGetConvolutionForwardWorkspaceSize");
            return s.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code y = alpha * conv(x, w) + beta * y}; alpha and beta point at host floats. */
    static void convolutionForward(long handle, MemorySegment alpha, long x, long xPtr, long w, long wPtr, long conv, int algo,
                                   long ws, long wsBytes, MemorySegment beta, long y, long yPtr) {
        try {
            check((int) CONV_FORWARD.invokeExact(handle, alpha, x, xPtr, w, wPtr, conv, algo, ws, wsBytes, beta, y, yPtr),
                    "cudnnConvolutionForward");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * cuDNN's heuristic ranking of backward-data algorithms (no GPU work), best first. The perf
     * struct has the forward one's layout ({@link #ALGO_PERF}); algo numbers are
     * cudnnConvolutionBwdDataAlgo_t (0 = ALGO_0, general).
     */
    static List<AlgoPerf> backwardDataAlgorithms(long handle, long w, long dy, long conv, long dx) {
        try (Arena a = Arena.ofConfined()) {
            int max = 16;
            MemorySegment n = a.allocate(JAVA_INT);
            MemorySegment perf = a.allocate(ALGO_PERF, max);
            check((int) Bwd.GET_BWD_DATA_ALGO_V7.invokeExact(handle, w, dy, conv, dx, max, n, perf), "cudnnGetConvolutionBackwardDataAlgorithm_v7");
            return readPerf(perf, n.get(JAVA_INT, 0));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static long backwardDataWorkspaceSize(long handle, long w, long dy, long conv, long dx, int algo) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(JAVA_LONG);
            check((int) Bwd.BWD_DATA_WORKSPACE_SIZE.invokeExact(handle, w, dy, conv, dx, algo, s),
                    "cudnnGetConvolutionBackwardDataWorkspaceSize(algo " + algo + ")");
            return s.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code dx = alpha * conv^T(dy, w) + beta * dx}; alpha and beta point at host floats. */
    static void convolutionBackwardData(long handle, MemorySegment alpha, long w, long wPtr, long dy, long dyPtr, long conv, int algo,
                                        long ws, long wsBytes, MemorySegment beta, long dx, long dxPtr) {
        try {
            check((int) Bwd.CONV_BWD_DATA.invokeExact(handle, alpha, w, wPtr, dy, dyPtr, conv, algo, ws, wsBytes, beta, dx, dxPtr),
                    "cudnnConvolutionBackwardData(algo " + algo + ")");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Heuristic ranking of backward-filter algorithms (cudnnConvolutionBwdFilterAlgo_t, 0 = ALGO_0, general). */
    static List<AlgoPerf> backwardFilterAlgorithms(long handle, long x, long dy, long conv, long dw) {
        try (Arena a = Arena.ofConfined()) {
            int max = 16;
            MemorySegment n = a.allocate(JAVA_INT);
            MemorySegment perf = a.allocate(ALGO_PERF, max);
            check((int) Bwd.GET_BWD_FILTER_ALGO_V7.invokeExact(handle, x, dy, conv, dw, max, n, perf),
                    "cudnnGetConvolutionBackwardFilterAlgorithm_v7");
            return readPerf(perf, n.get(JAVA_INT, 0));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static long backwardFilterWorkspaceSize(long handle, long x, long dy, long conv, long dw, int algo) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(JAVA_LONG);
            check((int) Bwd.BWD_FILTER_WORKSPACE_SIZE.invokeExact(handle, x, dy, conv, dw, algo, s),
                    "cudnnGetConvolutionBackwardFilterWorkspaceSize(algo " + algo + ")");
            return s.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code dw = alpha * (dy correlated with x) + beta * dw}. */
    static void convolutionBackwardFilter(long handle, MemorySegment alpha, long x, long xPtr, long dy, long dyPtr, long conv, int algo,
                                          long ws, long wsBytes, MemorySegment beta, long dw, long dwPtr) {
        try {
            check((int) Bwd.CONV_BWD_FILTER.invokeExact(handle, alpha, x, xPtr, dy, dyPtr, conv, algo, ws, wsBytes, beta, dw, dwPtr),
                    "cudnnConvolutionBackwardFilter(algo " + algo + ")");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {@code y = act(alpha1 * conv(x, w) + alpha2 * z + bias)}. */
    static void convolutionBiasActivation(long handle, MemorySegment alpha1, long x, long xPtr, long w, long wPtr, long conv, int algo,
                                          long ws, long wsBytes, MemorySegment alpha2, long z, long zPtr, long bias, long biasPtr,
                                          long act, long y, long yPtr) {
        try {
            check((int) CONV_BIAS_ACT.invokeExact(handle, alpha1, x, xPtr, w, wPtr, conv, algo, ws, wsBytes, alpha2, z, zPtr,
                    bias, biasPtr, act, y, yPtr), "cudnnConvolutionBiasActivationForward");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static long activation(int mode) {
        long d = create(CREATE_ACTIVATION, "cudnnCreateActivationDescriptor");
        try {
            check((int) SET_ACTIVATION.invokeExact(d, mode, NOT_PROPAGATE_NAN, 0.0), "cudnnSetActivationDescriptor");
            return d;
        } catch (Throwable t) {
            destroyActivation(d);
            throw Native.rethrow(t);
        }
    }

    static void destroyActivation(long d) {
        destroy(DESTROY_ACTIVATION, d, "cudnnDestroyActivationDescriptor");
    }

    /** Average pooling, padding excluded from the count, square window/padding/stride. */
    static long averagePooling(int window, int pad, int stride) {
        long d = create(CREATE_POOLING, "cudnnCreatePoolingDescriptor");
        try {
            check((int) SET_POOLING_2D.invokeExact(d, POOLING_AVERAGE_EXCLUDE_PADDING, NOT_PROPAGATE_NAN, window, window, pad, pad,
                    stride, stride), "cudnnSetPooling2dDescriptor");
            return d;
        } catch (Throwable t) {
            destroyPooling(d);
            throw Native.rethrow(t);
        }
    }

    static int[] poolingOutput(long pool, long x) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT), c = a.allocate(JAVA_INT), h = a.allocate(JAVA_INT), w = a.allocate(JAVA_INT);
            check((int) POOLING_OUTPUT_DIM.invokeExact(pool, x, n, c, h, w), "cudnnGetPooling2dForwardOutputDim");
            return new int[] {n.get(JAVA_INT, 0), c.get(JAVA_INT, 0), h.get(JAVA_INT, 0), w.get(JAVA_INT, 0)};
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static void poolingForward(long handle, long pool, MemorySegment alpha, long x, long xPtr, MemorySegment beta, long y, long yPtr) {
        try {
            check((int) POOLING_FORWARD.invokeExact(handle, pool, alpha, x, xPtr, beta, y, yPtr), "cudnnPoolingForward");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static void destroyPooling(long d) {
        destroy(DESTROY_POOLING, d, "cudnnDestroyPoolingDescriptor");
    }
}
