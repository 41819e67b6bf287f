package io.pam.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * FFM plumbing shared by the bindings: {@code dlopen}/{@code dlsym}/{@code dlerror} through the
 * native linker, downcall creation, C strings.
 *
 * <p>Convention of the bindings: opaque handles (cudnnHandle_t, descriptors, CUmodule, ...) and
 * device pointers are passed as {@code JAVA_LONG}; on the 64-bit Linux ABIs we target a pointer
 * argument and a 64-bit integer argument travel the same way, and a {@code long} is cheaper to
 * keep and offset than a zero-length segment. Host pointers (out-parameters, scalars, strings)
 * are {@code ADDRESS} segments.
 */
final class Native {
    private Native() {}

    static final Linker LINKER = Linker.nativeLinker();
    private static final int RTLD_NOW = 2;
    private static final int RTLD_GLOBAL = 0x100;

    /** dlopen/dlsym/dlerror: in libc since glibc 2.34, in libdl.so.2 before. */
    private static final class Dl {
        static final SymbolLookup LOOKUP = lookup();
        static final MethodHandle DLOPEN = LINKER.downcallHandle(LOOKUP.findOrThrow("dlopen"),
                FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
        static final MethodHandle DLSYM = LINKER.downcallHandle(LOOKUP.findOrThrow("dlsym"),
                FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
        static final MethodHandle DLERROR = LINKER.downcallHandle(LOOKUP.findOrThrow("dlerror"),
                FunctionDescriptor.of(ADDRESS));

        private static SymbolLookup lookup() {
            SymbolLookup libc = LINKER.defaultLookup();
            if (libc.find("dlopen").isPresent() && libc.find("dlerror").isPresent()) return libc;
            return SymbolLookup.libraryLookup("libdl.so.2", Arena.global());
        }
    }

    /** A library opened with dlopen; never closed (CUDA libraries must not be unloaded). */
    record Library(String name, MemorySegment handle) {
        /** The address of a symbol; throws naming the library when it is absent. */
        MemorySegment find(String symbol) {
            MemorySegment s = findOrNull(symbol);
            if (s == null) throw new CudaException("symbol " + symbol + " not found in " + name + " (library too old?)");
            return s;
        }

        MemorySegment findOrNull(String symbol) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment s = (MemorySegment) Dl.DLSYM.invokeExact(handle, a.allocateFrom(symbol));
                return s.address() == 0 ? null : s;
            } catch (Throwable t) {
                throw rethrow(t);
            }
        }

        /** A downcall handle for a symbol of this library. */
        MethodHandle downcall(String symbol, FunctionDescriptor fd) {
            return LINKER.downcallHandle(find(symbol), fd);
        }
    }

    /** A downcall for a symbol from the first library that has it (cuDNN: the shim, then its parts). */
    static MethodHandle downcall(java.util.List<Library> libs, String symbol, FunctionDescriptor fd) {
        for (Library l : libs) {
            MemorySegment s = l.findOrNull(symbol);
            if (s != null) return LINKER.downcallHandle(s, fd);
        }
        throw new CudaException("symbol " + symbol + " not found in " + libs.stream().map(Library::name).toList());
    }

    /**
     * Opens a library (a full path, or a soname for the system search) with RTLD_NOW|RTLD_GLOBAL,
     * so that libraries opened later by soname (cuDNN's sub-libraries, NVRTC's builtins) reuse it.
     *
     * @throws CudaException with dlerror's explanation (e.g. a missing dependency) on failure
     */
    static Library open(String pathOrSoname) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = (MemorySegment) Dl.DLOPEN.invokeExact(a.allocateFrom(pathOrSoname), RTLD_NOW | RTLD_GLOBAL);
            if (h.address() == 0) {
                MemorySegment err = (MemorySegment) Dl.DLERROR.invokeExact();
                String why = err.address() == 0 ? "unknown reason" : cString(err);
                throw new CudaException("cannot load " + pathOrSoname + ": " + why);
            }
            return new Library(pathOrSoname, h);
        } catch (CudaException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Reads a NUL-terminated C string at an address (null pointer gives "(null)"). */
    static String cString(MemorySegment p) {
        if (p == null || p.address() == 0) return "(null)";
        return p.reinterpret(Integer.MAX_VALUE).getString(0);
    }

    /**
     * Throws a {@link CudaException} naming the call, the library's message and the status code
     * unless {@code status} is 0 (success in cuDNN and NVRTC).
     *
     * @param errorString the library's {@code const char* f(int status)} message lookup
     * @param statusType  the C type of the status, for the message, e.g. "cudnnStatus"
     */
    static void checkStatus(int status, String fn, MethodHandle errorString, String statusType) {
        if (status == 0) return;
        String s;
        try {
            s = cString((MemorySegment) errorString.invokeExact(status));
        } catch (Throwable t) {
            s = "unknown error";
        }
        throw new CudaException(fn + ": " + s + " (" + statusType + " " + status + ")");
    }

    /** Wraps a Throwable from invokeExact: runtime exceptions and errors pass through. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new CudaException("native call failed: " + t, t);
    }
}
