package io.pam;

import java.awt.image.BufferedImage;
import java.time.Duration;
import java.util.Optional;

/**
 * The alpha matte and what ran to make it.
 *
 * @param alpha      row-major alpha in [0,1], {@code width * height} values, same size as the input
 * @param route      the executed path; empty when the trimap had no unknown pixels and no network ran
 * @param gmacAt1024 the route's cost in the budget unit (GMAC for a 1024x1024 input); 0 when no network ran
 * @param gmacActual MACs actually spent on this image (padded to a multiple of 32), in GMAC
 * @param elapsed    wall time of the call (validation, padding, network, cropping)
 * @param backend    the backend that ran ({@code cpu}, {@code cuda}, {@code reference}), or {@code none}
 */
public record MatteResult(float[] alpha, int width, int height, Optional<Route> route, double gmacAt1024,
                          double gmacActual, Duration elapsed, String backend) {
    public MatteResult {
        if (alpha.length != (long) width * height) throw new IllegalArgumentException("alpha size does not match " + width + "x" + height);
    }

    /** Alpha as 8-bit values (rounded), row-major. */
    public byte[] alpha8() {
        byte[] b = new byte[alpha.length];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Math.round(Math.min(Math.max(alpha[i], 0f), 1f) * 255f);
        return b;
    }

    /** Alpha as an 8-bit gray image. */
    public BufferedImage toGrayImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setDataElements(0, 0, width, height, alpha8());
        return img;
    }
}
