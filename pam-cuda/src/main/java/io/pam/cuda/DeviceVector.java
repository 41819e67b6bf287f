package io.pam.cuda;

/**
 * A parameter-sized float vector in device memory (weights, gradients, statistics, optimiser
 * moments), made and owned by a {@link CudaTrainingOps}.
 */
record DeviceVector(int length, long ptr) {
    DeviceVector {
        if (length < 0) throw new IllegalArgumentException("negative vector length " + length);
    }

    @Override
    public String toString() {
        return "DeviceVector[" + length + "]";
    }
}
