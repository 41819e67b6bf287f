package io.pam.train.data;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TrimapsTest {
    @Test
    void erodesKnownRegionsByTheKernel() {
        // Row: alpha 0 0 0 0 .5 1 1 1 1. A 3x1 kernel erodes each known run by one pixel on the
        // side facing the other value (the image border does not erode).
        float[] a = {0, 0, 0, 0, 0.5f, 1, 1, 1, 1};
        byte[] t = Trimaps.fromAlpha(9, 1, a, 3, 1, 3, 1);
        assertThat(t).containsExactly(0, 0, 0, (byte) 128, (byte) 128, (byte) 128, (byte) 255, (byte) 255, (byte) 255);
        // A 1x1 kernel does not erode: unknown is exactly 0 < alpha < 1.
        assertThat(Trimaps.fromAlpha(9, 1, a, 1, 1, 1, 1)).containsExactly(0, 0, 0, 0, (byte) 128, (byte) 255, (byte) 255, (byte) 255, (byte) 255);
    }

    @Test
    void kernelIsAnEllipse() {
        // One alpha-0 pixel in a 9x9 foreground; a 5x5 kernel (semi-axes 2.5): rows dy = 0, +-1
        // reach |dx| <= floor(2.5 sqrt(1 - dy^2 / 6.25)) = 2, rows dy = +-2 reach 1:
        // 5 + 5 + 5 + 3 + 3 = 21 pixels lose the foreground label.
        float[] a = new float[81];
        java.util.Arrays.fill(a, 1f);
        a[4 * 9 + 4] = 0;
        byte[] t = Trimaps.fromAlpha(9, 9, a, 5, 5, 1, 1);
        int notFg = 0;
        for (byte v : t) if (v != (byte) 255) notFg++;
        assertThat(notFg).isEqualTo(21);
        assertThat(t[2 * 9 + 2]).isEqualTo((byte) 255);  // corner (dx, dy) = (-2, -2) is outside
        assertThat(t[2 * 9 + 3]).isEqualTo((byte) 128);  // (-1, -2) is inside
        assertThat(t[4 * 9 + 4]).isEqualTo((byte) 0);    // the pixel itself stays background (1x1 bg kernel)
    }
}
