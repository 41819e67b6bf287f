package io.pam.net;

/** The activation applied after a convolution (and its norm, if any). */
public enum Activation {
    NONE,
    RELU,
    SIGMOID
}
