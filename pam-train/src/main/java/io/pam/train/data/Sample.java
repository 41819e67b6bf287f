package io.pam.train.data;

/**
 * One training sample of size x size pixels (planar / row-major float arrays).
 *
 * @param image  composite RGB, 3 x size x size: fg * alpha + bg * (1 - alpha)
 * @param trimap 0 / 128 / 255, size x size
 * @param alpha  size x size in [0,1]
 * @param fg     foreground RGB, 3 x size x size
 * @param bg     background RGB, 3 x size x size
 */
public record Sample(int size, float[] image, byte[] trimap, float[] alpha, float[] fg, float[] bg) {}
