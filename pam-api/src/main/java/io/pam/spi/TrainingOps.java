package io.pam.spi;

import io.pam.net.Activation;
import io.pam.net.Op;
import io.pam.net.Tensor;
import java.util.List;

/**
 * The kernels a trainer needs, forward and backward, on batches of NCHW float tensors. The
 * trainer ({@code pam-train}) depends only on this interface; backends implement it (the plain-
 * Java reference in pam-api, a fast CPU one in pam-cpu, later CUDA).
 *
 * <p>Contract, kept narrow so that a device backend can implement it: every method is a pure
 * function of its arguments that allocates its result (inputs are never modified, except the
 * running statistics of {@link #batchNormTrain} and the target of {@link #accumulate}); parameter
 * tensors are flat {@code float[]} in the layout of {@link io.pam.net.NetworkSpec#params()};
 * gradients of parameters are returned, never accumulated, so the caller decides what to sum.
 * A device backend keeps this signature by staging through host memory; a handle-based variant
 * (tensors resident on the device between calls) is the planned extension, which is why the
 * trainer never reads activation data except the final alpha and the selection logits.
 *
 * <p>Shapes below: x is N x C x H x W. Not thread-safe: one instance per training loop.
 */
public interface TrainingOps extends AutoCloseable {

    /** Short name for reports ({@code reference}, {@code cpu}). */
    String name();

    /** Gradients of a convolution: {@code dx} (null when not asked for), {@code dw} [outC, inC/groups, k, k], {@code db} [outC]. */
    record ConvGrads(Tensor dx, float[] dw, float[] db) {}

    /**
     * Training-mode BatchNorm result: the normalised output and the batch statistics it used.
     *
     * @param mean   per-channel batch mean over N, H, W
     * @param invStd per-channel {@code 1 / sqrt(biasedVar + eps)}
     */
    record BatchNormResult(Tensor y, float[] mean, float[] invStd) {}

    /** Gradients of training-mode BatchNorm: input, scale (gamma), shift (beta). */
    record BatchNormGrads(Tensor dx, float[] dGamma, float[] dBeta) {}

    // ---- convolution ----------------------------------------------------------------------

    /** {@code y = conv(x, w) + b} (no norm, no activation); {@code b} may be null. y: N x outC x H' x W'. */
    Tensor conv(Tensor x, Op.Conv c, float[] w, float[] b);

    /**
     * Gradients of {@link #conv} given {@code dy} (N x outC x H' x W'):
     * {@code dx = conv^T(dy, w)}, {@code dw = sum_n dy (x) x} (correlation), {@code db = sum dy}.
     *
     * @param needDx false skips the data gradient (first layer)
     */
    ConvGrads convBackward(Tensor x, Op.Conv c, float[] w, Tensor dy, boolean needDx);

    // ---- BatchNorm ------------------------------------------------------------------------

    /**
     * Training-mode BatchNorm: {@code y = gamma * (x - mu) * invStd + beta} with the batch's
     * statistics over N, H, W (biased variance). When {@code runningMean}/{@code runningVar} are
     * non-null they are updated in place, PyTorch style:
     * {@code r = (1 - momentum) r + momentum * stat}, the variance unbiased ({@code M/(M-1)}).
     */
    BatchNormResult batchNormTrain(Tensor x, float[] gamma, float[] beta, float[] runningMean, float[] runningVar,
                                   float momentum, float eps);

    /**
     * Backward of training-mode BatchNorm, with {@code xhat = (x - mean) * invStd}, M = N*H*W:
     * {@code dBeta = sum dy}, {@code dGamma = sum dy * xhat},
     * {@code dx = gamma * invStd / M * (M dy - dBeta - xhat dGamma)}.
     */
    BatchNormGrads batchNormBackward(Tensor x, float[] mean, float[] invStd, float[] gamma, Tensor dy);

    /** Inference-mode BatchNorm with given statistics. */
    Tensor batchNormEval(Tensor x, float[] gamma, float[] beta, float[] mean, float[] var, float eps);

    // ---- elementwise ----------------------------------------------------------------------

    /** ReLU / sigmoid / identity (identity may return x itself). */
    Tensor activation(Tensor x, Activation a);

    /** {@code dx} from the activation's output {@code y} and {@code dy}: relu: dy [y > 0]; sigmoid: dy y (1 - y). */
    Tensor activationBackward(Tensor y, Activation a, Tensor dy);

    Tensor add(Tensor a, Tensor b);

    /** {@code into += g}, in place (gradient accumulation); shapes must match. */
    void accumulate(Tensor into, Tensor g);

    /** {@code y = x * g}, g: N x C x 1 x 1. */
    Tensor channelMul(Tensor x, Tensor g);

    /** Gradients of {@link #channelMul}: {@code [dx = dy * g, dg = sum_hw dy * x]}. */
    Tensor[] channelMulBackward(Tensor x, Tensor g, Tensor dy);

    // ---- layout ---------------------------------------------------------------------------

    Tensor concat(List<Tensor> parts);

    /** The inverse of {@link #concat}: splits channels into parts of the given widths. */
    List<Tensor> split(Tensor x, int[] channels);

    // ---- resampling -----------------------------------------------------------------------

    /** Bilinear resize, half-pixel centres (PyTorch {@code align_corners=False}), edges clamped. */
    Tensor resize(Tensor x, int outH, int outW);

    /** The adjoint of {@link #resize}: scatters {@code dy} (N x C x outH x outW) back to N x C x inH x inW. */
    Tensor resizeBackward(Tensor dy, int inH, int inW);

    /** {@link Op.AvgPool}: windowed, padding excluded; a global average where {@link Op.AvgPool#fits} is false. */
    Tensor avgPool(Tensor x, Op.AvgPool p);

    /** The adjoint of {@link #avgPool} for an input of {@code inH x inW}. */
    Tensor avgPoolBackward(Tensor dy, Op.AvgPool p, int inH, int inW);

    Tensor globalAvgPool(Tensor x);

    /** The adjoint of {@link #globalAvgPool}: {@code dy / (H W)} broadcast. */
    Tensor globalAvgPoolBackward(Tensor dy, int inH, int inW);

    // ---- the network's special ops --------------------------------------------------------

    /** One row of a cost-embedding table (row from {@link Op.CostEmbedding#row}), N x dim x 1 x 1. */
    Tensor embedding(float[] table, Op.CostEmbedding e, int n, double budget);

    /** Gradient of the table: {@code dy} summed over the batch into the budget's row, zeros elsewhere. */
    float[] embeddingBackward(Tensor dy, Op.CostEmbedding e, double budget);

    /** {@code clamp(pred, 0, 1) * x[4] + x[5]} (x = the 6-channel network input). */
    Tensor composite(Tensor pred, Tensor input);

    /** {@code dpred = dy * x[4]} where {@code 0 < pred < 1}, 0 elsewhere (the clamp's derivative). */
    Tensor compositeBackward(Tensor pred, Tensor input, Tensor dy);

    /** Frees what the implementation holds (thread pools, native buffers). */
    @Override
    void close();
}
