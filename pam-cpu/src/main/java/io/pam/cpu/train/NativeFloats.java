package io.pam.cpu.train;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A growable native float buffer handed to OpenBLAS: a JavaCPP {@link FloatPointer} (what the
 * cblas bindings take) and a {@link MemorySegment} view of the same memory (for bulk copies from
 * and to heap arrays). Owned by one {@link CpuTrainingOps}; freed by {@link #close()}.
 */
final class NativeFloats implements AutoCloseable {
    private FloatPointer ptr;
    private MemorySegment seg = MemorySegment.NULL;
    private long capacity;

    /** Makes room for at least {@code floats} values (contents are not kept when it grows). */
    NativeFloats ensure(long floats) {
        if (floats > capacity) {
            close();
            long cap = Math.max(floats, capacity + capacity / 4);
            ptr = new FloatPointer(cap);
            if (ptr.isNull()) throw new OutOfMemoryError("native scratch of " + cap + " floats");
            seg = MemorySegment.ofAddress(ptr.address()).reinterpret(cap * Float.BYTES);
            capacity = cap;
        }
        return this;
    }

    /** A pointer {@code offset} floats into the buffer (a new view; the buffer keeps ownership). */
    FloatPointer at(long offset) {
        return new FloatPointer(ptr).position(offset);
    }

    void put(float[] src, int srcOffset, long dstOffset, int count) {
        MemorySegment.copy(src, srcOffset, seg, ValueLayout.JAVA_FLOAT, dstOffset * Float.BYTES, count);
    }

    void get(long srcOffset, float[] dst, int dstOffset, int count) {
        MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT, srcOffset * Float.BYTES, dst, dstOffset, count);
    }

    @Override
    public void close() {
        if (ptr != null) {
            ptr.deallocate();
            ptr = null;
        }
        seg = MemorySegment.NULL;
        capacity = 0;
    }
}
