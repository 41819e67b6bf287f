package io.pam.cuda;

/**
 * A CUDA, cuDNN or NVRTC call failed. The message names the function and carries the library's
 * own error string, e.g. {@code cudnnConvolutionForward: CUDNN_STATUS_BAD_PARAM (3)}.
 */
public class CudaException extends RuntimeException {
    public CudaException(String message) {
        super(message);
    }

    public CudaException(String message, Throwable cause) {
        super(message, cause);
    }
}
