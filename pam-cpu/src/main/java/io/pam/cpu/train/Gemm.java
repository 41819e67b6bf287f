package io.pam.cpu.train;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Row-major single-precision GEMM through OpenBLAS ({@code cblas_sgemm}):
 * {@code C[m x n] = alpha op(A) op(B) + beta C}. OpenBLAS runs single-threaded here: the
 * convolution kernels parallelise over samples in Java, which avoids OpenBLAS's spinning worker
 * threads competing with the Java kernels that run between GEMMs.
 */
final class Gemm {
    private Gemm() {}

    private static volatile String loadError;
    private static volatile boolean loaded;

    /** Loads OpenBLAS and pins it to one thread; returns null on success, else why it failed. */
    static synchronized String load() {
        if (loaded) return loadError;
        try {
            Loader.load(openblas_nolapack.class);
            openblas_nolapack.blas_set_num_threads(1);
            loadError = null;
        } catch (Throwable t) {
            loadError = "OpenBLAS could not be loaded: " + t;
        }
        loaded = true;
        return loadError;
    }

    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                      FloatPointer a, int lda, FloatPointer b, int ldb, float beta, FloatPointer c, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}
