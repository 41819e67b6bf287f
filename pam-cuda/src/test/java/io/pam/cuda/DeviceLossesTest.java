package io.pam.cuda;

import static io.pam.cuda.CudaTrainingOpsTest.rand;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pam.net.Tensor;
import io.pam.spi.TrainingOps;
import io.pam.train.LossCheckCase;
import io.pam.train.Losses;
import io.pam.train.data.Batch;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link CudaTrainingOps#mattingLosses}: cases whose values are known exactly, and agreement with
 * pam-train's host losses (their definition) on procedural batches, the Laplacian pyramid's
 * gradient separately. Skipped where there is no GPU.
 */
class DeviceLossesTest {
    /** The trainer's spec: weights 0.25 / 0.5 / 0.05, 5 levels, eps 1e-8, Charbonnier 1e-12, ImageNet stds. */
    static final TrainingOps.LossSpec SPEC = new TrainingOps.LossSpec(0.25, 0.5, 0.05, 5, 1e-8, 1e-12, 0.229, 0.224, 0.225);

    static CudaTrainingOps ops;

    @BeforeEach
    void needsGpu() {
        CudaTrainingBackend b = new CudaTrainingBackend();
        // JUnit's assumption: AssertJ's needs Byte Buddy, which the GPU machine's class path lacks
        assumeTrue(b.isAvailable(), () -> "no usable CUDA GPU: " + b.unavailableReason());
        if (ops == null) ops = (CudaTrainingOps) b.open(1);
    }

    @AfterAll
    static void closeOps() {
        if (ops != null) ops.close();
        ops = null;
    }

    static Tensor filled(int n, int c, int h, int w, float v) {
        Tensor t = Tensor.zeros(n, c, h, w);
        Arrays.fill(t.data(), v);
        return t;
    }

    /**
     * alpha = gt + 0.25 everywhere, foreground = background = image, teacher = alpha, the top row
     * of each image known: L1 is 0.25 of the unknown share, the composition error is exactly 0,
     * the Laplacian pyramid of a constant plane is 0 at every level (reflect padding keeps it
     * constant), the Charbonnier term is its epsilon's square root; the gradient is the L1's
     * 1/count on unknown pixels and 0 on known ones.
     */
    @Test
    void aConstantOffsetGivesTheExactValuesAndGradient() {
        for (int[] shape : new int[][] {{2, 32, 64}, {3, 64, 32}}) {
            int n = shape[0], h = shape[1], w = shape[2];
            Tensor input = Tensor.zeros(n, 6, h, w), targets = Tensor.zeros(n, 7, h, w);
            for (int b = 0; b < n; b++)
                for (int i = 0; i < h * w; i++) {
                    boolean known = i < w;
                    for (int c = 0; c < 3; c++) input.data()[input.index(b, c, 0, 0) + i] = 0.5f;
                    input.data()[input.index(b, known ? 5 : 4, 0, 0) + i] = 1f;
                    targets.data()[targets.index(b, 0, 0, 0) + i] = 0.5f;
                    for (int c = 1; c < 7; c++) targets.data()[targets.index(b, c, 0, 0) + i] = 0.5f;
                }
            Tensor alpha = filled(n, 1, h, w, 0.75f);
            try (TrainingOps.Scope s = ops.scope()) {
                DeviceTensor a = ops.upload(alpha);
                TrainingOps.LossValues<DeviceTensor> v = ops.mattingLosses(a, ops.upload(input), ops.upload(targets), a, SPEC);
                double count = (double) n * (h - 1) * w;
                String what = n + "x" + h + "x" + w;
                assertThat(v.l1()).as(what + " L1").isCloseTo(0.25 * count / (count + 1e-8), org.assertj.core.data.Offset.offset(1e-15));
                assertThat(v.composition()).as(what + " composition").isZero();
                assertThat(v.laplacian()).as(what + " Laplacian").isZero();
                assertThat(v.distillation()).as(what + " Charbonnier").isCloseTo(1e-6 * count / (count + 1e-8), org.assertj.core.data.Offset.offset(1e-18));
                float[] g = ops.download(v.grad()).data();
                float unknown = (float) (1 / (count + 1e-8));
                for (int b = 0; b < n; b++)
                    for (int i = 0; i < h * w; i++)
                        assertThat(g[b * h * w + i]).as("%s gradient at image %d pixel %d", what, b, i).isEqualTo(i < w ? 0f : unknown);
            }
        }
    }

    /**
     * Procedural batches with a noisy prediction and teacher: every value within 1e-9 of the
     * host's (relative), the gradient within 1e-5 of the host gradient's largest entry (the host
     * rounds each term's gradient to float), and the Laplacian term's gradient alone (weight 1
     * minus weight 0, both sides) within the same bound, so its adjoint pyramid is checked on
     * real differences, not on the zeros of the constant case.
     */
    @Test
    void matchThePamTrainHostLossesIncludingTheLaplacianAdjoint() {
        TrainingOps.LossSpec lapOnly = Losses.spec(0, 1, 0), none = Losses.spec(0, 0, 0);
        for (int[] shape : new int[][] {{2, 64}, {3, 32}, {1, 96}}) {
            int n = shape[0], side = shape[1];
            LossCheckCase c = LossCheckCase.of(n, side);
            Batch b = c.batch();
            String what = n + "x" + side + "x" + side;
            try (TrainingOps.Scope s = ops.scope()) {
                DeviceTensor a = ops.upload(c.alpha()), in = ops.upload(b.input()), t = ops.upload(Losses.targets(b)), te = ops.upload(c.teacher());
                TrainingOps.LossValues<Tensor> host = Losses.total(c.alpha(), b, c.teacher(), SPEC);
                TrainingOps.LossValues<DeviceTensor> dev = ops.mattingLosses(a, in, t, te, SPEC);
                assertThat(LossCheckCase.valueError(new double[] {dev.l1(), dev.composition(), dev.laplacian(), dev.distillation()},
                        new double[] {host.l1(), host.composition(), host.laplacian(), host.distillation()})).as(what + " values").isLessThan(1e-9);
                assertThat(LossCheckCase.gradientError(ops.download(dev.grad()).data(), host.grad().data())).as(what + " gradient").isLessThan(1e-5);

                float[] hostLap = LossCheckCase.minus(Losses.total(c.alpha(), b, null, lapOnly).grad().data(),
                        Losses.total(c.alpha(), b, null, none).grad().data());
                float[] devLap = LossCheckCase.minus(ops.download(ops.mattingLosses(a, in, t, null, lapOnly).grad()).data(),
                        ops.download(ops.mattingLosses(a, in, t, null, none).grad()).data());
                boolean nonTrivial = false;
                for (float v : hostLap) nonTrivial |= v != 0;
                assertThat(nonTrivial).as(what + ": the Laplacian gradient is not trivial").isTrue();
                assertThat(LossCheckCase.gradientError(devLap, hostLap)).as(what + " Laplacian gradient").isLessThan(1e-5);
            }
        }
    }

    @Test
    void resultsAreDeterministicAndBadShapesAreClearErrors() {
        Tensor alpha = rand(2, 1, 64, 96, 1), input = rand(2, 6, 64, 96, 2), targets = rand(2, 7, 64, 96, 3);
        for (int i = 0; i < input.plane() * 2; i++) {
            int b = i / input.plane(), p = i % input.plane();
            input.data()[input.index(b, 4, 0, 0) + p] = p % 3 == 0 ? 0 : 1;
        }
        try (TrainingOps.Scope s = ops.scope()) {
            DeviceTensor a = ops.upload(alpha), in = ops.upload(input), t = ops.upload(targets);
            TrainingOps.LossValues<DeviceTensor> first = ops.mattingLosses(a, in, t, null, SPEC), again = ops.mattingLosses(a, in, t, null, SPEC);
            assertThat(again.l1()).isEqualTo(first.l1());
            assertThat(again.composition()).isEqualTo(first.composition());
            assertThat(again.laplacian()).isEqualTo(first.laplacian()).isPositive();
            assertThat(first.distillation()).as("no teacher, no distillation").isZero();
            assertThat(ops.download(again.grad()).data()).isEqualTo(ops.download(first.grad()).data());

            assertThatThrownBy(() -> ops.mattingLosses(in, in, t, null, SPEC)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("alpha must have 1 channel");
            assertThatThrownBy(() -> ops.mattingLosses(a, t, t, null, SPEC)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("input must be 2x6x64x96");
            assertThatThrownBy(() -> ops.mattingLosses(a, in, in, null, SPEC)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("targets must be 2x7x64x96");
            DeviceTensor odd = ops.upload(rand(2, 1, 48, 96, 4));
            assertThatThrownBy(() -> ops.mattingLosses(odd, ops.upload(rand(2, 6, 48, 96, 5)), ops.upload(rand(2, 7, 48, 96, 6)), null, SPEC))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiples of 2^5");
            assertThatThrownBy(() -> ops.mattingLosses(a, in, t, odd, SPEC)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("teacher");
        }
    }
}
