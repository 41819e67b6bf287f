package io.pam.examples;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Reading and writing image files with errors that name the file and what was expected. */
final class Images {
    private Images() {}

    static BufferedImage read(Path file, String what) {
        if (!Files.isRegularFile(file)) throw new UsageException(what + " " + file + ": no such file");
        try {
            BufferedImage img = ImageIO.read(file.toFile());
            if (img == null)
                throw new UsageException(what + " " + file + " is not an image this JVM can decode (PNG, JPEG, BMP, GIF)");
            return img;
        } catch (IOException e) {
            throw new UsageException(what + " " + file + " cannot be read: " + e.getMessage());
        }
    }

    static void writePng(BufferedImage img, Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            if (!ImageIO.write(img, "png", file.toFile())) throw new IOException("no PNG writer for this image type");
        } catch (IOException e) {
            throw new UsageException("cannot write " + file + ": " + e.getMessage());
        }
    }

    /** Whether a path names a PNG file (by extension). */
    static boolean isPng(Path file) {
        return file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".png");
    }
}
