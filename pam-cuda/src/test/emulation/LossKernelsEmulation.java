import io.pam.net.Tensor;
import io.pam.spi.TrainingOps;
import io.pam.train.LossCheckCase;
import io.pam.train.Losses;
import io.pam.train.data.Batch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks the CUDA loss kernels of {@code io.pam.cuda.DeviceLosses} without a GPU: extracts their
 * source, compiles it with {@code harness.cpp} as serial C++ (g++), runs it on procedural
 * batches and compares with pam-train's host losses, the definition: values within 1e-9
 * (relative), the gradient and the Laplacian term's gradient alone within 1e-5 of the host's
 * largest entry (the limits of {@code DeviceLossesTest} on the GPU). Run by
 * {@code scripts/emulate-device-losses.sh} from the repository root. Exit status 0 when all pass.
 */
public class LossKernelsEmulation {
    static Path work;

    public static void main(String[] args) throws Exception {
        Path root = Path.of("").toAbsolutePath();
        work = Files.createTempDirectory("pam-loss-emulation");
        String java = Files.readString(root.resolve("pam-cuda/src/main/java/io/pam/cuda/DeviceLosses.java"));
        int from = java.indexOf("SOURCE = \"\"\"") + "SOURCE = \"\"\"".length(), to = java.indexOf("\"\"\";", from);
        Files.writeString(work.resolve("losses.cu"), java.substring(from, to));
        Files.copy(root.resolve("pam-cuda/src/test/emulation/harness.cpp"), work.resolve("harness.cpp"));
        run("g++", "-O2", "-std=c++17", "-o", work.resolve("harness").toString(), work.resolve("harness.cpp").toString());

        TrainingOps.LossSpec spec = Losses.spec(0.25, 0.5, 0.05), lapOnly = Losses.spec(0, 1, 0), none = Losses.spec(0, 0, 0);
        boolean ok = true;
        for (int[] shape : new int[][] {{2, 64}, {3, 32}, {1, 96}, {2, 128}}) {
            int n = shape[0], side = shape[1];
            LossCheckCase c = LossCheckCase.of(n, side);
            Batch b = c.batch();
            double[] v = new double[4];
            TrainingOps.LossValues<Tensor> host = Losses.total(c.alpha(), b, c.teacher(), spec);
            float[] g = emulate(c.alpha(), b, c.teacher(), spec, v);
            double worst = LossCheckCase.valueError(v, new double[] {host.l1(), host.composition(), host.laplacian(), host.distillation()});
            float[] hostLap = LossCheckCase.minus(Losses.total(c.alpha(), b, null, lapOnly).grad().data(),
                    Losses.total(c.alpha(), b, null, none).grad().data());
            float[] emuLap = LossCheckCase.minus(emulate(c.alpha(), b, null, lapOnly, v), emulate(c.alpha(), b, null, none, v));
            double gradErr = LossCheckCase.gradientError(g, host.grad().data()), lapErr = LossCheckCase.gradientError(emuLap, hostLap);
            boolean pass = worst <= 1e-9 && gradErr <= 1e-5 && lapErr <= 1e-5;
            ok &= pass;
            System.out.printf("%dx%dx%d: values within %.1e, gradient %.1e, Laplacian gradient alone %.1e  %s%n", n, side, side, worst, gradErr,
                    lapErr, pass ? "ok" : "FAIL");
        }
        System.out.println(ok ? "EMULATION: PASS" : "EMULATION: FAIL");
        System.exit(ok ? 0 : 1);
    }

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed");
    }

    /** The emulated device losses: writes the input file, runs the harness, reads the values into {@code vals}, returns the gradient. */
    static float[] emulate(Tensor alpha, Batch b, Tensor teacher, TrainingOps.LossSpec s, double[] vals) throws Exception {
        int n = alpha.n(), h = alpha.h(), w = alpha.w();
        int total = n * h * w;
        boolean t = teacher != null;
        ByteBuffer buf = ByteBuffer.allocate(20 + 64 + 4 * total * (1 + 6 + 7 + (t ? 1 : 0))).order(ByteOrder.LITTLE_ENDIAN);
        buf.putInt(n).putInt(h).putInt(w).putInt(t ? 1 : 0).putInt(s.laplacianLevels());
        for (double d : new double[] {s.compositionWeight(), s.laplacianWeight(), s.distillationWeight(), s.eps(), s.charbonnierEps(), s.stdR(),
                s.stdG(), s.stdB()}) buf.putDouble(d);
        for (float v : alpha.data()) buf.putFloat(v);
        for (float v : b.input().data()) buf.putFloat(v);
        for (float v : Losses.targets(b).data()) buf.putFloat(v);
        if (t) for (float v : teacher.data()) buf.putFloat(v);
        Path in = work.resolve("in.bin"), out = work.resolve("out.bin");
        Files.write(in, buf.array());
        run(work.resolve("harness").toString(), in.toString(), out.toString());
        ByteBuffer o = ByteBuffer.wrap(Files.readAllBytes(out)).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 4; i++) vals[i] = o.getDouble();
        float[] g = new float[total];
        for (int i = 0; i < total; i++) g[i] = o.getFloat();
        return g;
    }
}
