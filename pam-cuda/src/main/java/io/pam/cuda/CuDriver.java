package io.pam.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The CUDA driver calls we use (libcuda): the primary context (shared with the runtime), module
 * loading and kernel launches for the NVRTC-compiled kernels.
 */
final class CuDriver {
    private CuDriver() {}

    private static final Native.Library LIB = CudaLibraries.get().driver();
    private static final MethodHandle GET_ERROR_STRING = LIB.downcall("cuGetErrorString", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle INIT = LIB.downcall("cuInit", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle DEVICE_GET = LIB.downcall("cuDeviceGet", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle DEVICE_GET_NAME = LIB.downcall("cuDeviceGetName", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle PRIMARY_CTX_RETAIN = LIB.downcall("cuDevicePrimaryCtxRetain", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle CTX_SET_CURRENT = LIB.downcall("cuCtxSetCurrent", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle MODULE_LOAD_DATA = LIB.downcall("cuModuleLoadData", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle MODULE_GET_FUNCTION = LIB.downcall("cuModuleGetFunction", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS));
    private static final MethodHandle MODULE_UNLOAD = LIB.downcall("cuModuleUnload", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle LAUNCH_KERNEL = LIB.downcall("cuLaunchKernel", FunctionDescriptor.of(JAVA_INT,
            JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));

    static void check(int status, String fn) {
        if (status == 0) return;
        String s;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            int st = (int) GET_ERROR_STRING.invokeExact(status, p);
            s = st == 0 ? Native.cString(p.get(ADDRESS, 0)) : "unknown error";
        } catch (Throwable t) {
            s = "unknown error";
        }
        throw new CudaException(fn + ": " + s + " (CUresult " + status + ")");
    }

    static void init() {
        try {
            check((int) INIT.invokeExact(0), "cuInit");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static int device(int ordinal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment d = a.allocate(JAVA_INT);
            check((int) DEVICE_GET.invokeExact(d, ordinal), "cuDeviceGet");
            return d.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static String deviceName(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(JAVA_BYTE, 256);
            check((int) DEVICE_GET_NAME.invokeExact(buf, 256, device), "cuDeviceGetName");
            return buf.getString(0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Retains the device's primary context (the one the runtime and cuDNN use). */
    static long retainPrimaryContext(int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment c = a.allocate(JAVA_LONG);
            check((int) PRIMARY_CTX_RETAIN.invokeExact(c, device), "cuDevicePrimaryCtxRetain");
            return c.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Makes a context current on the calling thread (engines may be used from several threads in turn). */
    static void setCurrent(long ctx) {
        try {
            check((int) CTX_SET_CURRENT.invokeExact(ctx), "cuCtxSetCurrent");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Loads a cubin or PTX image; returns the CUmodule. */
    static long loadModule(MemorySegment image) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment m = a.allocate(JAVA_LONG);
            check((int) MODULE_LOAD_DATA.invokeExact(m, image), "cuModuleLoadData");
            return m.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static long function(long module, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(JAVA_LONG);
            check((int) MODULE_GET_FUNCTION.invokeExact(f, module, a.allocateFrom(name)), "cuModuleGetFunction(" + name + ")");
            return f.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static void unloadModule(long module) {
        try {
            check((int) MODULE_UNLOAD.invokeExact(module), "cuModuleUnload");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * Launches a kernel on the legacy default stream (the one cuDNN's handle and cudaMemcpy use).
     *
     * @param params address of a {@code void*[]} whose entries point at the argument values
     */
    static void launch(long function, int gx, int gy, int gz, int bx, int by, int bz, int sharedBytes, long params, String name) {
        try {
            int st = (int) LAUNCH_KERNEL.invokeExact(function, gx, gy, gz, bx, by, bz, sharedBytes, 0L, params, 0L);
            if (st != 0) check(st, "cuLaunchKernel(" + name + ")");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
