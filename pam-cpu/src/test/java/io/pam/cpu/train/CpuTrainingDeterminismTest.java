package io.pam.cpu.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pam.net.Activation;
import io.pam.net.Op;
import io.pam.net.Tensor;
import io.pam.spi.TrainingOps;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The same inputs give the same bits, whatever the JIT has compiled meanwhile: each kernel with a
 * cross-lane sum or a transcendental is called once cold, then a few thousand times (so its loops
 * get C2-compiled), then once more, and the first and last results must be identical. Before the
 * fix, {@code reduceLanes(ADD)} (sequential when interpreted, another order as a C2 intrinsic)
 * changed the last bits after warm-up (the BatchNorm and depthwise tests failed), so a training
 * run that resumed at another JIT warm-up state diverged from a straight run. The sigmoid test
 * guards the vector EXP, replaced as a precaution (it did not fail before).
 */
class CpuTrainingDeterminismTest {
    static final int WARM_CALLS = 3000;
    static TrainingOps<Tensor, float[]> ops;

    @BeforeAll
    static void open() {
        ops = new CpuTrainingBackend().open(2);
    }

    @AfterAll
    static void close() {
        ops.close();
    }

    private static float[] sameBeforeAndAfterWarmUp(Supplier<float[]> kernel) {
        float[] cold = kernel.get();
        for (int i = 0; i < WARM_CALLS; i++) kernel.get();
        float[] warm = kernel.get();
        assertThat(warm).containsExactly(cold);
        return cold;
    }

    @Test
    void batchNormSumsDoNotDependOnCompilation() {
        Random r = new Random(1);
        Tensor x = CpuTrainingOpsTest.random(r, 2, 3, 9, 11), dy = CpuTrainingOpsTest.random(r, 2, 3, 9, 11);
        float[] gamma = CpuTrainingOpsTest.random(r, 3, 0.5, 1), beta = CpuTrainingOpsTest.random(r, 3, 0.5, 0);
        sameBeforeAndAfterWarmUp(() -> {
            TrainingOps.BatchNormResult<Tensor, float[]> f = ops.batchNormTrain(x, gamma, beta, null, null, 0.1f, 1e-5f);
            TrainingOps.BatchNormGrads<Tensor, float[]> g = ops.batchNormBackward(x, f.mean(), f.invStd(), gamma, dy);
            return concat(f.y().data(), f.mean(), f.invStd(), g.dx().data(), g.dGamma(), g.dBeta());
        });
    }

    @Test
    void depthwiseWeightGradientDoesNotDependOnCompilation() {
        Random r = new Random(2);
        Op.Conv c = new Op.Conv(4, 4, 5, 1, 2, 4, false, true, Activation.NONE, false);
        Tensor x = CpuTrainingOpsTest.random(r, 2, 4, 12, 13), dy = CpuTrainingOpsTest.random(r, 2, 4, 12, 13);
        float[] w = CpuTrainingOpsTest.random(r, 4 * 25, 0.3, 0);
        sameBeforeAndAfterWarmUp(() -> {
            TrainingOps.ConvGrads<Tensor, float[]> g = ops.convBackward(x, c, w, dy, true);
            return concat(g.dw(), g.db(), g.dx().data());
        });
    }

    @Test
    void sigmoidDoesNotDependOnCompilation() {
        Random r = new Random(3);
        Tensor x = CpuTrainingOpsTest.random(r, 2, 3, 7, 9);
        sameBeforeAndAfterWarmUp(() -> ops.activation(x, Activation.SIGMOID).data());
    }

    @Test
    void laneSumIsTheSequentialDoubleSum() {
        float[] a = new float[DepthwiseKernels.L];
        double want = 0;
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) Math.pow(-1.7, i) * 1e7f + i;
            want += a[i];
        }
        assertThat(DepthwiseKernels.sumLanes(jdk.incubator.vector.FloatVector.fromArray(DepthwiseKernels.S, a, 0))).isEqualTo(want);
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] out = new float[n];
        int o = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }
}
