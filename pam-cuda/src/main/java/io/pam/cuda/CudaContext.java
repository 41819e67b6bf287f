package io.pam.cuda;

/**
 * One device's primary context, shared by the runtime, cuDNN and our driver-API kernel launches.
 * Retained on open and released on close (the driver counts references).
 */
final class CudaContext {
    private final int ordinal;
    private final int device;
    private final long context;
    private final int arch;
    private final String name;

    private CudaContext(int ordinal, int device, long context, int arch, String name) {
        this.ordinal = ordinal;
        this.device = device;
        this.context = context;
        this.arch = arch;
        this.name = name;
    }

    private static final java.util.Map<Integer, CudaContext> OPEN = new java.util.HashMap<>();

    /**
     * The context of device {@code ordinal}, retained once per process and kept (the runtime
     * holds the same primary context for the process; releasing it under the runtime's feet
     * would destroy every allocation of other engines).
     *
     * @throws CudaException when the libraries are missing or there is no usable GPU
     */
    static synchronized CudaContext open(int ordinal) {
        CudaContext c = OPEN.get(ordinal);
        if (c == null) {
            c = retain(ordinal);
            OPEN.put(ordinal, c);
        }
        c.makeCurrent();
        return c;
    }

    private static CudaContext retain(int ordinal) {
        int count = CudaProbe.deviceCount();
        if (ordinal >= count) throw new CudaException("CUDA device " + ordinal + " requested, but there are only " + count);
        CuDriver.init();
        int dev = CuDriver.device(ordinal);
        long ctx = CuDriver.retainPrimaryContext(dev);
        CuDriver.setCurrent(ctx);
        Cudart.setDevice(ordinal);
        int arch = Cudart.attribute(Cudart.ATTR_CC_MAJOR, ordinal) * 10 + Cudart.attribute(Cudart.ATTR_CC_MINOR, ordinal);
        return new CudaContext(ordinal, dev, ctx, arch, CuDriver.deviceName(dev));
    }

    void makeCurrent() {
        CuDriver.setCurrent(context);
    }

    /** Compute capability as one number, e.g. 90 for 9.0. */
    int arch() {
        return arch;
    }

    String name() {
        return name;
    }

    String description() {
        return name + " (device " + ordinal + ", sm_" + arch + "), " + Cudart.versions() + ", cuDNN " + Cudnn.versionString()
                + ", NVRTC " + Nvrtc.version() + "\n  " + String.join("\n  ", CudaLibraries.get().report());
    }

    /** The device handle (driver API ordinal mapping). */
    int device() {
        return device;
    }
}
