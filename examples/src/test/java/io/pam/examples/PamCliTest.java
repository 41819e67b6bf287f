package io.pam.examples;

import static io.pam.examples.CliFixtures.pam;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pam.Route;
import io.pam.net.CostModel;
import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.spi.Backends;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code pam} command line, end to end, on the reference backend and the tiny network. */
class PamCliTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir Path dir;

    @Test
    void infoJsonListsThe16PathsWithTheCostModelsNumbers() throws Exception {
        CliFixtures.Run r = pam("info", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode root = JSON.readTree(r.out());
        CostModel costs = new CostModel(NetworkSpec.of(NetworkConfig.paper()));
        assertThat(root.get("parameters").asLong()).isEqualTo(NetworkSpec.of(NetworkConfig.paper()).parameterCount());
        JsonNode paths = root.get("paths");
        assertThat(paths).hasSize(16);
        Set<String> seen = new HashSet<>();
        double previous = Double.MAX_VALUE;
        for (JsonNode p : paths) {
            Route route = Route.parse(p.get("route").asText());
            assertThat(seen.add(route.toString())).isTrue();
            double g = p.get("gmacAt1024").asDouble();
            assertThat(g).isCloseTo(costs.gmac(route), org.assertj.core.data.Offset.offset(1e-4)).isLessThanOrEqualTo(previous);
            previous = g;
        }
        assertThat(root.get("budgets")).extracting(b -> b.get("name").asText()).containsExactly("mild", "moderate", "aggressive");
        assertThat(root.get("budgets").get(0).get("largestFeasibleRoute").asText()).isEqualTo("1111");
        assertThat(root.get("backends")).anySatisfy(b -> {
            assertThat(b.get("name").asText()).isEqualTo("reference");
            assertThat(b.get("available").asBoolean()).isTrue();
        });
    }

    @Test
    void infoWithWeightsDescribesThatNetwork() throws Exception {
        CliFixtures.Run r = pam("info", "--json", "--weights", CliFixtures.tinyWeights(dir).toString());
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode root = JSON.readTree(r.out());
        assertThat(root.get("parameters").asLong()).isEqualTo(NetworkSpec.of(NetworkConfig.tiny()).parameterCount());
        assertThat(pam("info").out()).contains("1011").contains("mild").contains("reference");
    }

    @Test
    void mattesOneImageIntoAGrayPngOfItsSizeWithAReport() throws Exception {
        int w = 45, h = 37;
        Path img = CliFixtures.rgbPng(dir.resolve("in/a.png"), w, h, 1), tri = CliFixtures.trimapPng(dir.resolve("tri/a.png"), w, h);
        Path out = dir.resolve("out/a.png"), report = dir.resolve("report.json");
        CliFixtures.Run r = pam("matte", "--image", img.toString(), "--trimap", tri.toString(), "--out", out.toString(), "--backend", "reference",
                "--weights", CliFixtures.tinyWeights(dir).toString(), "--flops", "3.7", "--report", report.toString());
        assertThat(r.code()).as(r.err()).isZero();
        BufferedImage alpha = ImageIO.read(out.toFile());
        assertThat(alpha.getWidth()).isEqualTo(w);
        assertThat(alpha.getHeight()).isEqualTo(h);
        byte[] a = CliFixtures.grayValues(out), t = CliFixtures.trimapValues(w, h);
        for (int i = 0; i < a.length; i++) {
            if (t[i] == 0) assertThat(a[i]).as("background pixel %d", i).isZero();
            if (t[i] == (byte) 255) assertThat(a[i]).as("foreground pixel %d", i).isEqualTo((byte) 255);
        }
        JsonNode rep = JSON.readTree(report.toFile()).get("images").get(0);
        CostModel costs = new CostModel(NetworkSpec.of(NetworkConfig.tiny()));
        Route route = Route.parse(rep.get("route").asText());
        assertThat(rep.get("gmacAt1024").asDouble()).isCloseTo(costs.gmac(route), org.assertj.core.data.Offset.offset(1e-4)).isLessThan(3.7);
        assertThat(rep.get("gmacActual").asDouble()).isCloseTo(costs.routeMacs(route, 64, 64) / 1e9, org.assertj.core.data.Offset.offset(1e-4));
        assertThat(rep.get("width").asInt()).isEqualTo(w);
        assertThat(rep.get("ms").asDouble()).isPositive();
        assertThat(r.out()).contains("route " + route);
    }

    @Test
    void directoryModePairsByNameAndSaysWhatIsUnpaired() throws Exception {
        for (String n : new String[] {"a", "b", "c"}) CliFixtures.rgbPng(dir.resolve("img/" + n + ".png"), 20, 16, n.hashCode());
        for (String n : new String[] {"a", "c", "z"}) CliFixtures.trimapPng(dir.resolve("tri/" + n + ".png"), 20, 16);
        Path report = dir.resolve("r.json");
        CliFixtures.Run r = pam("matte", "--image", dir.resolve("img").toString(), "--trimap", dir.resolve("tri").toString(), "--out",
                dir.resolve("out").toString(), "--backend", "reference", "--weights", CliFixtures.tinyWeights(dir).toString(), "--report", report.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("without a trimap").contains(": b").contains("without an image").contains(": z");
        assertThat(dir.resolve("out/a.png")).exists();
        assertThat(dir.resolve("out/c.png")).exists();
        assertThat(dir.resolve("out/b.png")).doesNotExist();
        JsonNode rep = JSON.readTree(report.toFile());
        assertThat(rep.get("images")).extracting(i -> i.get("name").asText()).containsExactly("a", "c");
        assertThat(rep.get("imagesWithoutTrimap").get(0).asText()).isEqualTo("b");
        assertThat(rep.get("trimapsWithoutImage").get(0).asText()).isEqualTo("z");
    }

    @Test
    void directoryModeGoesOnPastABadImageAndExitsNonZero() throws Exception {
        CliFixtures.rgbPng(dir.resolve("img/a.png"), 20, 16, 1);
        CliFixtures.rgbPng(dir.resolve("img/b.png"), 20, 16, 2);
        CliFixtures.trimapPng(dir.resolve("tri/a.png"), 20, 16);
        CliFixtures.trimapPng(dir.resolve("tri/b.png"), 24, 16); // wrong size
        CliFixtures.Run r = pam("matte", "--image", dir.resolve("img").toString(), "--trimap", dir.resolve("tri").toString(), "--out",
                dir.resolve("out").toString(), "--backend", "reference", "--weights", CliFixtures.tinyWeights(dir).toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).contains("failed: b:").contains("24x16").contains("20x16").doesNotContain("\tat ");
        assertThat(dir.resolve("out/a.png")).exists();
        assertThat(dir.resolve("out/b.png")).doesNotExist();
    }

    /** Runs matte on one fixture pair and expects exit code 2 with a message containing {@code expected}. */
    private void expectUserError(Path img, Path tri, String flops, String... expected) throws Exception {
        CliFixtures.Run r = pam("matte", "--image", img.toString(), "--trimap", tri.toString(), "--out", dir.resolve("o.png").toString(),
                "--backend", "reference", "--weights", CliFixtures.tinyWeights(dir).toString(), "--flops", flops);
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("pam matte: ").contains(expected).doesNotContain("\tat ");
        assertThat(dir.resolve("o.png")).doesNotExist();
    }

    @Test
    void badInputsGiveExitCode2AndOneClearLine() throws Exception {
        Path img = CliFixtures.rgbPng(dir.resolve("a.png"), 20, 16, 1), tri = CliFixtures.trimapPng(dir.resolve("t.png"), 20, 16);
        expectUserError(dir.resolve("missing.png"), tri, "mild", "--image", "missing.png", "no such file");
        expectUserError(img, dir.resolve("nope.png"), "mild", "--trimap", "nope.png", "no such file");
        expectUserError(img, CliFixtures.trimapPng(dir.resolve("small.png"), 19, 16), "mild", "19x16", "20x16", "same size");
        byte[] odd = CliFixtures.trimapValues(20, 16);
        odd[5] = 77;
        expectUserError(img, CliFixtures.grayPng(dir.resolve("odd.png"), 20, 16, odd), "mild", "77", "0", "128", "255");
        expectUserError(img, tri, "2", "budget 2.00", "3.64", "cheapest path");
        expectUserError(img, tri, "lots", "--flops", "'lots'", "mild, moderate, aggressive");
        Path notImage = Files.writeString(dir.resolve("x.png"), "not a png");
        expectUserError(notImage, tri, "mild", "x.png", "not an image");
    }

    @Test
    void usageErrorsAreOneLineAndVerboseAddsTheStackTrace() throws Exception {
        CliFixtures.Run r = pam("matte", "--image", "x.png");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--trimap").doesNotContain("\tat ");
        r = pam("matte", "--bogus", "1");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown option --bogus").contains("--flops");
        r = pam("frobnicate");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("unknown command 'frobnicate'");
        Path tri = CliFixtures.trimapPng(dir.resolve("t.png"), 20, 16);
        r = pam("matte", "--image", dir.resolve("nothing.png").toString(), "--trimap", tri.toString(), "--out", "o.png", "--verbose");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("\tat ");
        assertThat(pam("--help").code()).isZero();
        assertThat(pam("matte", "--help").out()).contains("--flops");
    }

    @Test
    void withoutShippedWeightsItSaysSoAndSuggestsWeights() throws Exception {
        assumeThat(MatterOptions.shippedWeightsPresent()).as("weights ship in this build").isFalse();
        Path img = CliFixtures.rgbPng(dir.resolve("a.png"), 20, 16, 1), tri = CliFixtures.trimapPng(dir.resolve("t.png"), 20, 16);
        CliFixtures.Run r = pam("matte", "--image", img.toString(), "--trimap", tri.toString(), "--out", dir.resolve("o.png").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("no trained weights ship").contains("--weights").contains("--untrained");
    }

    @Test
    void untrainedRunsThePaperNetworkWithALoudWarning() throws Exception {
        Path img = CliFixtures.rgbPng(dir.resolve("a.png"), 32, 32, 1), tri = CliFixtures.trimapPng(dir.resolve("t.png"), 32, 32);
        CliFixtures.Run r = pam("matte", "--image", img.toString(), "--trimap", tri.toString(), "--out", Files.createDirectories(dir.resolve("out")).toString(), "--untrained",
                "--backend", "reference", "--flops", "moderate");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("WARNING").contains("meaningless");
        assertThat(dir.resolve("out/a.png")).exists(); // --out DIR in single-image mode: DIR/<name>.png
        String route = r.out().replaceAll("(?s).*route (\\d{4}).*", "$1");
        assertThat(new CostModel(NetworkSpec.of(NetworkConfig.paper())).gmac(Route.parse(route))).isLessThan(70);
    }

    @Test
    void realPhotographsFromTheAlphamattingSet() throws Exception {
        Path data = CliFixtures.alphamattingDev();
        assumeThat(data).as("shared/data/alphamatting-dev beside the checkout").isNotNull();
        // half size (about 400x300) on the OpenCV backend; where it cannot load, a quarter of the
        // size (about 200x150) on the plain-Java reference backend, which is slow
        boolean cpu = Backends.all().stream().anyMatch(b -> b.name().equals("cpu") && b.isAvailable());
        for (String n : new String[] {"GT01", "GT02"}) {
            CliFixtures.downscale(data.resolve("image/" + n + ".png"), dir.resolve("img/" + n + ".png"), cpu ? 2 : 4);
            CliFixtures.downscale(data.resolve("trimap1/" + n + ".png"), dir.resolve("tri/" + n + ".png"), cpu ? 2 : 4);
        }
        Path report = dir.resolve("r.json");
        CliFixtures.Run r = pam("matte", "--image", dir.resolve("img").toString(), "--trimap", dir.resolve("tri").toString(), "--out",
                dir.resolve("out").toString(), "--backend", cpu ? "cpu" : "reference", "--weights", CliFixtures.tinyWeights(dir).toString(),
                "--report", report.toString());
        assertThat(r.code()).as(r.err()).isZero();
        for (String n : new String[] {"GT01", "GT02"}) {
            BufferedImage in = ImageIO.read(dir.resolve("img/" + n + ".png").toFile()), out = ImageIO.read(dir.resolve("out/" + n + ".png").toFile());
            assertThat(out.getWidth()).isEqualTo(in.getWidth());
            assertThat(out.getHeight()).isEqualTo(in.getHeight());
            byte[] a = CliFixtures.grayValues(dir.resolve("out/" + n + ".png")), t = CliFixtures.grayValues(dir.resolve("tri/" + n + ".png"));
            for (int i = 0; i < a.length; i++) if (t[i] == 0 || t[i] == (byte) 255) assertThat(a[i]).isEqualTo(t[i]);
        }
        JsonNode images = JSON.readTree(report.toFile()).get("images");
        assertThat(images).hasSize(2);
        assertThat(images.get(0).get("backend").asText()).isEqualTo(cpu ? "cpu" : "reference");
    }

    @Test
    void cutoutIsRgbaWithTheAlphaAndBackgroundCompositesOverAFittedImage() throws Exception {
        int w = 45, h = 37;
        Path img = CliFixtures.rgbPng(dir.resolve("a.png"), w, h, 1), tri = CliFixtures.trimapPng(dir.resolve("t.png"), w, h);
        String weights = CliFixtures.tinyWeights(dir).toString();
        Path alpha = dir.resolve("alpha.png"), cut = dir.resolve("cut.png"), comp = dir.resolve("comp.png");
        assertThat(pam("matte", "--image", img.toString(), "--trimap", tri.toString(), "--out", alpha.toString(), "--backend", "reference", "--weights", weights).code()).isZero();
        CliFixtures.Run r = pam("matte", "--image", img.toString(), "--trimap", tri.toString(), "--out", cut.toString(), "--backend", "reference", "--weights", weights, "--cutout");
        assertThat(r.code()).as(r.err()).isZero();
        BufferedImage c = ImageIO.read(cut.toFile());
        assertThat(c.getColorModel().hasAlpha()).isTrue();
        byte[] a = CliFixtures.grayValues(alpha);
        for (int i = 0; i < a.length; i++) assertThat(c.getRGB(i % w, i / w) >>> 24).as("alpha at %d", i).isEqualTo(a[i] & 0xff);

        BufferedImage green = new BufferedImage(7, 3, BufferedImage.TYPE_INT_RGB); // other size and aspect: fitted
        for (int y = 0; y < 3; y++) for (int x = 0; x < 7; x++) green.setRGB(x, y, 0x00c800);
        Path bg = dir.resolve("green.png");
        ImageIO.write(green, "png", bg.toFile());
        r = pam("matte", "--image", img.toString(), "--trimap", tri.toString(), "--out", comp.toString(), "--backend", "reference", "--weights", weights, "--background", bg.toString());
        assertThat(r.code()).as(r.err()).isZero();
        BufferedImage o = ImageIO.read(comp.toFile());
        assertThat(o.getWidth()).isEqualTo(w);
        assertThat(o.getColorModel().hasAlpha()).isFalse();
        BufferedImage in = ImageIO.read(img.toFile());
        for (int i = 0; i < a.length; i++) {
            if ((a[i] & 0xff) == 0) assertThat(o.getRGB(i % w, i / w) & 0xffffff).isEqualTo(0x00c800);
            if ((a[i] & 0xff) == 255) assertThat(o.getRGB(i % w, i / w) & 0xffffff).isEqualTo(c.getRGB(i % w, i / w) & 0xffffff);
        }
        assertThat(in.getWidth()).isEqualTo(w);
        r = pam("matte", "--image", img.toString(), "--trimap", tri.toString(), "--out", comp.toString(), "--backend", "reference", "--weights", weights, "--background", "nope.png");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--background nope.png: no such file");
    }

    @Test
    void nearestTrimapPolicyAcceptsWhatStrictRejectsAndInputsAreNeverOverwritten() throws Exception {
        Path img = CliFixtures.rgbPng(dir.resolve("a.png"), 20, 16, 1);
        byte[] t = CliFixtures.trimapValues(20, 16);
        for (int i = 0; i < t.length; i++) if (t[i] == (byte) 128) t[i] = 120; // a resampled trimap
        Path tri = CliFixtures.grayPng(dir.resolve("t.png"), 20, 16, t);
        String weights = CliFixtures.tinyWeights(dir).toString();
        CliFixtures.Run r = pam("matte", "--image", img.toString(), "--trimap", tri.toString(), "--out", dir.resolve("o.png").toString(),
                "--backend", "reference", "--weights", weights);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("120");
        r = pam("matte", "--image", img.toString(), "--trimap", tri.toString(), "--out", dir.resolve("o.png").toString(),
                "--backend", "reference", "--weights", weights, "--trimap-policy", "nearest");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("route ");
        r = pam("matte", "--image", img.toString(), "--trimap", tri.toString(), "--out", img.toString(), "--backend", "reference", "--weights", weights);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("would be overwritten");
        r = pam("matte", "--image", dir.toString(), "--trimap", dir.toString(), "--out", dir.toString(), "--backend", "reference", "--weights", weights);
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("would be overwritten");
        assertThat(pam("matte", "--image", img.toString(), "--trimap", tri.toString(), "--out", "x.png", "--trimap-policy", "fuzzy").err())
                .contains("strict or nearest");
    }

    @Test
    void trainIsHandedToTheTrainer() {
        CliFixtures.Run r = pam("train", "--help");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("--");
        r = pam("train", "--data", "no-such-data", "--out", dir.resolve("run").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out() + r.err()).contains("no-such-data");
    }
}
