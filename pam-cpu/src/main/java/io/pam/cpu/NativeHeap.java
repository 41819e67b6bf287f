package io.pam.cpu;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Gives freed native heap back to the OS. glibc keeps freed blocks of up to 32 MB in its arenas
 * (its mmap threshold grows after large frees), so after a net with GBs of buffers is freed the
 * process's resident size stays at its high-water mark; {@code malloc_trim(0)} returns it.
 * Absent outside glibc (then a no-op).
 */
final class NativeHeap {
    private static final MethodHandle MALLOC_TRIM = find();

    private NativeHeap() {}

    private static MethodHandle find() {
        try {
            Linker linker = Linker.nativeLinker();
            return linker.defaultLookup().find("malloc_trim")
                    .map(f -> linker.downcallHandle(f, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG)))
                    .orElse(null);
        } catch (RuntimeException | Error e) { // no native access granted, unusual platform
            return null;
        }
    }

    /** Returns free heap pages to the OS where the C library allows it. */
    static void trim() {
        if (MALLOC_TRIM == null) return;
        try {
            int ignored = (int) MALLOC_TRIM.invokeExact(0L);
        } catch (Throwable t) {
            // best effort: memory stays mapped, nothing else changes
        }
    }
}
