package io.pam.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

/** NVRTC: compiles the few CUDA C kernels cuDNN has no op for, at run time, for the device at hand. */
final class Nvrtc {
    private Nvrtc() {}

    private static final Native.Library LIB = CudaLibraries.get().nvrtc();
    private static final MethodHandle GET_ERROR_STRING = LIB.downcall("nvrtcGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle VERSION = LIB.downcall("nvrtcVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle NUM_SUPPORTED_ARCHS = LIB.downcall("nvrtcGetNumSupportedArchs", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SUPPORTED_ARCHS = LIB.downcall("nvrtcGetSupportedArchs", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle CREATE_PROGRAM = LIB.downcall("nvrtcCreateProgram",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle COMPILE_PROGRAM = LIB.downcall("nvrtcCompileProgram", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS));
    private static final MethodHandle GET_LOG_SIZE = LIB.downcall("nvrtcGetProgramLogSize", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle GET_LOG = LIB.downcall("nvrtcGetProgramLog", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle GET_CUBIN_SIZE = LIB.downcall("nvrtcGetCUBINSize", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle GET_CUBIN = LIB.downcall("nvrtcGetCUBIN", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle GET_PTX_SIZE = LIB.downcall("nvrtcGetPTXSize", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle GET_PTX = LIB.downcall("nvrtcGetPTX", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, ADDRESS));
    private static final MethodHandle DESTROY_PROGRAM = LIB.downcall("nvrtcDestroyProgram", FunctionDescriptor.of(JAVA_INT, ADDRESS));

    static void check(int status, String fn) {
        Native.checkStatus(status, fn, GET_ERROR_STRING, "nvrtcResult");
    }

    static String version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ma = a.allocate(JAVA_INT), mi = a.allocate(JAVA_INT);
            check((int) VERSION.invokeExact(ma, mi), "nvrtcVersion");
            return ma.get(JAVA_INT, 0) + "." + mi.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Architectures this NVRTC can emit code for, e.g. 75, 80, 90. */
    static int[] supportedArchs() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            check((int) NUM_SUPPORTED_ARCHS.invokeExact(n), "nvrtcGetNumSupportedArchs");
            int count = n.get(JAVA_INT, 0);
            MemorySegment list = a.allocate(JAVA_INT, Math.max(count, 1));
            check((int) SUPPORTED_ARCHS.invokeExact(list), "nvrtcGetSupportedArchs");
            return list.asSlice(0, 4L * count).toArray(JAVA_INT);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Compiles CUDA C for a device of compute capability {@code arch} (e.g. 90). Emits a cubin
     * when NVRTC knows the architecture, else PTX for the newest one it knows below it (which the
     * driver then compiles).
     *
     * @return the image to hand to cuModuleLoadData (NUL-terminated for PTX)
     */
    static byte[] compile(String source, String name, int arch) {
        return compile(source, name, arch, List.of());
    }

    /** As {@link #compile(String, String, int)}, with extra NVRTC options (e.g. {@code --fmad=false}). */
    static byte[] compile(String source, String name, int arch, List<String> extraOptions) {
        int[] archs = supportedArchs();
        boolean exact = false;
        int best = -1;
        for (int x : archs) {
            if (x == arch) exact = true;
            if (x <= arch && x > best) best = x;
        }
        if (best < 0) throw new CudaException("NVRTC " + version() + " cannot generate code for compute capability "
                + arch / 10 + "." + arch % 10 + " (supports " + java.util.Arrays.toString(archs) + ")");
        String archOpt = exact ? "--gpu-architecture=sm_" + arch : "--gpu-architecture=compute_" + best;
        List<String> options = new java.util.ArrayList<>(List.of(archOpt, "--std=c++17"));
        options.addAll(extraOptions);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment progOut = a.allocate(JAVA_LONG);
            check((int) CREATE_PROGRAM.invokeExact(progOut, a.allocateFrom(source), a.allocateFrom(name), 0,
                    MemorySegment.NULL, MemorySegment.NULL), "nvrtcCreateProgram");
            long prog = progOut.get(JAVA_LONG, 0);
            try {
                MemorySegment opts = a.allocate(ADDRESS, options.size());
                for (int i = 0; i < options.size(); i++) opts.setAtIndex(ADDRESS, i, a.allocateFrom(options.get(i)));
                int st = (int) COMPILE_PROGRAM.invokeExact(prog, options.size(), opts);
                if (st != 0) {
                    String log = log(prog, a);
                    check(st, "nvrtcCompileProgram(" + name + ", " + archOpt + ")\n" + log);
                }
                MemorySegment size = a.allocate(JAVA_LONG);
                if (exact) {
                    check((int) GET_CUBIN_SIZE.invokeExact(prog, size), "nvrtcGetCUBINSize");
                    MemorySegment img = a.allocate(size.get(JAVA_LONG, 0));
                    check((int) GET_CUBIN.invokeExact(prog, img), "nvrtcGetCUBIN");
                    return img.toArray(JAVA_BYTE);
                }
                check((int) GET_PTX_SIZE.invokeExact(prog, size), "nvrtcGetPTXSize");
                MemorySegment img = a.allocate(size.get(JAVA_LONG, 0) + 1);
                check((int) GET_PTX.invokeExact(prog, img), "nvrtcGetPTX");
                return img.toArray(JAVA_BYTE);
            } finally {
                progOut.set(JAVA_LONG, 0, prog);
                int ignored = (int) DESTROY_PROGRAM.invokeExact(progOut);
            }
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static String log(long prog, Arena a) throws Throwable {
        MemorySegment size = a.allocate(JAVA_LONG);
        if ((int) GET_LOG_SIZE.invokeExact(prog, size) != 0) return "(no log)";
        MemorySegment buf = a.allocate(Math.max(size.get(JAVA_LONG, 0), 1));
        if ((int) GET_LOG.invokeExact(prog, buf) != 0) return "(no log)";
        return buf.getString(0);
    }
}
