package io.pam;

/** How trimap values other than 0, 128 and 255 are treated. */
public enum TrimapPolicy {
    /** Only 0 (background), 128 (unknown) and 255 (foreground) are accepted; anything else is an error. */
    STRICT,
    /**
     * Each value goes to the nearest of the three levels: below 64 is background, 192 and above
     * is foreground, the rest unknown. For trimaps that went through lossy compression or scaling.
     */
    NEAREST;

    /** Maps an 8-bit value: 0 = background, 1 = unknown, 2 = foreground, -1 = not allowed. */
    int classify(int v) {
        if (this == STRICT) return v == 0 ? 0 : v == 128 ? 1 : v == 255 ? 2 : -1;
        return v < 64 ? 0 : v >= 192 ? 2 : 1;
    }
}
