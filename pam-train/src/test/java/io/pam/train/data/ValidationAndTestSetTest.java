package io.pam.train.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.pam.image.GrayImage;
import io.pam.image.ImageFiles;
import io.pam.image.RgbImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidationAndTestSetTest {
    @TempDir Path tmp;

    static Path data() {
        Path d = DataPaths.sharedData().orElse(null);
        Assumptions.assumeTrue(d != null, "shared data not found");
        return d;
    }

    @Test
    void validationBatchesAreFixedAndUseRealTrimaps() {
        Path am = data().resolve("alphamatting-dev");
        ValidationSet v = new ValidationSet(List.of(DataSources.realPhoto(am, "GT01"), DataSources.realPhoto(am, "GT02")), 1);
        List<Batch> a = v.batches(64, 2, 2, 11), b = v.batches(64, 2, 2, 11);
        assertThat(a).hasSize(2);
        for (int k = 0; k < 2; k++) TrainingDataTest.assertSame(a.get(k), b.get(k), "validation batch " + k);
        Batch first = a.get(0);
        assertThat(first.input().h()).isEqualTo(64);
        // Centre pixel of each crop is unknown in the benchmark trimap.
        int plane = 64 * 64, centre = 32 * 64 + 32;
        for (int s = 0; s < 2; s++) assertThat(first.input().data()[(s * 6 + 4) * plane + centre]).isEqualTo(1f);
        assertThat(v.photos().get(0).trimap(1).width()).isEqualTo(v.photos().get(0).image().width());
        assertThat(ValidationSet.reflect(-1, 5)).isEqualTo(1);
        assertThat(ValidationSet.reflect(5, 5)).isEqualTo(3);
    }

    @Test
    void testSetMakerWritesMatchingFolders() throws Exception {
        Path d = data();
        Path out = tmp.resolve("set");
        var log = new ByteArrayOutputStream();
        String[] args = {"--foregrounds", d.resolve("alphamatting-dev").toString(), "--backgrounds", d.resolve("backgrounds").toString(),
                "--out", out.toString(), "--per-image", "2", "--seed", "3", "--images", "GT01,GT02"};
        int written = TestSetMaker.run(args, new PrintStream(log));
        assertThat(written).isEqualTo(4);
        List<String> images = TestSetMaker.names(out.resolve("images"));
        assertThat(images).hasSize(4).allMatch(n -> n.matches("GT0[12]_bg\\d{3}\\.png"));
        assertThat(TestSetMaker.names(out.resolve("trimaps"))).isEqualTo(images);
        assertThat(TestSetMaker.names(out.resolve("alphas"))).isEqualTo(images);
        assertThat(out.resolve("BACKGROUNDS_MANIFEST.tsv")).exists();

        String name = images.get(0);
        RgbImage img = ImageFiles.readRgb(out.resolve("images").resolve(name));
        GrayImage tri = ImageFiles.readGray(out.resolve("trimaps").resolve(name));
        GrayImage alpha = ImageFiles.readGray(out.resolve("alphas").resolve(name));
        RealPhoto src = DataSources.realPhoto(d.resolve("alphamatting-dev"), name.substring(0, 4));
        assertThat(img.width()).isEqualTo(src.image().width());
        int unknown = 0;
        for (int i = 0; i < tri.values().length; i++) {
            int t = tri.get(i), al = alpha.get(i);
            assertThat(t).isIn(0, 128, 255);
            if (t == 255) assertThat(al).isEqualTo(255);
            if (t == 0) assertThat(al).isEqualTo(0);
            if (t == 128) unknown++;
            // Where alpha is 255 the composite is the estimated foreground (8-bit rounding).
            if (al == 255) assertThat(Math.abs(img.planar()[i] - src.foreground().planar()[i])).isLessThan(0.5f / 255 + 1e-5f);
        }
        assertThat(unknown).isPositive();
        // Same seed, same files.
        Path again = tmp.resolve("again");
        args[5] = again.toString();
        TestSetMaker.run(args, new PrintStream(log));
        assertThat(java.nio.file.Files.readAllBytes(again.resolve("images").resolve(name)))
                .isEqualTo(java.nio.file.Files.readAllBytes(out.resolve("images").resolve(name)));
    }
}
