package io.pam.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The CUDA runtime calls we use (libcudart). Device pointers are {@code long}s (see {@link Native}). */
final class Cudart {
    private Cudart() {}

    static final int SUCCESS = 0;
    static final int ERROR_INSUFFICIENT_DRIVER = 35;
    static final int ERROR_NO_DEVICE = 100;
    static final int H2D = 1, D2H = 2, D2D = 3;
    static final int ATTR_CC_MAJOR = 75, ATTR_CC_MINOR = 76;

    private static final Native.Library LIB = CudaLibraries.get().cudart();
    private static final MethodHandle GET_ERROR_STRING = LIB.downcall("cudaGetErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    private static final MethodHandle GET_DEVICE_COUNT = LIB.downcall("cudaGetDeviceCount", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SET_DEVICE = LIB.downcall("cudaSetDevice", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle DEVICE_GET_ATTRIBUTE = LIB.downcall("cudaDeviceGetAttribute",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle RUNTIME_GET_VERSION = LIB.downcall("cudaRuntimeGetVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle DRIVER_GET_VERSION = LIB.downcall("cudaDriverGetVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle MALLOC = LIB.downcall("cudaMalloc", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle FREE = LIB.downcall("cudaFree", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle MALLOC_HOST = LIB.downcall("cudaMallocHost", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle FREE_HOST = LIB.downcall("cudaFreeHost", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle MEMCPY = LIB.downcall("cudaMemcpy", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle MEMCPY_ASYNC = LIB.downcall("cudaMemcpyAsync",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MEMSET = LIB.downcall("cudaMemset", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MEM_GET_INFO = LIB.downcall("cudaMemGetInfo", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle DEVICE_SYNCHRONIZE = LIB.downcall("cudaDeviceSynchronize", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle GET_LAST_ERROR = LIB.downcall("cudaGetLastError", FunctionDescriptor.of(JAVA_INT));
    private static final MethodHandle STREAM_CREATE = LIB.downcall("cudaStreamCreateWithFlags", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle STREAM_DESTROY = LIB.downcall("cudaStreamDestroy", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle STREAM_WAIT_EVENT = LIB.downcall("cudaStreamWaitEvent",
            FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    private static final MethodHandle EVENT_CREATE = LIB.downcall("cudaEventCreateWithFlags", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle EVENT_DESTROY = LIB.downcall("cudaEventDestroy", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));
    private static final MethodHandle EVENT_RECORD = LIB.downcall("cudaEventRecord", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG));
    private static final MethodHandle EVENT_SYNCHRONIZE = LIB.downcall("cudaEventSynchronize", FunctionDescriptor.of(JAVA_INT, JAVA_LONG));

    /** The legacy default stream (handle 0): every launch, cuDNN call and plain copy of the engines runs on it. */
    static final long LEGACY_STREAM = 0L;
    /** cudaStreamNonBlocking: a stream that does not synchronise with the legacy default stream. */
    static final int STREAM_NON_BLOCKING = 1;
    /** cudaEventDisableTiming: events used only for ordering are cheaper without a timestamp. */
    static final int EVENT_DISABLE_TIMING = 2;

    /** Live allocations (address to bytes) made through {@link #malloc} and {@link #mallocHost}: leak checks. */
    private static final Map<Long, Long> DEVICE_LIVE = new ConcurrentHashMap<>(), PINNED_LIVE = new ConcurrentHashMap<>();

    /** Bytes currently allocated on devices by this process through {@link #malloc} (all engines). */
    static long liveDeviceBytes() {
        return DEVICE_LIVE.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Bytes of page-locked host memory currently allocated through {@link #mallocHost} (all engines). */
    static long livePinnedBytes() {
        return PINNED_LIVE.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Throws naming the function and the runtime's error string unless {@code status} is success. */
    static void check(int status, String fn) {
        if (status != SUCCESS) throw new CudaException(fn + ": " + errorString(status) + " (cudaError " + status + ")");
    }

    static String errorString(int status) {
        try {
            return Native.cString((MemorySegment) GET_ERROR_STRING.invokeExact(status));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** The raw status of cudaGetDeviceCount (the "is there a GPU" probe), count in {@code out[0]}. */
    static int deviceCount(int[] out) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_INT);
            int st = (int) GET_DEVICE_COUNT.invokeExact(n);
            out[0] = st == SUCCESS ? n.get(JAVA_INT, 0) : 0;
            return st;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static void setDevice(int device) {
        try {
            check((int) SET_DEVICE.invokeExact(device), "cudaSetDevice");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static int attribute(int attr, int device) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            check((int) DEVICE_GET_ATTRIBUTE.invokeExact(v, attr, device), "cudaDeviceGetAttribute");
            return v.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Versions as "major.minor": the runtime's and the driver's. */
    static String versions() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment r = a.allocate(JAVA_INT), d = a.allocate(JAVA_INT);
            check((int) RUNTIME_GET_VERSION.invokeExact(r), "cudaRuntimeGetVersion");
            check((int) DRIVER_GET_VERSION.invokeExact(d), "cudaDriverGetVersion");
            return "runtime " + v(r.get(JAVA_INT, 0)) + ", driver supports " + v(d.get(JAVA_INT, 0));
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    private static String v(int x) {
        return x / 1000 + "." + x % 1000 / 10;
    }

    static long malloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            int st = (int) MALLOC.invokeExact(p, Math.max(bytes, 4L));
            if (st != SUCCESS) {
                check(st, "cudaMalloc(" + bytes + " bytes" + (st == 2 ? "; free " + memInfo()[0] + " of " + memInfo()[1] : "") + ")");
            }
            long ptr = p.get(JAVA_LONG, 0);
            DEVICE_LIVE.put(ptr, bytes);
            return ptr;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static void free(long ptr) {
        try {
            check((int) FREE.invokeExact(ptr), "cudaFree");
            DEVICE_LIVE.remove(ptr);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Page-locked host memory (fast, asynchronous-capable copies). */
    static long mallocHost(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            check((int) MALLOC_HOST.invokeExact(p, Math.max(bytes, 4L)), "cudaMallocHost(" + bytes + " bytes)");
            long ptr = p.get(JAVA_LONG, 0);
            PINNED_LIVE.put(ptr, bytes);
            return ptr;
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static void freeHost(long ptr) {
        try {
            check((int) FREE_HOST.invokeExact(ptr), "cudaFreeHost");
            PINNED_LIVE.remove(ptr);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** cudaMemcpy on the legacy default stream (synchronous for device-to-host). */
    static void memcpy(long dst, long src, long bytes, int kind) {
        try {
            check((int) MEMCPY.invokeExact(dst, src, bytes, kind), "cudaMemcpy");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * cudaMemcpyAsync on the legacy default stream (the stream of every launch, cuDNN call and
     * copy of the engine, so ordering is kept). Returns at once when the host side is pinned;
     * the caller must not touch the host buffer until a later synchronisation.
     */
    static void memcpyAsync(long dst, long src, long bytes, int kind) {
        try {
            check((int) MEMCPY_ASYNC.invokeExact(dst, src, bytes, kind, 0L), "cudaMemcpyAsync");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static void memset(long dst, int value, long bytes) {
        try {
            check((int) MEMSET.invokeExact(dst, value, bytes), "cudaMemset");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** {free, total} device memory in bytes. */
    static long[] memInfo() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate(JAVA_LONG), t = a.allocate(JAVA_LONG);
            check((int) MEM_GET_INFO.invokeExact(f, t), "cudaMemGetInfo");
            return new long[] {f.get(JAVA_LONG, 0), t.get(JAVA_LONG, 0)};
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static void synchronize() {
        try {
            check((int) DEVICE_SYNCHRONIZE.invokeExact(), "cudaDeviceSynchronize");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /**
     * A stream that does not wait for the legacy default stream (nor it for this one): work on
     * it overlaps the engines' work, ordered against it only by events.
     */
    static long nonBlockingStream() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            check((int) STREAM_CREATE.invokeExact(p, STREAM_NON_BLOCKING), "cudaStreamCreateWithFlags");
            return p.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static void destroyStream(long stream) {
        try {
            check((int) STREAM_DESTROY.invokeExact(stream), "cudaStreamDestroy");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** An event for ordering only (no timing). */
    static long event() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            check((int) EVENT_CREATE.invokeExact(p, EVENT_DISABLE_TIMING), "cudaEventCreateWithFlags");
            return p.get(JAVA_LONG, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    static void destroyEvent(long event) {
        try {
            check((int) EVENT_DESTROY.invokeExact(event), "cudaEventDestroy");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Marks the point of {@code stream} reached by the work queued on it so far. */
    static void record(long event, long stream) {
        try {
            check((int) EVENT_RECORD.invokeExact(event, stream), "cudaEventRecord");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Work queued on {@code stream} from now on starts after {@code event}'s point (the host does not wait). */
    static void waitEvent(long stream, long event) {
        try {
            check((int) STREAM_WAIT_EVENT.invokeExact(stream, event, 0), "cudaStreamWaitEvent");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** The host waits until the work before {@code event}'s point has finished (at once for an event never recorded). */
    static void synchronize(long event) {
        try {
            check((int) EVENT_SYNCHRONIZE.invokeExact(event), "cudaEventSynchronize");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** cudaMemcpyAsync on {@code stream}; with pinned host memory the host does not wait. */
    static void memcpyAsync(long dst, long src, long bytes, int kind, long stream) {
        try {
            check((int) MEMCPY_ASYNC.invokeExact(dst, src, bytes, kind, stream), "cudaMemcpyAsync");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Clears and returns the last runtime error (after a failed call we recovered from). */
    static int lastError() {
        try {
            return (int) GET_LAST_ERROR.invokeExact();
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
