/**
 * The CUDA backend: the network description compiled into cuDNN calls (BatchNorm folded,
 * convolution+bias+ReLU fused, concatenations by placement, buffers reused) plus a few NVRTC
 * kernels, all reached through {@code java.lang.foreign}. Public: {@link io.pam.cuda.CudaBackend},
 * {@link io.pam.cuda.CudaEngine}, {@link io.pam.cuda.CudaSettings}, {@link io.pam.cuda.CudaMemory}, {@link io.pam.cuda.CudaException};
 * the bindings are package-private.
 */
package io.pam.cuda;
