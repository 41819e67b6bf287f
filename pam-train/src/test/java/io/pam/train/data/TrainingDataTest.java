package io.pam.train.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.pam.image.RgbImage;
import io.pam.net.Tensor;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class TrainingDataTest {
    /** Two small synthetic "photos" as backgrounds and textures: smooth colour fields. */
    static List<RgbImage> backgrounds() {
        int w = 200, h = 150, n = w * h;
        float[] p1 = new float[3 * n], p2 = new float[3 * n];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int i = y * w + x;
                p1[i] = (float) x / w; p1[n + i] = (float) y / h; p1[2 * n + i] = 0.5f;
                p2[i] = 0.5f + 0.5f * (float) Math.sin(x * 0.1); p2[n + i] = 0.3f; p2[2 * n + i] = (float) (x + y) / (w + h);
            }
        return List.of(new RgbImage(w, h, p1), new RgbImage(w, h, p2));
    }

    static TrainingDataConfig config(long seed, int threads) {
        return new TrainingDataConfig(seed, 64, 2, 0.5, 0.5, threads, 2);
    }

    @Test
    void sameSeedGivesIdenticalBatchesWhateverTheThreading() {
        try (TrainingData a = new TrainingData(List.of(), backgrounds(), config(7, 2));
             TrainingData b = new TrainingData(List.of(), backgrounds(), config(7, 1));
             TrainingData c = new TrainingData(List.of(), backgrounds(), config(8, 2))) {
            for (int k = 0; k < 3; k++) {
                Batch x = a.next(), y = b.next(), z = c.next();
                assertSame(x, y, "batch " + k);
                assertThat(x.input().data()).as("other seed, batch %d", k).isNotEqualTo(z.input().data());
                assertSame(x, a.batch(k), "batch(k) vs next()");
            }
        }
    }

    @Test
    void proceduralBatchesAreValid() {
        try (TrainingData d = new TrainingData(List.of(), backgrounds(), config(3, 2))) {
            for (int k = 0; k < 4; k++) checkBatch(d.next(), 64, 2);
        }
    }

    @Test
    void realForegroundBatchesAreValid() {
        Path root = DataPaths.sharedData().map(p -> p.resolve("alphamatting-dev")).orElse(null);
        Assumptions.assumeTrue(root != null, "shared data not found");
        List<Matte> real = List.of(DataSources.realPhoto(root, "GT01").matte(), DataSources.realPhoto(root, "GT02").matte());
        TrainingDataConfig cfg = new TrainingDataConfig(5, 96, 2, 1.0, 0.3, 2, 2);
        try (TrainingData d = new TrainingData(real, backgrounds(), cfg)) {
            for (int k = 0; k < 3; k++) checkBatch(d.next(), 96, 2);
        }
    }

    @Test
    void configIsValidated() {
        assertThatThrownBy(() -> new TrainingDataConfig(1, 100, 4, 0.5, 0.5, 1, 1)).hasMessageContaining("multiple of 32");
        assertThatThrownBy(() -> new TrainingDataConfig(1, 64, 0, 0.5, 0.5, 1, 1)).hasMessageContaining("batchSize");
        assertThatThrownBy(() -> new TrainingDataConfig(1, 64, 1, 1.5, 0.5, 1, 1)).hasMessageContaining("realFraction");
    }

    static void checkBatch(Batch b, int size, int n) {
        Tensor in = b.input();
        assertThat(List.of(in.n(), in.c(), in.h(), in.w())).containsExactly(n, 6, size, size);
        assertThat(b.alpha().c()).isEqualTo(1);
        int plane = size * size;
        float[] x = in.data(), a = b.alpha().data(), f = b.fg().data(), g = b.bg().data();
        for (int s = 0; s < n; s++) {
            int unknown = 0;
            for (int i = 0; i < plane; i++) {
                // Plain checks in the pixel loop (an assertion object per pixel is slow).
                float al = a[s * plane + i];
                String at = "sample " + s + " pixel " + i;
                if (!(al >= 0 && al <= 1)) fail(at + ": alpha " + al + " outside [0,1]");
                float bgHot = x[(s * 6 + 3) * plane + i], unkHot = x[(s * 6 + 4) * plane + i], fgHot = x[(s * 6 + 5) * plane + i];
                if (bgHot + unkHot + fgHot != 1f || bgHot * (1 - bgHot) != 0 || fgHot * (1 - fgHot) != 0)
                    fail(at + ": trimap not one-hot: " + bgHot + "/" + unkHot + "/" + fgHot);
                if (fgHot == 1 && al != 1f) fail(at + ": foreground label but alpha " + al);
                if (bgHot == 1 && al != 0f) fail(at + ": background label but alpha " + al);
                if (al > 0 && al < 1 && unkHot != 1) fail(at + ": alpha " + al + " not labelled unknown");
                if (unkHot == 1) unknown++;
                for (int c = 0; c < 3; c++) {
                    float img = x[(s * 6 + c) * plane + i];
                    float fc = f[(s * 3 + c) * plane + i], bc = g[(s * 3 + c) * plane + i];
                    if (!(img >= 0 && img <= 1)) fail(at + ": image value " + img);
                    if (Math.abs(img - (fc * al + bc * (1 - al))) >= 1e-6f)
                        fail(at + ": compositing identity broken: " + img + " vs " + (fc * al + bc * (1 - al)));
                }
            }
            assertThat(unknown).as("sample %d has unknown pixels", s).isPositive();
            int centre = (size / 2) * size + size / 2;
            assertThat(x[(s * 6 + 4) * plane + centre]).as("crop centred on an unknown pixel").isEqualTo(1f);
        }
    }

    static void assertSame(Batch x, Batch y, String what) {
        assertThat(x.input().data()).as(what + " input").containsExactly(y.input().data());
        assertThat(x.alpha().data()).as(what + " alpha").containsExactly(y.alpha().data());
        assertThat(x.fg().data()).as(what + " fg").containsExactly(y.fg().data());
        assertThat(x.bg().data()).as(what + " bg").containsExactly(y.bg().data());
    }
}
