package io.pam.onnx;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A minimal protocol-buffers encoder: the wire format only, no schema. Fields are appended in
 * call order; nested messages are encoded into their own writer and appended length-delimited.
 *
 * <p>Wire types used: 0 (varint: int32/int64/enum/bool), 2 (length-delimited: string, bytes,
 * sub-message, packed repeated), 5 (32-bit: float). Negative int32/int64 values are written as
 * 10-byte varints of their two's complement, as protobuf's {@code int64} requires.
 */
public final class ProtoWriter {
    static final int VARINT = 0, LENGTH_DELIMITED = 2, FIXED32 = 5;

    private byte[] buf = new byte[64];
    private int size;

    /** Number of bytes written so far. */
    public int size() {
        return size;
    }

    /** A copy of the encoded bytes. */
    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }

    /** {@code int32}/{@code int64}/enum/bool field. */
    public ProtoWriter varint(int field, long value) {
        tag(field, VARINT);
        rawVarint(value);
        return this;
    }

    /** {@code float} field (wire type 5, little-endian IEEE 754). */
    public ProtoWriter float32(int field, float value) {
        tag(field, FIXED32);
        rawFixed32(Float.floatToRawIntBits(value));
        return this;
    }

    /** {@code string} field, UTF-8. */
    public ProtoWriter string(int field, String value) {
        return bytes(field, value.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code bytes} field. */
    public ProtoWriter bytes(int field, byte[] value) {
        tag(field, LENGTH_DELIMITED);
        rawVarint(value.length);
        append(value, 0, value.length);
        return this;
    }

    /** {@code bytes} field holding floats as little-endian IEEE 754 (ONNX {@code raw_data}). */
    public ProtoWriter floatsAsBytes(int field, float[] values) {
        tag(field, LENGTH_DELIMITED);
        rawVarint(4L * values.length);
        for (float v : values) rawFixed32(Float.floatToRawIntBits(v));
        return this;
    }

    /** {@code bytes} field holding doubles as little-endian IEEE 754 (ONNX {@code raw_data}). */
    public ProtoWriter doublesAsBytes(int field, double[] values) {
        tag(field, LENGTH_DELIMITED);
        rawVarint(8L * values.length);
        for (double v : values) {
            long bits = Double.doubleToRawLongBits(v);
            rawFixed32((int) bits);
            rawFixed32((int) (bits >>> 32));
        }
        return this;
    }

    /** Embedded message field. */
    public ProtoWriter message(int field, ProtoWriter message) {
        tag(field, LENGTH_DELIMITED);
        rawVarint(message.size);
        append(message.buf, 0, message.size);
        return this;
    }

    /** Packed {@code repeated float} field. */
    public ProtoWriter packedFloats(int field, float[] values) {
        return floatsAsBytes(field, values);
    }

    /** Packed {@code repeated int64} field. */
    public ProtoWriter packedVarints(int field, long[] values) {
        ProtoWriter body = new ProtoWriter();
        for (long v : values) body.rawVarint(v);
        tag(field, LENGTH_DELIMITED);
        rawVarint(body.size);
        append(body.buf, 0, body.size);
        return this;
    }

    /** Appends fields already encoded by another writer (its bytes, unframed). */
    public ProtoWriter raw(ProtoWriter fields) {
        append(fields.buf, 0, fields.size);
        return this;
    }

    private void tag(int field, int wireType) {
        if (field < 1 || field > (1 << 29) - 1) throw new IllegalArgumentException("field number out of range: " + field);
        rawVarint(((long) field << 3) | wireType);
    }

    private void rawVarint(long v) {
        ensure(10);
        while ((v & ~0x7FL) != 0) {
            buf[size++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[size++] = (byte) v;
    }

    private void rawFixed32(int bits) {
        ensure(4);
        buf[size++] = (byte) bits;
        buf[size++] = (byte) (bits >>> 8);
        buf[size++] = (byte) (bits >>> 16);
        buf[size++] = (byte) (bits >>> 24);
    }

    private void append(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, size, len);
        size += len;
    }

    private void ensure(int extra) {
        long need = (long) size + extra;
        if (need > Integer.MAX_VALUE - 8) throw new IllegalStateException("protobuf message over 2 GB");
        if (need > buf.length) buf = Arrays.copyOf(buf, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(need, 2L * buf.length)));
    }
}
