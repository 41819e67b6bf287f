package io.pam.cuda;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Host-to-device copies of training inputs that overlap the kernels already queued: the data
 * goes through a page-locked buffer and is copied by {@code cudaMemcpyAsync} on a stream of its
 * own (non-blocking, so it never waits for the legacy default stream the ops run on) into the
 * slot's device buffer. {@link #take} hands the data over on the legacy stream: it waits for the
 * slot's {@code copied} event, copies the slot device-to-device into the caller's block (a few
 * microseconds for a batch) and records {@code released}; the next copy into the slot waits for
 * that event before writing. So a slot is busy only from {@link #copy} to {@link #take}, however
 * long the taken tensor is used, and a loop reading one batch ahead needs one slot per tensor it
 * prefetches (two with the loss targets), whatever number of batches a step accumulates.
 *
 * <p>Slots have device buffers of their own rather than pool blocks: a pool block given back by a
 * scope may still be read by queued kernels, and the copy stream does not follow the legacy
 * stream's order. Not thread-safe; the owner makes the context current.
 */
final class InputPrefetch implements AutoCloseable {
    /** More inputs pending at once than any loop needs: a sign of prefetched tensors never taken nor closed. */
    static final int MAX_SLOTS = 8;
    /** Buffers grow in whole MiB, so batches of slightly different sizes share a slot. */
    private static final long GRAIN = 1L << 20;

    enum State { FREE, PENDING }

    /** One page-locked buffer, one device buffer of the same size, and the two events ordering their reuse. */
    static final class Slot {
        private long device, pinned, capacity, bytes;
        private long copied, released;
        private boolean releasedRecorded;
        private State state = State.FREE;
        /** Incremented at each copy, so a stale handle cannot take or drop a later copy. */
        private int generation;

        State state() {
            return state;
        }

        int generation() {
            return generation;
        }

        long capacity() {
            return capacity;
        }
    }

    private final List<Slot> slots = new ArrayList<>();
    private long stream;
    private boolean closed;

    /**
     * Starts copying {@code data} into a free slot (made or grown as needed) and returns it
     * {@link State#PENDING}; the host part (into page-locked memory, in parallel chunks) is done
     * when this returns, each chunk's transfer queued as soon as the chunk is in place.
     *
     * @throws IllegalStateException when {@link #MAX_SLOTS} inputs are pending (prefetched, neither taken nor closed)
     */
    Slot copy(float[] data) {
        if (closed) throw new IllegalStateException("the input prefetch is closed");
        if (data.length == 0) throw new IllegalArgumentException("nothing to prefetch: empty tensor");
        if (stream == 0) stream = Cudart.nonBlockingStream();
        Slot s = freeSlot();
        long bytes = 4L * data.length;
        // the page-locked buffer is about to be overwritten: its previous transfer must have ended
        if (s.copied != 0) Cudart.synchronize(s.copied);
        if (s.capacity < bytes) grow(s, bytes);
        // the device buffer too: the kernels that read its previous tensor must have run
        if (s.releasedRecorded) Cudart.waitEvent(stream, s.released);
        s.releasedRecorded = false;
        long dev = s.device, pin = s.pinned;
        MemorySegment staging = MemorySegment.ofAddress(pin).reinterpret(bytes);
        boolean[] queued = {false};
        try {
            HostCopy.toNative(data, staging, (off, n) -> {
                queued[0] = true;
                Cudart.memcpyAsync(dev + off, pin + off, n, Cudart.H2D, stream);
            });
        } finally {
            // also after a failure: chunks already queued may still read the page-locked buffer,
            // and the next copy or a grow waits for this event before touching it
            if (queued[0]) Cudart.record(s.copied, stream);
        }
        s.bytes = bytes;
        s.state = State.PENDING;
        s.generation++;
        return s;
    }

    private Slot freeSlot() {
        for (Slot s : slots) if (s.state == State.FREE) return s;
        if (slots.size() >= MAX_SLOTS)
            throw new IllegalStateException(MAX_SLOTS + " prefetched inputs are pending: take each one or close it");
        Slot s = new Slot();
        try {
            s.copied = Cudart.event();
            s.released = Cudart.event();
        } catch (RuntimeException e) {
            destroy(s, e);
            throw e;
        }
        slots.add(s);
        return s;
    }

    /** Replaces a slot's buffers by larger ones; the old ones are no longer read (see {@link #copy}). */
    private void grow(Slot s, long bytes) {
        if (s.releasedRecorded) Cudart.synchronize(s.released);
        s.releasedRecorded = false;
        freeBuffers(s);
        long size = (bytes + GRAIN - 1) / GRAIN * GRAIN;
        s.device = Cudart.malloc(size);
        s.pinned = Cudart.mallocHost(size);
        s.capacity = size;
    }

    /**
     * Copies a pending slot's data to {@code dst} (a device block of at least the copied size) on
     * the legacy stream, after the transfer into the slot; work queued later sees it. The slot is
     * free again once that device-to-device copy has run.
     */
    void take(Slot s, int generation, long dst) {
        check(s, generation, "taken");
        Cudart.waitEvent(Cudart.LEGACY_STREAM, s.copied);
        Cudart.memcpyAsync(dst, s.device, s.bytes, Cudart.D2D);
        Cudart.record(s.released, Cudart.LEGACY_STREAM);
        s.releasedRecorded = true;
        s.state = State.FREE;
    }

    /** A pending slot that will not be taken becomes free (its copy may still run: the next copy is queued after it). */
    void drop(Slot s, int generation) {
        if (closed || s.state != State.PENDING || s.generation != generation) return;
        s.state = State.FREE;
    }

    private void check(Slot s, int generation, String what) {
        if (closed) throw new IllegalStateException("the CUDA training ops are closed");
        if (s.state != State.PENDING || s.generation != generation)
            throw new IllegalStateException("this prefetched tensor cannot be " + what + ": it was already taken or dropped");
    }

    /** Slots made so far (tests). */
    int slots() {
        return slots.size();
    }

    private static void freeBuffers(Slot s) {
        long d = s.device, p = s.pinned;
        s.device = 0;
        s.pinned = 0;
        s.capacity = 0;
        if (d != 0) Cudart.free(d);
        if (p != 0) Cudart.freeHost(p);
    }

    private static void destroy(Slot s, RuntimeException failure) {
        Runnable[] steps = {
            () -> freeBuffers(s),
            () -> { if (s.copied != 0) Cudart.destroyEvent(s.copied); s.copied = 0; },
            () -> { if (s.released != 0) Cudart.destroyEvent(s.released); s.released = 0; },
        };
        for (Runnable r : steps) {
            try {
                r.run();
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
    }

    /** Frees every buffer, event and the stream; the caller has synchronised the device. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        RuntimeException failure = new RuntimeException("closing the input prefetch");
        for (Slot s : slots) destroy(s, failure);
        slots.clear();
        if (stream != 0) {
            try {
                Cudart.destroyStream(stream);
            } catch (RuntimeException e) {
                failure.addSuppressed(e);
            }
            stream = 0;
        }
        if (failure.getSuppressed().length == 1 && failure.getSuppressed()[0] instanceof RuntimeException r) throw r;
        if (failure.getSuppressed().length > 0) throw failure;
    }
}
