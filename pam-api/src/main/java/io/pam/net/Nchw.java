package io.pam.net;

/**
 * Anything with an N x C x H x W shape: a host {@link Tensor}, or a backend's handle to a tensor
 * that lives elsewhere (device memory). Lets shape-only logic (the trainer's autograd) work on
 * either without reading data.
 */
public interface Nchw {
    int n();

    int c();

    int h();

    int w();
}
