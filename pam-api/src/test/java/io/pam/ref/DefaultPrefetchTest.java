package io.pam.ref;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pam.net.Tensor;
import io.pam.spi.TrainingOps;
import org.junit.jupiter.api.Test;

/** The host backends' {@link TrainingOps#prefetch}: an upload at take, once. */
class DefaultPrefetchTest {
    private final TrainingOps<Tensor, float[]> ops = new RefTrainingOps();

    @Test
    void takeGivesTheUploadedTensorOnceAndADroppedOneCannotBeTaken() {
        Tensor t = Tensor.zeros(2, 3, 4, 5);
        for (int i = 0; i < t.data().length; i++) t.data()[i] = i * 0.25f - 3;
        TrainingOps.Incoming<Tensor> in = ops.prefetch(t);
        Tensor got = in.take();
        assertThat(got.n()).isEqualTo(2);
        assertThat(got.c()).isEqualTo(3);
        assertThat(got.data()).containsExactly(t.data());
        assertThatThrownBy(in::take).isInstanceOf(IllegalStateException.class).hasMessageContaining("already taken");
        in.close(); // after take: nothing to drop, no failure

        TrainingOps.Incoming<Tensor> dropped = ops.prefetch(t);
        dropped.close();
        dropped.close();
        assertThatThrownBy(dropped::take).isInstanceOf(IllegalStateException.class).hasMessageContaining("dropped");
        assertThatThrownBy(() -> ops.prefetch(null)).isInstanceOf(NullPointerException.class);
    }
}
