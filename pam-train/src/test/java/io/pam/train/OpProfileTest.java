package io.pam.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.pam.net.Activation;
import io.pam.net.Op;
import io.pam.net.Tensor;
import io.pam.ref.RefTrainingOps;
import io.pam.spi.TrainingOps;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpProfileTest {
    @Test
    void countsCallsPerKindAndPassesResultsThrough() {
        OpProfile profile = new OpProfile();
        RefTrainingOps ref = new RefTrainingOps();
        TrainingOps<Tensor, float[]> ops = profile.wrap(ref);
        Tensor x = Tensor.zeros(1, 4, 8, 8);
        java.util.Arrays.fill(x.data(), 1f);
        Op.Conv dw = new Op.Conv(4, 4, 5, 2, 2, 4, false, false, Activation.NONE, false);
        Op.Conv pw = new Op.Conv(4, 2, 1, 1, 0, 1, true, false, Activation.NONE, false);
        Tensor y = ops.conv(x, dw, new float[4 * 25], null);
        assertThat(y.h()).isEqualTo(4);
        Tensor z = ops.conv(x, pw, new float[] {1, 1, 1, 1, 0, 0, 0, 0}, new float[] {0.5f, 0});
        assertThat(z.data()).isEqualTo(ref.conv(x, pw, new float[] {1, 1, 1, 1, 0, 0, 0, 0}, new float[] {0.5f, 0}).data());
        ops.add(x, x);
        ops.add(x, x);
        try (TrainingOps.Scope s = ops.scope()) {
            assertThat(s).isNotNull();
        }
        List<String> report = profile.report(10);
        assertThat(report).anyMatch(l -> l.startsWith("conv depthwise 5x5 stride 2") && l.endsWith("(1 calls)"));
        assertThat(report).anyMatch(l -> l.startsWith("conv 1x1 ") && l.endsWith("(1 calls)"));
        assertThat(report).anyMatch(l -> l.startsWith("add ") && l.endsWith("(2 calls)"));
        assertThat(report.getLast()).startsWith("total");
        profile.clear();
        assertThat(profile.report(10)).hasSize(1);
    }
}
