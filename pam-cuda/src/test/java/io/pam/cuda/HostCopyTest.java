package io.pam.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The chunked parallel host copies behind the CUDA engine's upload and download (no GPU needed). */
class HostCopyTest {
    private static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextFloat() - 0.5f;
        return a;
    }

    @Test
    void copiesEverySizeExactlyAndReportsEachChunkInOrderOnceItIsInPlace() {
        int c = HostCopy.CHUNK_FLOATS;
        for (int n : new int[] {1, 7, c - 1, c, c + 1, 2 * c + 5}) {
            float[] src = random(n, n);
            try (Arena arena = Arena.ofShared()) { // the pool's threads write into it
                MemorySegment dst = arena.allocate(4L * n + 64);
                dst.fill((byte) 0x7f);
                List<long[]> seen = new ArrayList<>();
                HostCopy.toNative(src, dst, (off, bytes) -> {
                    // the chunk must already be in place when it is reported (its DMA starts now)
                    long wrong = 0;
                    for (long i = off; i < off + bytes; i += 4) if (dst.get(JAVA_FLOAT, i) != src[(int) (i / 4)]) wrong++;
                    assertThat(wrong).as("values of chunk at byte %d not yet in place", off).isZero();
                    seen.add(new long[] {off, bytes});
                });
                long next = 0;
                for (long[] s : seen) {
                    assertThat(s[0]).as("chunks reported in order, without gaps").isEqualTo(next);
                    assertThat(s[1]).isPositive().isLessThanOrEqualTo(4L * c);
                    next += s[1];
                }
                assertThat(next).as("bytes reported for n = %d", n).isEqualTo(4L * n);
                assertThat(seen).hasSize((n + c - 1) / c);
                assertThat(dst.get(JAVA_FLOAT, 4L * n)).as("nothing written past the data").isEqualTo(Float.intBitsToFloat(0x7f7f7f7f));

                float[] back = new float[n];
                HostCopy.fromNative(dst, back);
                assertThat(back).isEqualTo(src);
            }
        }
    }

    @Test
    void aFailingChunkCallbackPropagatesOnlyAfterEveryCopyHasEnded() {
        int n = 4 * HostCopy.CHUNK_FLOATS;
        float[] src = new float[n];
        java.util.Arrays.fill(src, 3f);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment dst = arena.allocate(4L * n);
            assertThatThrownBy(() -> HostCopy.toNative(src, dst, (off, bytes) -> {
                throw new IllegalStateException("DMA failed");
            })).isInstanceOf(IllegalStateException.class).hasMessage("DMA failed");
            // no copy may still be running (the caller frees the buffer next): all chunks landed
            float[] back = new float[n];
            HostCopy.fromNative(dst, back);
            assertThat(back).containsOnly(3f);
        }
    }

    @Test
    void refusesBuffersThatAreTooSmall() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment small = arena.allocate(40);
            assertThatThrownBy(() -> HostCopy.toNative(new float[11], small, (o, b) -> {}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("40 bytes, 44 needed");
            assertThatThrownBy(() -> HostCopy.fromNative(small, new float[11]))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("40 bytes, 44 needed");
        }
    }
}
