/**
 * Vector API kernels shared by the CPU inference engine ({@code io.pam.cpu}) and CPU training
 * ({@code io.pam.cpu.train}). Public only so that both packages can reach them: internal, not
 * part of the library's API, and may change without notice.
 */
package io.pam.cpu.kernels;
