package io.pam.cuda;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Host-to-device copies of training inputs that overlap the kernels already queued: the data
 * goes through a page-locked buffer and is copied by {@code cudaMemcpyAsync} on a stream of its
 * own (non-blocking, so it never waits for the legacy default stream the ops run on), and events
 * order it against that stream both ways:
 * <ul>
 *   <li>the ops wait for the copy: {@link #take} makes the legacy stream wait for the slot's
 *       {@code copied} event, so work queued after it sees the data;</li>
 *   <li>the next copy into a slot waits for the ops that read its previous tensor: when the scope
 *       owning that tensor closes, {@link #release} records {@code released} on the legacy
 *       stream, and the copy stream waits for it before writing.</li>
 * </ul>
 * Each slot has its own device buffer (not from the ops' pool: a pool block given back by a scope
 * may still be read by queued kernels, and the copy stream does not follow the legacy stream's
 * order). A training loop that reads one batch ahead uses two slots. Not thread-safe; the owner
 * makes the context current.
 */
final class InputPrefetch implements AutoCloseable {
    /** More inputs pending or in use at once than any loop needs: a sign of tensors never taken or scopes never closed. */
    static final int MAX_SLOTS = 8;
    /** Buffers grow in whole MiB, so batches of slightly different sizes share a slot. */
    private static final long GRAIN = 1L << 20;

    enum State { FREE, PENDING, TAKEN }

    /** One page-locked buffer, one device buffer of the same size, and the two events ordering their reuse. */
    static final class Slot {
        private long device, pinned, capacity;
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
     * @throws IllegalStateException when {@link #MAX_SLOTS} inputs are pending or in use
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
        HostCopy.toNative(data, staging, (off, n) -> Cudart.memcpyAsync(dev + off, pin + off, n, Cudart.H2D, stream));
        Cudart.record(s.copied, stream);
        s.state = State.PENDING;
        s.generation++;
        return s;
    }

    private Slot freeSlot() {
        for (Slot s : slots) if (s.state == State.FREE) return s;
        if (slots.size() >= MAX_SLOTS)
            throw new IllegalStateException(MAX_SLOTS + " prefetched inputs are pending or in use: take each one (or close it) "
                    + "and close the scopes that took them");
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
     * The device address of a pending slot's data, for kernels queued from now on: the legacy
     * stream waits for the copy. The slot is {@link State#TAKEN} until {@link #release}.
     */
    long take(Slot s, int generation) {
        check(s, generation, "taken");
        Cudart.waitEvent(Cudart.LEGACY_STREAM, s.copied);
        s.state = State.TAKEN;
        return s.device;
    }

    /** A pending slot that will not be taken becomes free (its copy may still run: the next copy is queued after it). */
    void drop(Slot s, int generation) {
        if (closed || s.state != State.PENDING || s.generation != generation) return;
        s.state = State.FREE;
    }

    /** The scope owning a taken slot's tensor closed: the slot is free once the kernels queued so far have run. */
    void release(Slot s) {
        if (closed || s.state != State.TAKEN) return;
        Cudart.record(s.released, Cudart.LEGACY_STREAM);
        s.releasedRecorded = true;
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
