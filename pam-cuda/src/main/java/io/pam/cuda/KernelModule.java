package io.pam.cuda;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A CUDA C source compiled by NVRTC (once per process, source name and architecture) and loaded
 * into the current context as a module; its functions are looked up once. Shared by the
 * inference ({@link Kernels}) and training ({@link TrainingKernels}) kernels.
 */
final class KernelModule implements AutoCloseable {
    private static final Map<String, byte[]> IMAGES = new ConcurrentHashMap<>();

    private final long module;
    private final Map<String, Long> functions = new HashMap<>();

    KernelModule(String source, String fileName, int arch, List<String> options) {
        byte[] image = IMAGES.computeIfAbsent(fileName + "@" + arch, k -> Nvrtc.compile(source, fileName, arch, options));
        try (Arena a = Arena.ofConfined()) {
            MemorySegment img = a.allocate(image.length + 1L, 16);
            MemorySegment.copy(image, 0, img, JAVA_BYTE, 0, image.length);
            module = CuDriver.loadModule(img);
        }
    }

    long function(String name) {
        return functions.computeIfAbsent(name, n -> CuDriver.function(module, n));
    }

    /**
     * Writes one kernel argument into its 8-byte slot at {@code offset}: {@code Long} for
     * pointers and {@code i64}, {@code Integer} for {@code int}, {@code Float}, {@code Double}.
     */
    static void putArg(MemorySegment values, long offset, Object arg) {
        switch (arg) {
            case Long l -> values.set(JAVA_LONG, offset, l);
            case Integer n -> values.set(JAVA_INT, offset, n);
            case Float f -> values.set(JAVA_FLOAT, offset, f);
            case Double d -> values.set(JAVA_DOUBLE, offset, d);
            default -> throw new IllegalArgumentException("kernel argument of type " + arg.getClass());
        }
    }

    @Override
    public void close() {
        CuDriver.unloadModule(module);
    }
}
