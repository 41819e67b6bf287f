package io.pam.examples;

import static io.pam.examples.CliFixtures.pam;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MakeTestsetCommandTest {
    @TempDir Path dir;

    @Test
    void missingOptionsAreAUsageError() {
        CliFixtures.Run r = pam("make-testset", "--out", dir.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("pam make-testset: ").contains("--foregrounds");
        assertThat(pam("make-testset", "--help").out()).contains("--backgrounds");
    }

    @Test
    void writesASetThatEvalAccepts() {
        Path data = CliFixtures.alphamattingDev();
        assumeThat(data).as("shared/data beside the checkout").isNotNull();
        Path backgrounds = data.resolveSibling("backgrounds");
        assumeThat(Files.isDirectory(backgrounds)).isTrue();
        CliFixtures.Run r = pam("make-testset", "--foregrounds", data.toString(), "--backgrounds", backgrounds.toString(), "--out",
                dir.toString(), "--per-image", "2", "--images", "GT01");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("wrote 2 composites");
        List<Path[]> triples = EvalCommand.match(dir.resolve("images"), dir.resolve("trimaps"), dir.resolve("alphas"));
        assertThat(triples).hasSize(2);
        for (Path[] t : triples) {
            EvalCommand.Item it = EvalCommand.load(t); // sizes agree and trimaps are exact
            assertThat(it.name()).startsWith("GT01_");
        }
    }
}
