package io.pam.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The launch geometry of the two-stage reductions of {@link TrainingKernels} (no GPU needed). */
class ReductionSplitTest {
    static void checkCovers(long values, TrainingKernels.Split s) {
        assertThat(s.blocks()).as("blocks for %d", values).isBetween(1, TrainingKernels.MAX_SPLIT);
        // every value in exactly one slice, no empty slice
        assertThat((long) s.blocks() * s.chunk()).as("covers %d", values).isGreaterThanOrEqualTo(values);
        assertThat((long) (s.blocks() - 1) * s.chunk()).as("last slice of %d non-empty", values).isLessThan(values);
    }

    @Test
    void slicesCoverEveryValueOnceWithAlignedChunksAndBoundedBlocks() {
        long perBlock = (long) TrainingKernels.THREADS * TrainingKernels.VALUES_PER_THREAD;
        long[] cases = {1, 2, 255, 256, 257, perBlock - 1, perBlock, perBlock + 1, 3 * 2731, 9600, 2L * 300 * 301,
                8L * 256 * 256, 8L * 512 * 512, 64L * 1024 * 1024, (1L << 40) + 17};
        for (long v : cases) {
            TrainingKernels.Split s = TrainingKernels.split(v);
            checkCovers(v, s);
            assertThat(s.chunk() % TrainingKernels.THREADS).as("chunk of %d", v).isZero();
            // about VALUES_PER_THREAD per thread until the cap
            if (v > perBlock * TrainingKernels.MAX_SPLIT) assertThat(s.blocks()).isEqualTo(TrainingKernels.MAX_SPLIT);
            else assertThat(s.chunk()).as("chunk of %d", v).isLessThanOrEqualTo(perBlock + TrainingKernels.THREADS);
        }
        assertThat(TrainingKernels.split(perBlock).blocks()).isEqualTo(1);
        assertThat(TrainingKernels.split(perBlock + 1).blocks()).isEqualTo(2);
        assertThat(TrainingKernels.split(8L * 256 * 256).blocks()).isEqualTo(64);
        assertThatThrownBy(() -> TrainingKernels.split(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void planesStayOneBlockUntilLarge() {
        for (long plane : new long[] {1, 49, 64 * 64, 128 * 128}) {
            TrainingKernels.Split s = TrainingKernels.splitPlanes(plane);
            assertThat(s.blocks()).as("plane %d", plane).isEqualTo(1);
            checkCovers(plane, s);
        }
        for (long plane : new long[] {128 * 128 + 1, 256 * 256, 300 * 301}) {
            TrainingKernels.Split s = TrainingKernels.splitPlanes(plane);
            assertThat(s.blocks()).as("plane %d", plane).isGreaterThan(1);
            checkCovers(plane, s);
        }
    }
}
