package io.pam.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A tiny protobuf wire-format decoder for tests: a message becomes a list of (field, value). */
final class ProtoReader {
    record Field(int number, int wireType, long varint, byte[] bytes) {
        String string() {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        ProtoReader message() {
            return new ProtoReader(bytes);
        }

        float float32() {
            return Float.intBitsToFloat((int) varint);
        }

        float[] floats() {
            float[] f = new float[bytes.length / 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
            return f;
        }

        long[] packedVarints() {
            List<Long> out = new ArrayList<>();
            int[] pos = {0};
            while (pos[0] < bytes.length) out.add(readVarint(bytes, pos));
            return out.stream().mapToLong(Long::longValue).toArray();
        }
    }

    final List<Field> fields = new ArrayList<>();

    ProtoReader(byte[] data) {
        int[] pos = {0};
        while (pos[0] < data.length) {
            long tag = readVarint(data, pos);
            int number = (int) (tag >>> 3), wire = (int) (tag & 7);
            switch (wire) {
                case 0 -> fields.add(new Field(number, wire, readVarint(data, pos), null));
                case 2 -> {
                    int len = (int) readVarint(data, pos);
                    byte[] b = java.util.Arrays.copyOfRange(data, pos[0], pos[0] + len);
                    if (pos[0] + len > data.length) throw new IllegalStateException("truncated");
                    pos[0] += len;
                    fields.add(new Field(number, wire, 0, b));
                }
                case 5 -> {
                    long v = (data[pos[0]] & 0xFFL) | (data[pos[0] + 1] & 0xFFL) << 8 | (data[pos[0] + 2] & 0xFFL) << 16 | (data[pos[0] + 3] & 0xFFL) << 24;
                    pos[0] += 4;
                    fields.add(new Field(number, wire, v, null));
                }
                default -> throw new IllegalStateException("unexpected wire type " + wire);
            }
        }
    }

    List<Field> all(int number) {
        return fields.stream().filter(f -> f.number() == number).toList();
    }

    Field one(int number) {
        List<Field> f = all(number);
        if (f.size() != 1) throw new AssertionError("field " + number + " occurs " + f.size() + " times");
        return f.get(0);
    }

    static long readVarint(byte[] data, int[] pos) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = data[pos[0]++];
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) return v;
        }
    }
}
