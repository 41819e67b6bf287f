package io.pam.cpu.train;

import io.pam.spi.TrainingBackend;

/**
 * The fast CPU training kernels ({@link CpuTrainingOps}) as a provider: OpenBLAS GEMMs and
 * Vector API kernels. Needs the {@code jdk.incubator.vector} module and OpenBLAS's natives; the
 * probe checks both once and never throws.
 */
public final class CpuTrainingBackend implements TrainingBackend {
    private volatile String reason;

    public String name() {
        return "cpu";
    }

    /** Above the reference backend (0). */
    public int priority() {
        return 50;
    }

    public boolean isAvailable() {
        return unavailableReason().isEmpty();
    }

    public String unavailableReason() {
        String r = reason;
        if (r == null) {
            try {
                if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty())
                    r = "the Vector API is missing: run the JVM with --add-modules jdk.incubator.vector";
                else {
                    String err = Gemm.load();
                    r = err == null ? "" : err;
                }
            } catch (Throwable t) {
                r = "probe failed: " + t;
            }
            reason = r;
        }
        return r;
    }

    public CpuTrainingOps open(int threads) {
        if (!isAvailable()) throw new io.pam.spi.BackendUnavailableException("cpu training backend: " + unavailableReason());
        return new CpuTrainingOps(threads);
    }
}
