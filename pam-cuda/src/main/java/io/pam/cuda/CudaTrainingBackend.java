package io.pam.cuda;

import io.pam.spi.BackendUnavailableException;
import io.pam.spi.TrainingBackend;
import io.pam.spi.TrainingOps;

/**
 * Training kernels on the GPU (cuDNN convolutions and NVRTC kernels, found on the machine at run
 * time like the inference backend): activations, parameters, gradients and optimiser state stay
 * in device memory. Ranked above the CPU kernels (50) and the reference (0). The device is
 * {@code pam.cuda.device} (default 0); {@code -Dpam.cuda.syncEachOp=true} makes every op wait for
 * the device, so an asynchronous fault names the op that caused it (debugging; slow).
 */
public final class CudaTrainingBackend extends CudaProvider implements TrainingBackend {
    /**
     * Opens the kernels on the configured device; {@code threads} is ignored (the GPU does the work).
     *
     * @throws BackendUnavailableException when there is no usable GPU or library (the message
     *                                     says what was tried)
     */
    @Override
    public TrainingOps<?, ?> open(int threads) {
        String why = unavailableReason();
        if (!why.isEmpty()) throw new BackendUnavailableException("CUDA training backend is not available: " + why);
        return new CudaTrainingOps(CudaContext.open(CudaSettings.fromSystemProperties().device()), Boolean.getBoolean("pam.cuda.syncEachOp"));
    }
}
