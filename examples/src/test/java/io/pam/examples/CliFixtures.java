package io.pam.examples;

import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.Safetensors;
import io.pam.net.Weights;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;

/** Small files and a runner for the CLI tests. */
final class CliFixtures {
    private CliFixtures() {}

    /** What one CLI run printed and returned. */
    record Run(int code, String out, String err) {}

    static Run pam(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
        int code;
        try (PrintStream po = new PrintStream(o, true, StandardCharsets.UTF_8); PrintStream pe = new PrintStream(e, true, StandardCharsets.UTF_8)) {
            code = PamCli.run(args, po, pe);
        }
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    /** Random weights of the tiny network, written as a safetensors file. */
    static Path tinyWeights(Path dir) throws IOException {
        Path f = dir.resolve("tiny.safetensors");
        if (!Files.exists(f))
            Safetensors.write(f, Weights.randomForTests(NetworkSpec.of(NetworkConfig.tiny()), 3), Safetensors.DType.F32, Map.of());
        return f;
    }

    static Path rgbPng(Path file, int w, int h, long seed) throws IOException {
        Random r = new Random(seed);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) img.setRGB(x, y, r.nextInt(1 << 24));
        write(img, file);
        return file;
    }

    /** Left third background, middle third unknown, right third foreground. */
    static byte[] trimapValues(int w, int h) {
        byte[] t = new byte[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) t[y * w + x] = (byte) (x < w / 3 ? 0 : x < 2 * w / 3 ? 128 : 255);
        return t;
    }

    static Path grayPng(Path file, int w, int h, byte[] values) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setDataElements(0, 0, w, h, values);
        write(img, file);
        return file;
    }

    static Path trimapPng(Path file, int w, int h) throws IOException {
        return grayPng(file, w, h, trimapValues(w, h));
    }

    static byte[] grayValues(Path file) throws IOException {
        BufferedImage img = ImageIO.read(file.toFile());
        if (img.getType() != BufferedImage.TYPE_BYTE_GRAY) throw new AssertionError(file + " is not 8-bit gray but type " + img.getType());
        byte[] v = new byte[img.getWidth() * img.getHeight()];
        img.getRaster().getDataElements(0, 0, img.getWidth(), img.getHeight(), v);
        return v;
    }

    private static void write(BufferedImage img, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        ImageIO.write(img, "png", file.toFile());
    }

    /** {@code shared/data/alphamatting-dev} beside the checkout, or null. */
    static Path alphamattingDev() {
        Path p = Path.of("").toAbsolutePath();
        for (int i = 0; i < 4 && p != null; i++, p = p.getParent()) {
            Path d = p.resolve("shared/data/alphamatting-dev");
            if (Files.isDirectory(d.resolve("image"))) return d;
            d = p.resolveSibling("shared").resolve("data/alphamatting-dev");
            if (Files.isDirectory(d.resolve("image"))) return d;
        }
        return null;
    }

    /** Keeps every {@code factor}-th pixel (nearest neighbour keeps trimap values exact), same image type. */
    static void downscale(Path from, Path to, int factor) throws IOException {
        BufferedImage in = ImageIO.read(from.toFile());
        int w = in.getWidth() / factor, h = in.getHeight() / factor;
        BufferedImage out = new BufferedImage(w, h, in.getType() == BufferedImage.TYPE_BYTE_GRAY ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) out.setRGB(x, y, in.getRGB(x * factor, y * factor));
        write(out, to);
    }
}
