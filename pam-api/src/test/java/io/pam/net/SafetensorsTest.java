package io.pam.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
    static final NetworkSpec TINY = NetworkSpec.of(NetworkConfig.tiny());

    @TempDir
    Path dir;

    @Test
    void roundTripIsBitExact() throws IOException {
        Weights w = Weights.randomForTests(TINY, 7);
        Path f = dir.resolve("w.safetensors");
        Safetensors.write(f, w, Safetensors.DType.F32, Map.of("note", "test"));
        Weights back = Safetensors.read(f);
        assertThat(back.config()).isEqualTo(w.config());
        assertThat(back.names()).isEqualTo(w.names());
        for (String n : w.names()) {
            float[] a = w.get(n), b = back.get(n);
            assertThat(b.length).isEqualTo(a.length);
            for (int i = 0; i < a.length; i++)
                assertThat(Float.floatToRawIntBits(b[i])).as(n + "[" + i + "]").isEqualTo(Float.floatToRawIntBits(a[i]));
        }
        assertThat(Safetensors.readRaw(f).metadata()).containsEntry("note", "test");
    }

    @Test
    void halfPrecisionRoundTripIsWithinHalfUlp() throws IOException {
        Weights w = Weights.randomForTests(TINY, 3);
        Path f = dir.resolve("h.safetensors");
        Safetensors.write(f, w, Safetensors.DType.F16, Map.of());
        Weights back = Safetensors.read(f);
        for (String n : w.names()) {
            float[] a = w.get(n), b = back.get(n);
            for (int i = 0; i < a.length; i++) assertThat(b[i]).isEqualTo(Float.float16ToFloat(Float.floatToFloat16(a[i])));
        }
        assertThat(Files.size(f)).isLessThan(Files.size(write(w, Safetensors.DType.F32)) * 6 / 10);
    }

    private Path write(Weights w, Safetensors.DType t) throws IOException {
        Path f = dir.resolve("x" + t + ".safetensors");
        Safetensors.write(f, w, t, Map.of());
        return f;
    }

    @Test
    void truncatedFileIsRejected() throws IOException {
        Path f = write(Weights.randomForTests(TINY, 1), Safetensors.DType.F32);
        byte[] all = Files.readAllBytes(f);
        Path t = dir.resolve("trunc.safetensors");
        Files.write(t, Arrays.copyOf(all, all.length - 100));
        assertThatThrownBy(() -> Safetensors.read(t)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("corrupt").hasMessageContaining("truncated");
        Files.write(t, Arrays.copyOf(all, 5));
        assertThatThrownBy(() -> Safetensors.read(t)).hasMessageContaining("shorter than the 8-byte header");
    }

    @Test
    void corruptHeaderIsRejected() throws IOException {
        Path f = write(Weights.randomForTests(TINY, 1), Safetensors.DType.F32);
        byte[] all = Files.readAllBytes(f);
        byte[] bad = all.clone();
        bad[8] = '!'; // the JSON's opening brace
        Path t = dir.resolve("bad.safetensors");
        Files.write(t, bad);
        assertThatThrownBy(() -> Safetensors.read(t)).hasMessageContaining("not valid JSON");
        bad = all.clone();
        ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40);
        Files.write(t, bad);
        assertThatThrownBy(() -> Safetensors.read(t)).hasMessageContaining("header length");
    }

    @Test
    void weightsOfAnotherShapeAreRejectedNamingTheTensor() throws IOException {
        Map<String, float[]> m = Weights.randomForTests(TINY, 1).copyOf();
        m.put("stem0.weight", new float[3]);
        assertThatThrownBy(() -> Weights.of(TINY, m)).hasMessageContaining("stem0.weight").hasMessageContaining("expected");
        m.remove("stem0.weight");
        assertThatThrownBy(() -> Weights.of(TINY, m)).hasMessageContaining("missing stem0.weight");
    }

    @Test
    void nonPamFileIsRejected() throws IOException {
        Path t = dir.resolve("plain.safetensors");
        Safetensors.writeRaw(t, Map.of("a", new float[] {1, 2}), Map.of("a", new int[] {2}), Safetensors.DType.F32, Map.of());
        assertThatThrownBy(() -> Safetensors.read(t)).hasMessageContaining("not a PAM weight file");
        assertThat(Safetensors.readRaw(t).tensors().get("a")).containsExactly(1f, 2f);
        Files.write(t, "{}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> Safetensors.read(t)).hasMessageContaining("corrupt");
        assertThatThrownBy(() -> Safetensors.read(dir.resolve("none"))).hasMessageContaining("not found");
    }

    @Test
    void foldingMatchesBatchNormOnAConv() {
        Weights w = Weights.randomForTests(TINY, 5);
        Node n = TINY.nodes().getFirst();
        Op.Conv c = n.conv();
        Tensor x = Tensor.zeros(1, 6, 8, 8);
        java.util.Random r = new java.util.Random(2);
        for (int i = 0; i < x.data().length; i++) x.data()[i] = r.nextFloat();
        Tensor ref = io.pam.ref.RefOps.batchNorm(io.pam.ref.RefOps.conv(x, c, w.get("stem0.weight"), null),
                w.get("stem0.bn.weight"), w.get("stem0.bn.bias"), w.get("stem0.bn.running_mean"), w.get("stem0.bn.running_var"), NetworkSpec.BN_EPS);
        Weights.FoldedConv f = w.folded(n);
        Tensor folded = io.pam.ref.RefOps.conv(x, c, f.weight(), f.bias());
        for (int i = 0; i < ref.data().length; i++) assertThat(folded.data()[i]).isCloseTo(ref.data()[i], org.assertj.core.data.Offset.offset(1e-5f));
    }
}
