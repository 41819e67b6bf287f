package io.pam.cuda;

/**
 * The availability probe: libraries, driver, a device, a recent enough cuDNN. Never throws;
 * the first answer is cached for the process.
 */
final class CudaProbe {
    private CudaProbe() {}

    private static String reason;

    /** Empty when the backend can run, else why not (what was tried). */
    static synchronized String unavailableReason() {
        if (reason == null) reason = probe();
        return reason;
    }

    private static String probe() {
        try {
            deviceCount();
            long v = Cudnn.version();
            if (v < 8000) return "cuDNN " + Cudnn.versionString() + " is too old: cuDNN 8 or 9 is required";
            Nvrtc.version();
            CuDriver.init();
            return "";
        } catch (CudaException e) {
            return e.getMessage();
        } catch (LinkageError e) {
            // a binding class failed to initialise: report the underlying cause
            Throwable t = e;
            while (t.getCause() != null) t = t.getCause();
            return t.getMessage() == null ? t.toString() : t.getMessage();
        } catch (RuntimeException e) {
            return "CUDA probe failed: " + e;
        }
    }

    /**
     * The number of CUDA devices.
     *
     * @throws CudaException when the libraries are missing or the driver/GPU is not usable
     */
    static int deviceCount() {
        CudaLibraries.Loaded libs = CudaLibraries.get();
        int[] n = new int[1];
        int st = Cudart.deviceCount(n);
        if (st != Cudart.SUCCESS) {
            String hint = st == Cudart.ERROR_INSUFFICIENT_DRIVER ? " (no NVIDIA driver, or one older than the runtime "
                    + libs.cudart().name() + ")" : st == Cudart.ERROR_NO_DEVICE ? " (no CUDA-capable GPU)" : "";
            throw new CudaException("no usable GPU: cudaGetDeviceCount: " + Cudart.errorString(st) + " (cudaError " + st + ")" + hint);
        }
        if (n[0] == 0) throw new CudaException("no usable GPU: cudaGetDeviceCount found 0 devices");
        return n[0];
    }
}
