package io.pam.cuda;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * A caching device allocator: blocks are rounded up to 256 bytes and kept on free lists by exact
 * size when given back, so the steady state of a training loop (the same shapes every step)
 * makes no cudaMalloc/cudaFree. Not thread-safe (one per {@link CudaTrainingOps}).
 */
final class DevicePool implements AutoCloseable {
    static final long ALIGN = 256;

    private final Map<Long, ArrayDeque<Long>> free = new HashMap<>();
    private long cachedBytes, inUseBytes, mallocs;

    static long rounded(long bytes) {
        return Math.max(ALIGN, (bytes + ALIGN - 1) / ALIGN * ALIGN);
    }

    /** A block of at least {@code bytes}; its size for {@link #give} is {@link #rounded}. */
    long take(long bytes) {
        long size = rounded(bytes);
        ArrayDeque<Long> list = free.get(size);
        long ptr;
        if (list != null && !list.isEmpty()) {
            ptr = list.pop();
            cachedBytes -= size;
        } else {
            ptr = mallocOrTrim(size);
            mallocs++;
        }
        inUseBytes += size;
        return ptr;
    }

    /** cudaMalloc; when the device is full, the cached blocks are freed and it is tried once more. */
    private long mallocOrTrim(long size) {
        try {
            return Cudart.malloc(size);
        } catch (CudaException e) {
            if (cachedBytes == 0) throw e;
            trim();
            Cudart.lastError();
            return Cudart.malloc(size);
        }
    }

    /** Returns a block from {@link #take} (of the same requested size) to the free list. */
    void give(long ptr, long bytes) {
        long size = rounded(bytes);
        free.computeIfAbsent(size, k -> new ArrayDeque<>()).push(ptr);
        cachedBytes += size;
        inUseBytes -= size;
    }

    /** Frees every cached block. */
    void trim() {
        RuntimeException first = null;
        for (ArrayDeque<Long> list : free.values()) {
            while (!list.isEmpty()) {
                long p = list.pop();
                try {
                    Cudart.free(p);
                } catch (RuntimeException e) {
                    if (first == null) first = e;
                }
            }
        }
        free.clear();
        cachedBytes = 0;
        if (first != null) throw first;
    }

    /** Bytes handed out and not given back. */
    long inUseBytes() {
        return inUseBytes;
    }

    /** Bytes held on the free lists. */
    long cachedBytes() {
        return cachedBytes;
    }

    /** How many cudaMalloc calls the pool has made (steady state: constant). */
    long mallocs() {
        return mallocs;
    }

    @Override
    public void close() {
        trim();
    }
}
