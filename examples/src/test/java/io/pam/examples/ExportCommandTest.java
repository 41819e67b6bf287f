package io.pam.examples;

import static io.pam.examples.CliFixtures.pam;
import static org.assertj.core.api.Assertions.assertThat;

import io.pam.Route;
import io.pam.net.Safetensors;
import io.pam.net.Weights;
import io.pam.onnx.OnnxExporter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pam export} writes what {@link OnnxExporter} makes of the weights it is given. */
class ExportCommandTest {
    @TempDir Path dir;

    @Test
    void writesTheFixedPathAndTheAdaptiveModel() throws Exception {
        Path weights = CliFixtures.tinyWeights(dir);
        Weights w = Safetensors.read(weights);
        Path fixed = dir.resolve("p1011.onnx");
        CliFixtures.Run r = pam("export", "--onnx", fixed.toString(), "--path", "1011", "--weights", weights.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("path 1011", "opset 17");
        assertThat(Files.readAllBytes(fixed)).isEqualTo(OnnxExporter.fixedPath(w, Route.parse("1011")));

        Path adaptive = dir.resolve("adaptive.onnx");
        r = pam("export", "--onnx", adaptive.toString(), "--adaptive", "--weights", weights.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("path-adaptive", "'budget'");
        assertThat(Files.readAllBytes(adaptive)).isEqualTo(OnnxExporter.adaptive(w));
    }

    @Test
    void badOptionsAreUsageErrors() throws Exception {
        Path weights = CliFixtures.tinyWeights(dir);
        String out = dir.resolve("m.onnx").toString();
        CliFixtures.Run r = pam("export", "--onnx", out, "--weights", weights.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("exactly one of --path BITS");
        r = pam("export", "--onnx", out, "--path", "1011", "--adaptive", "--weights", weights.toString());
        assertThat(r.code()).isEqualTo(2);
        r = pam("export", "--onnx", out, "--path", "10x1", "--weights", weights.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--path must be 4 digits 0/1");
        r = pam("export", "--onnx", dir.resolve("no/such/dir/m.onnx").toString(), "--adaptive", "--weights", weights.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no such directory");
        r = pam("export", "--path", "1111", "--weights", weights.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("needs --onnx");
        assertThat(Files.exists(Path.of(out))).isFalse();
        r = pam("export", "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("--adaptive", "multiples of 32");
    }
}
