package io.pam.examples;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar on stderr: {@code [#####.....] 12/40  1.3 img/s  ETA 0:21}. It draws
 * only when stderr is a terminal, so logs and pipes stay clean, and redraws at most every 100 ms.
 */
final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintStream err;
    private final int total;
    private final boolean enabled;
    private final long start = System.nanoTime();
    private long lastDraw;
    private int done;

    ProgressBar(PrintStream err, int total, boolean enabled) {
        this.err = err;
        this.total = total;
        this.enabled = enabled && total > 1;
    }

    /** Enabled when the JVM's console is an interactive terminal (not a pipe or file). */
    static ProgressBar forTerminal(PrintStream err, int total) {
        Console c = System.console();
        return new ProgressBar(err, total, c != null && c.isTerminal());
    }

    void step() {
        done++;
        long now = System.nanoTime();
        if (!enabled || (done < total && now - lastDraw < 100_000_000L)) return;
        lastDraw = now;
        err.print("\r" + line(done, total, (now - start) / 1e9));
        if (done == total) err.println();
        err.flush();
    }

    /** Clears the bar so another message can be printed on its line. */
    void interrupt() {
        if (enabled && done < total) {
            err.print("\r" + " ".repeat(WIDTH + 40) + "\r");
            lastDraw = 0;
        }
    }

    /** The bar's text after {@code done} of {@code total} items in {@code seconds}. */
    static String line(int done, int total, double seconds) {
        int filled = total == 0 ? WIDTH : (int) ((long) WIDTH * done / total);
        double rate = seconds > 0 ? done / seconds : 0;
        String eta = rate > 0 ? clock((total - done) / rate) : "?";
        return String.format(Locale.ROOT, "[%s%s] %d/%d  %.2f img/s  ETA %s", "#".repeat(filled), ".".repeat(WIDTH - filled),
                done, total, rate, eta);
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
