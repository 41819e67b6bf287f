package io.pam.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.pam.Route;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CostModelTest {
    static final NetworkSpec SPEC = NetworkSpec.paper();
    static final CostModel COST = new CostModel(SPEC);

    @Test
    void parameterCountMatchesThePaper() {
        assertThat(SPEC.parameterCount() / 1e6).isCloseTo(7.135, within(7.135 * 0.01));
    }

    @Test
    void operatingPointsMatchThePaper() {
        assertThat(COST.gmac(Route.parse("1111"))).isCloseTo(74.67, within(0.7467));
        assertThat(COST.gmac(Route.parse("1011"))).isCloseTo(69.59, within(0.6959));
        assertThat(COST.gmac(Route.parse("0000"))).isCloseTo(57.85, within(0.5785));
    }

    @Test
    void everyRouteMatchesTheDesignTable() {
        String table = "1111 74.67  1110 73.63  1101 71.45  1100 70.41  1011 69.59  1010 68.55  0111 67.18  1001 66.37 "
                + "0110 66.15  1000 65.33  0101 63.97  0100 62.93  0011 62.10  0010 61.06  0001 58.89  0000 57.85";
        String[] f = table.trim().split("\\s+");
        for (int i = 0; i < f.length; i += 2) {
            double expected = Double.parseDouble(f[i + 1]);
            assertThat(COST.gmac(Route.parse(f[i]))).as("route " + f[i]).isCloseTo(expected, within(expected * 0.01));
        }
    }

    @Test
    void routeCostIsTheSumOfItsLayers() {
        Map<String, Shape> shapes = SPEC.shapes(1024, 1024);
        for (Route r : Route.all(4)) {
            long sum = 0;
            for (Node n : SPEC.nodesOn(r)) {
                if (n.op() instanceof Op.Conv c) {
                    Shape o = shapes.get(n.name());
                    sum += (long) o.h() * o.w() * c.outC() * c.inC() / c.groups() * c.kernel() * c.kernel();
                }
            }
            assertThat(COST.routeMacs(r, 1024, 1024)).as("route " + r).isEqualTo(sum);
        }
    }

    @Test
    void embeddingSpansTheBudgetRange() {
        Op.CostEmbedding e = SPEC.embedding();
        assertThat(e.lo()).isEqualTo(57);
        assertThat(e.hi()).isEqualTo(75);
    }
}
