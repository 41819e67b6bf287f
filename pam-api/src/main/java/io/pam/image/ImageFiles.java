package io.pam.image;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * Reads PNG/JPEG (any format {@code javax.imageio} decodes) and writes PNG.
 *
 * <p>Colour values are taken as stored (sRGB-encoded bytes / 255, no linearisation), which is what
 * matting networks and the Composition-1K protocol use. Failures are {@link IOException}s that
 * name the file and say what was expected.
 */
public final class ImageFiles {
    private ImageFiles() {}

    /**
     * Reads a colour or gray image as planar RGB in [0,1]. A gray file gives three equal planes;
     * an alpha channel in the file is ignored (the stored colours are used as they are).
     */
    public static RgbImage readRgb(Path file) throws IOException {
        BufferedImage img = decode(file);
        int w = img.getWidth(), h = img.getHeight(), n = w * h;
        float[] p = new float[3 * n];
        if (img.getType() == BufferedImage.TYPE_3BYTE_BGR) {
            byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < n; i++) {
                p[i] = (bgr[3 * i + 2] & 0xff) / 255f;
                p[n + i] = (bgr[3 * i + 1] & 0xff) / 255f;
                p[2 * n + i] = (bgr[3 * i] & 0xff) / 255f;
            }
        } else if (img.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            byte[] g = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < n; i++) p[i] = p[n + i] = p[2 * n + i] = (g[i] & 0xff) / 255f;
        } else {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                img.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int argb = row[x], i = y * w + x;
                    p[i] = ((argb >> 16) & 0xff) / 255f;
                    p[n + i] = ((argb >> 8) & 0xff) / 255f;
                    p[2 * n + i] = (argb & 0xff) / 255f;
                }
            }
        }
        return new RgbImage(w, h, p);
    }

    /**
     * Reads an 8-bit gray image (alpha matte or trimap). An 8-bit single-channel file is read
     * exactly; 16-bit gray is scaled to 8 bits (rounded); a colour file must have equal channels
     * (a gray image saved as RGB), otherwise this fails rather than guess a conversion.
     */
    public static GrayImage readGray(Path file) throws IOException {
        BufferedImage img = decode(file);
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[w * h];
        Raster r = img.getRaster();
        if (img.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            r.getDataElements(0, 0, w, h, out);
        } else if (img.getType() == BufferedImage.TYPE_USHORT_GRAY) {
            int[] v = r.getSamples(0, 0, w, h, 0, (int[]) null);
            for (int i = 0; i < v.length; i++) out[i] = (byte) Math.round(v[i] / 257.0);
        } else {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                img.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int argb = row[x], red = (argb >> 16) & 0xff, green = (argb >> 8) & 0xff, blue = argb & 0xff;
                    if (red != green || green != blue)
                        throw new IOException(file + ": expected a gray image (alpha matte or trimap), but pixel (" + x + ", " + y
                                + ") has different colour channels " + red + "/" + green + "/" + blue);
                    out[y * w + x] = (byte) red;
                }
            }
        }
        return new GrayImage(w, h, out);
    }

    /** Writes an 8-bit gray PNG, creating parent folders. */
    public static void writeGray(Path file, GrayImage image) throws IOException {
        BufferedImage img = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setDataElements(0, 0, image.width(), image.height(), image.values());
        writePng(file, img);
    }

    /** Writes an 8-bit RGB PNG (values rounded from [0,1], clamped), creating parent folders. */
    public static void writeRgb(Path file, RgbImage image) throws IOException {
        BufferedImage img = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        float[] p = image.planar();
        int n = image.plane();
        for (int i = 0; i < n; i++) {
            bgr[3 * i] = toByte(p[2 * n + i]);
            bgr[3 * i + 1] = toByte(p[n + i]);
            bgr[3 * i + 2] = toByte(p[i]);
        }
        writePng(file, img);
    }

    /**
     * Writes an 8-bit RGBA PNG (a cutout): colours from {@code rgb}, transparency from
     * {@code alpha} (row-major, [0,1]). Colours are stored straight (not premultiplied), as PNG
     * requires, so pass estimated foreground colours for a clean cutout.
     */
    public static void writeRgba(Path file, RgbImage rgb, float[] alpha) throws IOException {
        int w = rgb.width(), h = rgb.height(), n = rgb.plane();
        if (alpha == null || alpha.length != n)
            throw new IllegalArgumentException("alpha must have " + n + " values for a " + w + "x" + h + " image");
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_4BYTE_ABGR);
        WritableRaster r = img.getRaster();
        byte[] abgr = ((DataBufferByte) r.getDataBuffer()).getData();
        float[] p = rgb.planar();
        for (int i = 0; i < n; i++) {
            abgr[4 * i] = toByte(alpha[i]);
            abgr[4 * i + 1] = toByte(p[2 * n + i]);
            abgr[4 * i + 2] = toByte(p[n + i]);
            abgr[4 * i + 3] = toByte(p[i]);
        }
        writePng(file, img);
    }

    private static byte toByte(float v) {
        if (Float.isNaN(v)) throw new IllegalArgumentException("cannot write NaN pixel values");
        return (byte) Math.round(Math.clamp(v, 0f, 1f) * 255f);
    }

    private static BufferedImage decode(Path file) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "image file does not exist");
        if (!Files.isRegularFile(file)) throw new IOException(file + ": not a regular file");
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + ": cannot decode image (" + e.getMessage() + ")", e);
        }
        if (img == null) throw new IOException(file + ": not a readable image; supported formats: PNG, JPEG, BMP, GIF");
        return img;
    }

    private static void writePng(Path file, BufferedImage img) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        if (!ImageIO.write(img, "png", file.toFile())) throw new IOException(file + ": no PNG writer available");
    }
}
