/**
 * The CPU backend on OpenCV DNN ({@link io.pam.cpu.CpuBackend}, service name {@code cpu}).
 * Internals (engine, segment nets, Mat copies) are package-private.
 */
package io.pam.cpu;
