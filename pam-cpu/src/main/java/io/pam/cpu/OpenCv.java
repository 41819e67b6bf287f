package io.pam.cpu;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_dnn;

/**
 * Loads OpenCV's native libraries once per process and remembers whether that worked. The
 * first load unpacks the natives into {@code ~/.javacpp/cache} (1-2 s); later calls are free.
 */
final class OpenCv {
    private static volatile String failure; // null until tried; "" when loaded
    private static volatile String version = "";

    private OpenCv() {}

    /** Tries to load OpenCV (core and dnn); never throws. */
    static boolean load() {
        String f = failure;
        if (f == null) {
            synchronized (OpenCv.class) {
                if (failure == null) failure = tryLoad();
                f = failure;
            }
        }
        return f.isEmpty();
    }

    /** Why loading failed, or an empty string. */
    static String failure() {
        load();
        return failure;
    }

    /** The OpenCV version string, once loaded. */
    static String version() {
        return version;
    }

    private static String tryLoad() {
        try {
            Loader.load(opencv_core.class);
            Loader.load(opencv_dnn.class);
            version = opencv_core.getVersionString().getString();
            return "";
        } catch (Throwable t) {
            // UnsatisfiedLinkError, NoClassDefFoundError (no natives for this platform), ...
            return "could not load OpenCV natives through JavaCPP for platform " + Loader.getPlatform()
                    + ": " + t;
        }
    }
}
