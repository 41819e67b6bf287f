/**
 * Matting error measures of the Composition-1K protocol (SAD, MSE, Grad, Conn), computed over the
 * trimap's unknown pixels with alpha in [0,1].
 */
package io.pam.metrics;
