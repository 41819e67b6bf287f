package io.pam.examples;

import static io.pam.examples.CliFixtures.pam;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pam.Budget;
import io.pam.metrics.MatteErrors;
import io.pam.metrics.Metrics;
import io.pam.net.CostModel;
import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pam eval} on tiny fixtures with the tiny network on the reference backend. */
class EvalCommandTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String[] NAMES = {"b", "a", "c"}; // written unsorted: reports must sort them
    static final int W = 40, H = 30;
    @TempDir Path dir;

    /** Images, trimaps (thirds) and ground-truth alphas (random in the unknown third). */
    void fixture() throws Exception {
        for (String n : NAMES) {
            CliFixtures.rgbPng(dir.resolve("images/" + n + ".png"), W, H, n.hashCode());
            byte[] t = CliFixtures.trimapValues(W, H), gt = new byte[W * H];
            Random r = new Random(n.hashCode());
            for (int i = 0; i < gt.length; i++) gt[i] = t[i] == (byte) 128 ? (byte) r.nextInt(256) : t[i];
            CliFixtures.grayPng(dir.resolve("trimaps/" + n + ".png"), W, H, t);
            CliFixtures.grayPng(dir.resolve("alphas/" + n + ".png"), W, H, gt);
        }
    }

    CliFixtures.Run eval(String out, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("eval", "--images", dir.resolve("images").toString(), "--trimaps", dir.resolve("trimaps").toString(),
                "--alphas", dir.resolve("alphas").toString(), "--out", dir.resolve(out).toString(), "--backend", "reference",
                "--weights", CliFixtures.tinyWeights(dir).toString()));
        args.addAll(List.of(extra));
        return pam(args.toArray(String[]::new));
    }

    static float[] unit(byte[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (v[i] & 0xff) / 255f;
        return f;
    }

    @Test
    void reportNumbersAreTheMetricsOfThePredictions() throws Exception {
        fixture();
        CliFixtures.Run r = eval("out", "--flops", "mild,3.7", "--save-predictions", "--contact", "2");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode rep = JSON.readTree(dir.resolve("out/report.json").toFile());
        assertThat(rep.get("budgets")).extracting(b -> b.get("budget").asText()).containsExactly("mild", "3.70");
        for (JsonNode b : rep.get("budgets")) {
            JsonNode images = b.get("images");
            assertThat(images).extracting(i -> i.get("name").asText()).containsExactly("a", "b", "c");
            double sadSum = 0;
            for (JsonNode i : images) {
                String n = i.get("name").asText();
                float[] pred = unit(CliFixtures.grayValues(dir.resolve("out/predictions/" + b.get("budget").asText() + "/" + n + ".png")));
                float[] gt = unit(CliFixtures.grayValues(dir.resolve("alphas/" + n + ".png")));
                byte[] tri = CliFixtures.grayValues(dir.resolve("trimaps/" + n + ".png"));
                MatteErrors e = Metrics.all(W, H, pred, gt, tri);
                assertThat(i.get("sad").asDouble()).as("SAD of %s", n).isCloseTo(e.sad(), within(1e-6));
                assertThat(i.get("mse").asDouble()).as("MSE of %s", n).isCloseTo(e.mse(), within(1e-6));
                assertThat(i.get("grad").asDouble()).as("Grad of %s", n).isCloseTo(e.grad(), within(1e-6));
                assertThat(i.get("conn").asDouble()).as("Conn of %s", n).isCloseTo(e.conn(), within(1e-6));
                assertThat(i.get("unknownPixels").asLong()).isEqualTo(e.unknownPixels()).isPositive();
                assertThat(e.sad()).as("random ground truth: the errors are not all zero").isPositive();
                sadSum += e.sad();
            }
            assertThat(b.get("mean").get("sad").asDouble()).isCloseTo(sadSum / 3, within(1e-5));
        }
        String md = Files.readString(dir.resolve("out/report.md"));
        assertThat(md).contains("## Budget mild").contains("## Budget 3.70").contains("| **mean** |");
        assertThat(md.indexOf("| a |")).isLessThan(md.indexOf("| b |"));
        BufferedImage chart = ImageIO.read(dir.resolve("out/chart.png").toFile()), sheet = ImageIO.read(dir.resolve("out/contact-sheet.png").toFile());
        assertThat(chart.getWidth()).isGreaterThan(400);
        assertThat(sheet.getWidth()).isGreaterThan(5 * 100);
        assertThat(sheet.getHeight()).isBetween(2 * 150, 3 * 150); // two rows
        assertThat(r.out()).contains("mild").contains("SAD");
    }

    @Test
    void twoRunsDifferOnlyInTheTimings() throws Exception {
        fixture();
        assertThat(eval("one", "--flops", "mild", "--contact", "0").code()).isZero();
        assertThat(eval("two", "--flops", "mild", "--contact", "0").code()).isZero();
        String one = Files.readString(dir.resolve("one/report.json")), two = Files.readString(dir.resolve("two/report.json"));
        String timings = "\"ms\" : [0-9.E-]+";
        assertThat(one.replaceAll(timings, "")).isEqualTo(two.replaceAll(timings, ""));
        String mdTimings = "\\| [0-9.]+ \\|\\n";
        assertThat(Files.readString(dir.resolve("one/report.md")).replaceAll(mdTimings, "\n").replaceAll("\\| [0-9.]+ \\| [01]{4} x", "| x"))
                .isEqualTo(Files.readString(dir.resolve("two/report.md")).replaceAll(mdTimings, "\n").replaceAll("\\| [0-9.]+ \\| [01]{4} x", "| x"));
        assertThat(dir.resolve("one/contact-sheet.png")).doesNotExist();
    }

    @Test
    void missingOrMismatchedFilesAreClearErrors() throws Exception {
        fixture();
        Files.delete(dir.resolve("alphas/b.png"));
        CliFixtures.Run r = eval("out");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no alpha in").contains("for b").doesNotContain("\tat ");

        CliFixtures.grayPng(dir.resolve("alphas/b.png"), W + 1, H, new byte[(W + 1) * H]);
        r = eval("out");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("alpha").contains("b.png").contains("41x30").contains("40x30");

        CliFixtures.grayPng(dir.resolve("alphas/b.png"), W, H, new byte[W * H]);
        CliFixtures.trimapPng(dir.resolve("trimaps/zz.png"), W, H);
        r = eval("out");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no image in").contains("zz");
        Files.delete(dir.resolve("trimaps/zz.png"));

        byte[] t = CliFixtures.trimapValues(W, H);
        t[3] = 100;
        CliFixtures.grayPng(dir.resolve("trimaps/c.png"), W, H, t);
        r = eval("out");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("c.png").contains("value 100").contains("0 background, 128 unknown, 255 foreground");

        r = eval("out", "--flops", "1");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("cheapest path");
        assertThat(dir.resolve("out/report.json")).doesNotExist();
    }

    @Test
    void defaultBudgetsAreTheNamedOnesAndEveryIntegerAcrossThePaths() {
        CostModel paper = new CostModel(NetworkSpec.of(NetworkConfig.paper()));
        List<Budget> b = EvalCommand.budgets(null, paper);
        List<String> labels = b.stream().map(EvalCommand::label).toList();
        // 58..75: 75 is mild, 70 moderate, 60 aggressive
        assertThat(labels).hasSize(18).startsWith("mild", "74", "73", "72", "71", "moderate").endsWith("aggressive", "59", "58");
        for (Budget x : b) assertThat(x.gmac()).isGreaterThan(paper.smallest());
        assertThat(b.getFirst().gmac()).isGreaterThan(paper.largest());
        CostModel tiny = new CostModel(NetworkSpec.of(NetworkConfig.tiny()));
        assertThat(EvalCommand.budgets(null, tiny).stream().map(EvalCommand::label)).containsExactly("mild", "moderate", "aggressive", "4");
        assertThat(EvalCommand.budgets("60, 3.7,aggressive", tiny).stream().map(EvalCommand::label)).containsExactly("aggressive", "3.70");
    }
}
