package io.pam.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import io.pam.net.Activation;
import io.pam.net.Op;
import io.pam.net.Tensor;
import io.pam.ref.RefOps;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.ForkJoinPool;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DepthwiseConvTest {
    @ParameterizedTest(name = "n={0} c={1} {2}x{3} k={4} relu={5}")
    @CsvSource({"1,16,24,40,7,false", "2,5,3,5,13,true", "1,3,1,1,5,false", "1,4,17,33,13,true", "1,2,64,64,13,false", "1,7,6,10,5,true"})
    void matchesTheReferenceConvolution(int n, int c, int h, int w, int k, boolean relu) {
        Random r = new Random(n * 1000L + c * 100L + h + w + k);
        Tensor x = Tensor.zeros(n, c, h, w);
        for (int i = 0; i < x.data().length; i++) x.data()[i] = (float) r.nextGaussian();
        float[] weight = new float[c * k * k], bias = new float[c];
        for (int i = 0; i < weight.length; i++) weight[i] = (float) r.nextGaussian() / k;
        for (int i = 0; i < c; i++) bias[i] = (float) r.nextGaussian();
        Op.Conv op = new Op.Conv(c, c, k, 1, k / 2, c, true, false, relu ? Activation.RELU : Activation.NONE, false);
        Tensor want = RefOps.activation(RefOps.conv(x, op, weight, bias), op.activation());

        DepthwiseConv dw = new DepthwiseConv(c, k, weight, bias, relu);
        try (Arena arena = Arena.ofShared(); ForkJoinPool pool = new ForkJoinPool(2)) {
            long bytes = (long) x.data().length * Float.BYTES;
            MemorySegment in = arena.allocate(bytes, 64), out = arena.allocate(bytes, 64);
            MemorySegment.copy(x.data(), 0, in, ValueLayout.JAVA_FLOAT, 0, x.data().length);
            out.fill((byte) 0x7f); // garbage: every output must be written
            dw.run(in, out, n, h, w, pool);
            float[] got = out.toArray(ValueLayout.JAVA_FLOAT);
            double max = 0;
            for (int i = 0; i < got.length; i++) max = Math.max(max, Math.abs(got[i] - want.data()[i]));
            assertThat(max).as("java depthwise k%d on %dx%dx%dx%d: max |java - reference| vs 1e-5", k, n, c, h, w)
                    .isLessThanOrEqualTo(1e-5);
        }
    }
}
