package io.pam.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;

/**
 * Bulk copies between a Java {@code float[]} and native (pinned) memory, in chunks copied in
 * parallel by the common fork-join pool. A 2048x2048 input is 100 MB: one thread copies it in
 * roughly 10 ms, about the time the GPU needs for a third of the network, while the memory bus
 * of a GPU host sustains several such streams. Chunking also lets the caller start each chunk's
 * DMA as soon as that chunk is in place, so the host copy and the transfer overlap.
 *
 * <p>The native segment must be accessible from any thread (global or shared scope: the engine's
 * pinned buffers are global segments over {@code cudaMallocHost} memory).
 */
final class HostCopy {
    private HostCopy() {}

    /** 4 MiB: large enough that a task and a DMA start are cheap, small enough to pipeline. */
    static final int CHUNK_FLOATS = 1 << 20;

    /** Called on the copying thread for each chunk, in order, once the chunk is in place. */
    @FunctionalInterface
    interface ChunkDone {
        void accept(long offsetBytes, long bytes);
    }

    /**
     * Copies {@code src} to the start of {@code dst} (native floats), calling {@code done} for
     * each chunk in order on this thread as soon as it has been copied.
     *
     * @throws IllegalArgumentException when {@code dst} is smaller than {@code src}
     */
    static void toNative(float[] src, MemorySegment dst, ChunkDone done) {
        long bytes = 4L * src.length;
        if (dst.byteSize() < bytes)
            throw new IllegalArgumentException("destination holds " + dst.byteSize() + " bytes, " + bytes + " needed");
        int chunks = chunks(src.length);
        if (chunks <= 1) {
            MemorySegment.copy(src, 0, dst, JAVA_FLOAT, 0, src.length);
            done.accept(0, bytes);
            return;
        }
        List<ForkJoinTask<?>> tasks = new ArrayList<>(chunks);
        for (int k = 0; k < chunks; k++) {
            int from = k * CHUNK_FLOATS, n = Math.min(CHUNK_FLOATS, src.length - from);
            tasks.add(ForkJoinPool.commonPool().submit(() -> MemorySegment.copy(src, from, dst, JAVA_FLOAT, 4L * from, n)));
        }
        try {
            for (int k = 0; k < chunks; k++) {
                tasks.get(k).join();
                int from = k * CHUNK_FLOATS;
                done.accept(4L * from, 4L * Math.min(CHUNK_FLOATS, src.length - from));
            }
        } catch (RuntimeException | Error e) {
            quiesce(tasks);
            throw e;
        }
    }

    /**
     * Waits for every task to end before a failure propagates: the caller may free the native
     * buffer next (closing the engine), and a copy still running into freed memory would crash
     * the JVM.
     */
    private static void quiesce(List<ForkJoinTask<?>> tasks) {
        for (ForkJoinTask<?> t : tasks) t.quietlyJoin();
    }

    /**
     * Copies the first {@code dst.length} floats of {@code src} into {@code dst}.
     *
     * @throws IllegalArgumentException when {@code src} is smaller than {@code dst}
     */
    static void fromNative(MemorySegment src, float[] dst) {
        long bytes = 4L * dst.length;
        if (src.byteSize() < bytes) throw new IllegalArgumentException("source holds " + src.byteSize() + " bytes, " + bytes + " needed");
        int chunks = chunks(dst.length);
        if (chunks <= 1) {
            MemorySegment.copy(src, JAVA_FLOAT, 0, dst, 0, dst.length);
            return;
        }
        List<ForkJoinTask<?>> tasks = new ArrayList<>(chunks);
        for (int k = 0; k < chunks; k++) {
            int from = k * CHUNK_FLOATS, n = Math.min(CHUNK_FLOATS, dst.length - from);
            tasks.add(ForkJoinPool.commonPool().submit(() -> MemorySegment.copy(src, JAVA_FLOAT, 4L * from, dst, from, n)));
        }
        try {
            for (ForkJoinTask<?> t : tasks) t.join();
        } catch (RuntimeException | Error e) {
            quiesce(tasks);
            throw e;
        }
    }

    private static int chunks(int floats) {
        return (int) ((floats + (long) CHUNK_FLOATS - 1) / CHUNK_FLOATS);
    }
}
