package io.pam.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProtoWriterTest {
    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    @Test
    void varintsMatchTheWireFormatByHand() {
        // field 1, value 150: tag 0x08, then 150 = 0b1_0010110 -> 0x96 0x01
        assertThat(new ProtoWriter().varint(1, 150).toByteArray()).containsExactly(bytes(0x08, 0x96, 0x01));
        assertThat(new ProtoWriter().varint(2, 0).toByteArray()).containsExactly(bytes(0x10, 0x00));
        // field 20 (two-byte tag: 20 << 3 = 160 -> 0xA0 0x01), value 7
        assertThat(new ProtoWriter().varint(20, 7).toByteArray()).containsExactly(bytes(0xA0, 0x01, 0x07));
        // negative int64: ten bytes of two's complement
        assertThat(new ProtoWriter().varint(1, -1).toByteArray())
                .containsExactly(bytes(0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01));
    }

    @Test
    void lengthDelimitedAndFixedFields() {
        assertThat(new ProtoWriter().string(2, "testing").toByteArray())
                .containsExactly(bytes(0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'));
        // 1.0f = 0x3F800000, little-endian, wire type 5
        assertThat(new ProtoWriter().float32(2, 1f).toByteArray()).containsExactly(bytes(0x15, 0x00, 0x00, 0x80, 0x3F));
        ProtoWriter inner = new ProtoWriter().varint(1, 150);
        assertThat(new ProtoWriter().message(3, inner).toByteArray()).containsExactly(bytes(0x1A, 0x03, 0x08, 0x96, 0x01));
        assertThat(new ProtoWriter().packedVarints(4, new long[] {3, 270, 86942}).toByteArray())
                .containsExactly(bytes(0x22, 0x06, 0x03, 0x8E, 0x02, 0x9E, 0xA7, 0x05));
        assertThat(new ProtoWriter().packedFloats(4, new float[] {1f, -2f}).toByteArray())
                .containsExactly(bytes(0x22, 0x08, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0));
    }

    @Test
    void largeMessagesRoundTrip() {
        float[] big = new float[100_000];
        for (int i = 0; i < big.length; i++) big[i] = i * 0.5f - 7;
        ProtoWriter w = new ProtoWriter().string(1, "w").floatsAsBytes(9, big).varint(2, 1);
        ProtoReader r = new ProtoReader(w.toByteArray());
        assertThat(r.one(1).string()).isEqualTo("w");
        assertThat(r.one(9).floats()).containsExactly(big);
        assertThat(r.one(2).varint()).isEqualTo(1);
    }

    @Test
    void rejectsInvalidFieldNumbers() {
        assertThatThrownBy(() -> new ProtoWriter().varint(0, 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("field number");
    }
}
