package io.pam.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SampleMakerTest {
    @TempDir Path dir;

    @Test
    void alphaIsExactAndTheTrimapCoversEveryMixedPixel() {
        SampleMaker.Sample s = SampleMaker.draw(160, 120, 7);
        int n = s.width() * s.height(), mixed = 0, translucentWide = 0;
        for (int i = 0; i < n; i++) {
            float a = s.alpha()[i];
            assertThat(a * 255).as("alpha is rounded to 8 bits").isCloseTo(Math.round(a * 255), org.assertj.core.data.Offset.offset(1e-3f));
            int t = s.trimap()[i] & 0xff;
            if (a > 0 && a < 1) {
                mixed++;
                assertThat(t).as("pixel %d with alpha %s", i, a).isEqualTo(128);
            }
            if (t == 0) assertThat(a).isZero();
            if (t == 255) assertThat(a).isEqualTo(1f);
            for (int c = 0; c < 3; c++) {
                float want = a * s.foreground()[3 * i + c] + (1 - a) * s.background()[3 * i + c];
                assertThat(s.image()[3 * i + c]).isCloseTo(want, org.assertj.core.data.Offset.offset(1e-6f));
            }
            if (a > 0.2f && a < 0.6f) translucentWide++;
        }
        assertThat(mixed).as("hair, soft edge and veil give many fractional alphas").isGreaterThan(n / 20);
        assertThat(translucentWide).as("the veil is translucent").isGreaterThan(n / 50);
    }

    @Test
    void sameSeedSameSampleOtherSeedOther() {
        assertThat(SampleMaker.draw(64, 48, 3).alpha()).isEqualTo(SampleMaker.draw(64, 48, 3).alpha());
        assertThat(SampleMaker.draw(64, 48, 3).alpha()).isNotEqualTo(SampleMaker.draw(64, 48, 4).alpha());
    }

    @Test
    void commandWritesThreePngsAndTheCommittedSampleIsItsOutput() throws Exception {
        CliFixtures.Run r = CliFixtures.pam("sample", "--out", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        for (String f : new String[] {"sample.png", "trimap.png", "alpha.png"}) {
            BufferedImage made = ImageIO.read(dir.resolve(f).toFile());
            assertThat(made.getWidth()).isEqualTo(512);
            assertThat(made.getHeight()).isEqualTo(384);
            Path committed = Path.of("sample", f); // examples/sample, tests run in the module directory
            if (!Files.exists(committed)) continue;
            BufferedImage c = ImageIO.read(committed.toFile());
            int differ = 0, worst = 0;
            for (int y = 0; y < 384; y++) {
                for (int x = 0; x < 512; x++) {
                    int p = made.getRGB(x, y), q = c.getRGB(x, y);
                    int d = 0;
                    for (int sh = 0; sh < 24; sh += 8) d = Math.max(d, Math.abs((p >> sh & 0xff) - (q >> sh & 0xff)));
                    if (d > 0) differ++;
                    worst = Math.max(worst, d);
                }
            }
            // Math.sin/cos may differ by an ulp between JVMs, which can flip a rounding
            assertThat(worst).as(f + " regenerated vs committed").isLessThanOrEqualTo(1);
            assertThat(differ).as(f).isLessThan(512 * 384 / 1000);
        }
    }
}
