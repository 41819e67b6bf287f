package io.pam.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFilesTest {
    @TempDir Path dir;

    @Test
    void grayRoundTripIsExact() throws IOException {
        byte[] v = new byte[5 * 3];
        for (int i = 0; i < v.length; i++) v[i] = (byte) (i * 17);
        Path f = dir.resolve("sub/g.png");
        ImageFiles.writeGray(f, new GrayImage(5, 3, v));
        GrayImage back = ImageFiles.readGray(f);
        assertThat(back.width()).isEqualTo(5);
        assertThat(back.height()).isEqualTo(3);
        assertThat(back.values()).containsExactly(v);
        assertThat(back.get(14)).isEqualTo(238);
    }

    @Test
    void rgbRoundTripIsWithinHalfAStep() throws IOException {
        int w = 4, h = 2, n = w * h;
        float[] p = new float[3 * n];
        for (int i = 0; i < p.length; i++) p[i] = (i * 0.037f) % 1f;
        Path f = dir.resolve("c.png");
        ImageFiles.writeRgb(f, new RgbImage(w, h, p));
        RgbImage back = ImageFiles.readRgb(f);
        for (int i = 0; i < p.length; i++) assertThat(back.planar()[i]).as("value %d", i).isCloseTo(p[i], within(0.5f / 255 + 1e-6f));
        // planar order: red plane first. Check against the raw file through ImageIO.
        BufferedImage raw = ImageIO.read(f.toFile());
        int argb = raw.getRGB(3, 1);
        assertThat(back.get(0, 3, 1)).isEqualTo(((argb >> 16) & 0xff) / 255f);
        assertThat(back.get(2, 3, 1)).isEqualTo((argb & 0xff) / 255f);
    }

    @Test
    void rgbaCarriesAlpha() throws IOException {
        RgbImage red = new RgbImage(2, 1, new float[] {1, 1, 0, 0, 0, 0});
        Path f = dir.resolve("cut.png");
        ImageFiles.writeRgba(f, red, new float[] {0.5f, 1f});
        BufferedImage raw = ImageIO.read(f.toFile());
        assertThat(raw.getColorModel().hasAlpha()).isTrue();
        assertThat(raw.getRGB(0, 0) >>> 24).isEqualTo(128);
        assertThat(raw.getRGB(1, 0)).isEqualTo(0xffff0000);
        // Reading it as RGB ignores the alpha channel.
        assertThat(ImageFiles.readRgb(f).get(0, 0, 0)).isEqualTo(1f);
    }

    @Test
    void unreadableFilesFailClearly() throws IOException {
        Path missing = dir.resolve("nope.png");
        assertThatThrownBy(() -> ImageFiles.readRgb(missing)).isInstanceOf(NoSuchFileException.class).hasMessageContaining("nope.png");
        Path junk = dir.resolve("junk.png");
        Files.writeString(junk, "not an image");
        assertThatThrownBy(() -> ImageFiles.readGray(junk)).isInstanceOf(IOException.class).hasMessageContaining("not a readable image");
        Path colour = dir.resolve("colour.png");
        ImageFiles.writeRgb(colour, new RgbImage(1, 1, new float[] {1, 0, 0}));
        assertThatThrownBy(() -> ImageFiles.readGray(colour)).isInstanceOf(IOException.class).hasMessageContaining("expected a gray image");
        assertThatThrownBy(() -> ImageFiles.readRgb(dir)).isInstanceOf(IOException.class).hasMessageContaining("not a regular file");
    }

    @Test
    void recordsValidateSizes() {
        assertThatThrownBy(() -> new RgbImage(2, 2, new float[11])).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs 12");
        assertThatThrownBy(() -> new GrayImage(0, 2, new byte[0])).isInstanceOf(IllegalArgumentException.class);
        GrayImage g = GrayImage.fromUnitFloats(3, 1, new float[] {0f, 0.5f, 1.2f});
        assertThat(g.values()).containsExactly(0, (byte) 128, (byte) 255);
    }

    @Test
    void readsTheSharedDataIfPresent() throws IOException {
        Path root = Path.of("../../shared/data/alphamatting-dev");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isDirectory(root), "shared data not found at " + root.toAbsolutePath());
        RgbImage img = ImageFiles.readRgb(root.resolve("image/GT01.png"));
        GrayImage tri = ImageFiles.readGray(root.resolve("trimap1/GT01.png"));
        GrayImage alpha = ImageFiles.readGray(root.resolve("alpha/GT01.png"));
        assertThat(tri.width()).isEqualTo(img.width());
        assertThat(alpha.height()).isEqualTo(img.height());
        for (int i = 0; i < tri.values().length; i++) assertThat(tri.get(i)).isIn(0, 128, 255);
    }
}
