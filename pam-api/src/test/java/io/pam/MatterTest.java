package io.pam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.Weights;
import java.awt.image.BufferedImage;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The public API's contract, on the plain-Java reference backend with the tiny network. */
class MatterTest {
    static Matter matter;
    static double smallest;

    @BeforeAll
    static void open() {
        matter = Matter.builder().backend("reference").weights(Weights.randomForTests(NetworkSpec.of(NetworkConfig.tiny()), 1)).build();
        smallest = matter.costModel().smallest();
    }

    @AfterAll
    static void close() {
        matter.close();
    }

    static float[] rgb(int w, int h, long seed) {
        Random r = new Random(seed);
        float[] a = new float[w * h * 3];
        for (int i = 0; i < a.length; i++) a[i] = r.nextFloat();
        return a;
    }

    /** Left third background, middle unknown, right third foreground. */
    static byte[] trimap(int w, int h) {
        byte[] t = new byte[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) t[y * w + x] = (byte) (x < w / 3 ? 0 : x < 2 * w / 3 ? 128 : 255);
        return t;
    }

    double budget() {
        return matter.costModel().largest() + 1;
    }

    @Test
    void alphaHasTheInputSizeAndKnownRegionsAreExact() {
        int w = 45, h = 37; // not multiples of 32: padded and cropped back
        MatteResult r = matter.infer(rgb(w, h, 1), trimap(w, h), w, h, budget());
        assertThat(r.width()).isEqualTo(w);
        assertThat(r.alpha()).hasSize(w * h);
        byte[] t = trimap(w, h);
        for (int i = 0; i < t.length; i++) {
            float a = r.alpha()[i];
            if (t[i] == 0) assertThat(a).isZero();
            else if (t[i] == (byte) 255) assertThat(a).isEqualTo(1f);
            else assertThat(a).isBetween(0f, 1f);
        }
        assertThat(r.route()).contains(Route.full(4));
        assertThat(r.gmacAt1024()).isEqualTo(matter.costModel().largest());
        // padded to 64x64: the actual MACs scale with the padded pixel count
        assertThat(r.gmacActual()).isCloseTo(r.gmacAt1024() * 64 * 64 / (1024.0 * 1024), org.assertj.core.data.Percentage.withPercentage(2));
        assertThat(r.backend()).isEqualTo("reference");
        assertThat(r.elapsed()).isPositive();
    }

    @Test
    void routeRespectsTheBudget() {
        int w = 32, h = 32;
        double[] costs = matter.costModel().routeGmacAt(1024, 1024);
        for (double b : new double[] {smallest + 0.01, (smallest + budget()) / 2, budget() - 1.0}) {
            MatteResult r = matter.infer(rgb(w, h, 2), trimap(w, h), w, h, b);
            assertThat(costs[r.route().orElseThrow().mask()]).isLessThan(b);
        }
    }

    @Test
    void trimapWithoutUnknownPixelsIsReturnedWithoutRunningTheNetwork() {
        int w = 10, h = 4;
        byte[] t = new byte[w * h];
        for (int i = 0; i < t.length; i++) t[i] = (byte) (i % 2 == 0 ? 0 : 255);
        MatteResult r = matter.infer(rgb(w, h, 3), t, w, h, budget());
        assertThat(r.route()).isEmpty();
        assertThat(r.gmacActual()).isZero();
        assertThat(r.backend()).isEqualTo("none");
        for (int i = 0; i < t.length; i++) assertThat(r.alpha()[i]).isEqualTo(i % 2 == 0 ? 0f : 1f);
    }

    @Test
    void trimapOfAnotherSizeIsRejected() {
        BufferedImage img = new BufferedImage(20, 10, BufferedImage.TYPE_INT_RGB);
        BufferedImage tri = new BufferedImage(20, 11, BufferedImage.TYPE_BYTE_GRAY);
        assertThatThrownBy(() -> matter.infer(img, tri, Budget.MILD)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("20x11").hasMessageContaining("20x10").hasMessageContaining("same size");
        assertThatThrownBy(() -> matter.infer(rgb(4, 4, 1), new byte[15], 4, 4, budget()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("one per pixel");
    }

    @Test
    void trimapWithOtherValuesIsRejectedSayingWhichAndHowMany() {
        int w = 8, h = 8;
        byte[] t = trimap(w, h);
        t[0] = 1;
        t[1] = 1;
        t[2] = (byte) 200;
        assertThatThrownBy(() -> matter.infer(rgb(w, h, 1), t, w, h, budget()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("3 of 64 pixels")
                .hasMessageContaining("1 x2")
                .hasMessageContaining("200 x1")
                .hasMessageContaining("NEAREST");
    }

    @Test
    void nearestPolicyMapsValuesToTheClosestLevel() {
        try (Matter m = Matter.builder().backend("reference").trimapPolicy(TrimapPolicy.NEAREST)
                .weights(Weights.randomForTests(NetworkSpec.of(NetworkConfig.tiny()), 1)).build()) {
            int w = 4, h = 1;
            byte[] t = {(byte) 63, (byte) 64, (byte) 191, (byte) 192};
            MatteResult r = m.infer(rgb(w, h, 1), t, w, h, budget());
            assertThat(r.alpha()[0]).isZero();
            assertThat(r.alpha()[3]).isEqualTo(1f);
            assertThat(r.route()).isPresent(); // 64 and 191 are unknown
        }
    }

    @Test
    void emptyAndHugeImagesAreRejected() {
        assertThatThrownBy(() -> matter.infer(new float[0], new byte[0], 0, 0, budget()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("empty");
        try (Matter m = Matter.builder().backend("reference").maxPixels(100)
                .weights(Weights.randomForTests(NetworkSpec.of(NetworkConfig.tiny()), 1)).build()) {
            assertThatThrownBy(() -> m.infer(rgb(11, 10, 1), trimap(11, 10), 11, 10, budget()))
                    .isInstanceOf(InvalidInputException.class).hasMessageContaining("110 pixels").hasMessageContaining("limit of 100");
        }
    }

    @Test
    void imageValuesOutsideTheUnitRangeAreRejected() {
        float[] img = rgb(4, 4, 1);
        img[5] = 255f;
        assertThatThrownBy(() -> matter.infer(img, trimap(4, 4), 4, 4, budget())).hasMessageContaining("[0,1]");
        img[5] = Float.NaN;
        assertThatThrownBy(() -> matter.infer(img, trimap(4, 4), 4, 4, budget())).hasMessageContaining("NaN");
    }

    @Test
    void budgetBelowTheSmallestPathNamesTheSmallestFeasibleBudget() {
        assertThatThrownBy(() -> matter.infer(rgb(4, 4, 1), trimap(4, 4), 4, 4, smallest - 1))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(String.format(java.util.Locale.ROOT, "%.2f", smallest));
        assertThatThrownBy(() -> Budget.of(-1)).hasMessageContaining("positive");
        assertThatThrownBy(() -> Budget.parse("cheap")).hasMessageContaining("mild");
        assertThat(Budget.parse("Moderate")).isEqualTo(Budget.MODERATE);
        assertThat(Budget.parse("71.5").gmac()).isEqualTo(71.5);
    }

    @Test
    void budgetAboveTheLargestRunsTheFullPath() {
        MatteResult r = matter.infer(rgb(32, 32, 1), trimap(32, 32), 32, 32, 1e6);
        assertThat(r.route()).contains(Route.full(4));
    }

    @Test
    void colourTrimapIsRejected() {
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        BufferedImage tri = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        tri.setRGB(1, 2, 0x00ff00);
        assertThatThrownBy(() -> matter.infer(img, tri, Budget.MILD)).hasMessageContaining("grayscale").hasMessageContaining("1,2");
    }

    @Test
    void concurrentCallsGiveTheSameAnswerAsSequentialOnes() throws Exception {
        int w = 32, h = 32;
        float[] img = rgb(w, h, 9);
        float[] expected = matter.infer(img, trimap(w, h), w, h, budget()).alpha();
        try (Matter m = Matter.builder().backend("reference").concurrency(2)
                .weights(Weights.randomForTests(NetworkSpec.of(NetworkConfig.tiny()), 1)).build()) {
            ExecutorService ex = Executors.newFixedThreadPool(3);
            try {
                java.util.List<Future<float[]>> fs = new java.util.ArrayList<>();
                for (int i = 0; i < 6; i++) fs.add(ex.submit(() -> m.infer(img, trimap(w, h), w, h, budget()).alpha()));
                for (Future<float[]> f : fs) assertThat(f.get()).containsExactly(expected);
            } finally {
                ex.shutdown();
            }
        }
    }

    @Test
    void closedMatterRefusesWork() {
        Matter m = Matter.builder().backend("reference").weights(Weights.randomForTests(NetworkSpec.of(NetworkConfig.tiny()), 1)).build();
        m.close();
        assertThatThrownBy(() -> m.infer(rgb(32, 32, 1), trimap(32, 32), 32, 32, budget())).hasMessageContaining("closed");
    }

    @Test
    void reflectPaddingMirrorsWithoutRepeatingTheEdge() {
        assertThat(MatteInput.reflect(0, 3)).isZero();
        assertThat(MatteInput.reflect(3, 3)).isEqualTo(1);
        assertThat(MatteInput.reflect(4, 3)).isEqualTo(0);
        assertThat(MatteInput.reflect(5, 3)).isEqualTo(1);
        assertThat(MatteInput.reflect(31, 1)).isZero();
    }

    @Test
    void unknownBackendIsAnErrorListingTheKnownOnes() {
        assertThatThrownBy(() -> Matter.builder().backend("tpu").untrained(1).build())
                .hasMessageContaining("tpu").hasMessageContaining("reference");
    }
}
