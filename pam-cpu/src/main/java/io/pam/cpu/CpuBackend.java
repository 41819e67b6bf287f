package io.pam.cpu;

import io.pam.net.NetworkSpec;
import io.pam.net.Weights;
import io.pam.spi.Backend;
import io.pam.spi.BackendUnavailableException;
import io.pam.spi.EngineOptions;
import io.pam.spi.InferenceEngine;

/**
 * The CPU backend: OpenCV DNN (through org.bytedeco's JavaCPP presets), one compiled net per
 * network segment between two routing decisions, routing done in Java. Construction is free;
 * OpenCV is loaded by {@link #isAvailable()} or {@link #open}.
 *
 * <p>Thread count: {@link EngineOptions#threads()} (0 = all cores) is applied with OpenCV's
 * {@code setNumThreads}, which is <b>process-wide</b>: engines with different thread counts in
 * one process re-apply their own count before each run, so concurrent runs of such engines see
 * whichever count was set last.
 */
public final class CpuBackend implements Backend {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int priority() {
        return 50;
    }

    @Override
    public boolean isAvailable() {
        return OpenCv.load();
    }

    @Override
    public String unavailableReason() {
        return OpenCv.failure();
    }

    @Override
    public InferenceEngine open(NetworkSpec spec, Weights weights, EngineOptions options) {
        if (!OpenCv.load()) throw new BackendUnavailableException("backend 'cpu' is not available: " + OpenCv.failure());
        return new CpuEngine(spec, weights, options);
    }
}
