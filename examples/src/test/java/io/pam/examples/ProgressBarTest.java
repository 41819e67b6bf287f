package io.pam.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    @Test
    void lineShowsCountRateAndEta() {
        assertThat(ProgressBar.line(5, 10, 2.5)).isEqualTo("[" + "#".repeat(15) + ".".repeat(15) + "] 5/10  2.00 img/s  ETA 0:03");
        assertThat(ProgressBar.line(0, 4, 0)).endsWith("0/4  0.00 img/s  ETA ?");
        assertThat(ProgressBar.clock(3725)).isEqualTo("1:02:05");
    }

    @Test
    void drawsOnlyWhenEnabledAndEndsWithANewline() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(b, true, StandardCharsets.UTF_8);
        ProgressBar off = new ProgressBar(err, 3, false);
        for (int i = 0; i < 3; i++) off.step();
        assertThat(b.size()).isZero();
        ProgressBar on = new ProgressBar(err, 3, true);
        for (int i = 0; i < 3; i++) on.step();
        String s = b.toString(StandardCharsets.UTF_8);
        assertThat(s).startsWith("\r[").contains("3/3").endsWith(System.lineSeparator());
    }
}
