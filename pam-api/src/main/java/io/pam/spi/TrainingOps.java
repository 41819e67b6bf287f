package io.pam.spi;

import io.pam.net.Activation;
import io.pam.net.Nchw;
import io.pam.net.Op;
import io.pam.net.Tensor;
import java.util.List;

/**
 * The kernels a trainer needs, forward and backward, on batches of NCHW float tensors. The
 * trainer ({@code pam-train}) depends only on this interface; backends implement it (the plain-
 * Java reference in pam-api, a fast CPU one in pam-cpu, cuDNN in pam-cuda).
 *
 * <p>Where the data lives is the backend's business: activations are of type {@code T} (shape
 * only, see {@link Nchw}) and parameter-sized vectors (weights, biases, BatchNorm statistics,
 * gradients, optimiser moments) of type {@code P}. Host backends use {@code T = Tensor},
 * {@code P = float[]}; a device backend uses handles to device memory, so a training step moves
 * only the batch in and the alpha, the selection logits and the loss gradient across. The
 * trainer reads data only through {@link #download} and {@link #toHost}.
 *
 * <p>Contract: every op is a pure function of its arguments that allocates its result (inputs
 * are never modified, except the running statistics of {@link #batchNormTrain}, the target of
 * {@link #accumulate}/{@link #accumulateParam}/{@link #scaleParam} and the state of
 * {@link #adamUpdate}); gradients of parameters are returned, never accumulated, so the caller
 * decides what to sum. Results of ops belong to the innermost open {@link #scope()} and are
 * released when it closes (host backends leave them to the garbage collector); parameters made
 * by {@link #fromHost}/{@link #zeros} live until {@link #release} or {@link #close}.
 *
 * <p>Shapes below: x is N x C x H x W. Not thread-safe: one instance per training loop.
 *
 * @param <T> the backend's activation tensor
 * @param <P> the backend's parameter-sized vector
 */
public interface TrainingOps<T extends Nchw, P> extends AutoCloseable {

    /** Short name for reports ({@code reference}, {@code cpu}). */
    String name();

    /** Gradients of a convolution: {@code dx} (null when not asked for), {@code dw} [outC, inC/groups, k, k], {@code db} [outC]. */
    record ConvGrads<T, P>(T dx, P dw, P db) {}

    /**
     * Training-mode BatchNorm result: the normalised output and the batch statistics it used.
     *
     * @param mean   per-channel batch mean over N, H, W
     * @param invStd per-channel {@code 1 / sqrt(biasedVar + eps)}
     */
    record BatchNormResult<T, P>(T y, P mean, P invStd) {}

    /** Gradients of training-mode BatchNorm: input, scale (gamma), shift (beta). */
    record BatchNormGrads<T, P>(T dx, P dGamma, P dBeta) {}

    // ---- convolution ----------------------------------------------------------------------

    /** {@code y = conv(x, w) + b} (no norm, no activation); {@code b} may be null. y: N x outC x H' x W'. */
    T conv(T x, Op.Conv c, P w, P b);

    /**
     * Gradients of {@link #conv} given {@code dy} (N x outC x H' x W'):
     * {@code dx = conv^T(dy, w)}, {@code dw = sum_n dy (x) x} (correlation), {@code db = sum dy}.
     *
     * @param needDx false skips the data gradient (first layer)
     */
    ConvGrads<T, P> convBackward(T x, Op.Conv c, P w, T dy, boolean needDx);

    // ---- BatchNorm ------------------------------------------------------------------------

    /**
     * Training-mode BatchNorm: {@code y = gamma * (x - mu) * invStd + beta} with the batch's
     * statistics over N, H, W (biased variance). When {@code runningMean}/{@code runningVar} are
     * non-null they are updated in place, PyTorch style:
     * {@code r = (1 - momentum) r + momentum * stat}, the variance unbiased ({@code M/(M-1)}).
     */
    BatchNormResult<T, P> batchNormTrain(T x, P gamma, P beta, P runningMean, P runningVar,
                                   float momentum, float eps);

    /**
     * Backward of training-mode BatchNorm, with {@code xhat = (x - mean) * invStd}, M = N*H*W:
     * {@code dBeta = sum dy}, {@code dGamma = sum dy * xhat},
     * {@code dx = gamma * invStd / M * (M dy - dBeta - xhat dGamma)}.
     */
    BatchNormGrads<T, P> batchNormBackward(T x, P mean, P invStd, P gamma, T dy);

    /** Inference-mode BatchNorm with given statistics. */
    T batchNormEval(T x, P gamma, P beta, P mean, P var, float eps);

    // ---- elementwise ----------------------------------------------------------------------

    /** ReLU / sigmoid / identity (identity may return x itself). */
    T activation(T x, Activation a);

    /** {@code dx} from the activation's output {@code y} and {@code dy}: relu: dy [y > 0]; sigmoid: dy y (1 - y). */
    T activationBackward(T y, Activation a, T dy);

    T add(T a, T b);

    /** {@code into += g}, in place (gradient accumulation); shapes must match. */
    void accumulate(T into, T g);

    /** {@code y = x * g}, g: N x C x 1 x 1. */
    T channelMul(T x, T g);

    /** Gradients of {@link #channelMul}: {@code [dx = dy * g, dg = sum_hw dy * x]}. */
    List<T> channelMulBackward(T x, T g, T dy);

    // ---- layout ---------------------------------------------------------------------------

    T concat(List<T> parts);

    /** The inverse of {@link #concat}: splits channels into parts of the given widths. */
    List<T> split(T x, int[] channels);

    // ---- resampling -----------------------------------------------------------------------

    /** Bilinear resize, half-pixel centres (PyTorch {@code align_corners=False}), edges clamped. */
    T resize(T x, int outH, int outW);

    /** The adjoint of {@link #resize}: scatters {@code dy} (N x C x outH x outW) back to N x C x inH x inW. */
    T resizeBackward(T dy, int inH, int inW);

    /** {@link Op.AvgPool}: windowed, padding excluded; a global average where {@link Op.AvgPool#fits} is false. */
    T avgPool(T x, Op.AvgPool p);

    /** The adjoint of {@link #avgPool} for an input of {@code inH x inW}. */
    T avgPoolBackward(T dy, Op.AvgPool p, int inH, int inW);

    T globalAvgPool(T x);

    /** The adjoint of {@link #globalAvgPool}: {@code dy / (H W)} broadcast. */
    T globalAvgPoolBackward(T dy, int inH, int inW);

    // ---- the network's special ops --------------------------------------------------------

    /** One row of a cost-embedding table (row from {@link Op.CostEmbedding#row}), N x dim x 1 x 1. */
    T embedding(P table, Op.CostEmbedding e, int n, double budget);

    /** Gradient of the table: {@code dy} summed over the batch into the budget's row, zeros elsewhere. */
    P embeddingBackward(T dy, Op.CostEmbedding e, double budget);

    /** {@code clamp(pred, 0, 1) * x[4] + x[5]} (x = the 6-channel network input). */
    T composite(T pred, T input);

    /**
     * The gradient of {@link #composite} w.r.t. {@code pred}, with a restoring pass-through:
     * {@code dpred = dy * x[4]} where {@code 0 < pred < 1}, and also where the loss asks to move an
     * out-of-range prediction back ({@code pred <= 0} and {@code dy < 0}, or {@code pred >= 1}
     * and {@code dy > 0}); 0 elsewhere. The exact derivative of the clamp is 0 outside (0, 1), so
     * a pixel whose prediction left the range would get no signal and could stay stuck there;
     * inside (0, 1) (where gradient checks run) this is the exact derivative.
     */
    T compositeBackward(T pred, T input, T dy);

    // ---- moving data and parameters ------------------------------------------------------

    /** The backend's copy of a host tensor (a host backend may return {@code t} itself; never modified). */
    T upload(Tensor t);

    /** A host copy of {@code t} (a host backend may return {@code t} itself: treat it as read-only). */
    Tensor download(T t);

    /**
     * Starts moving a host tensor to the backend ahead of its use, so that the copy overlaps the
     * work already queued (a device backend copies on a second stream, from page-locked memory,
     * while its kernels run). {@link Incoming#take()} then gives the tensor as {@link #upload}
     * would. {@code t} must not change until then. The default, for host backends (nothing to
     * overlap), uploads at {@code take}.
     */
    default Incoming<T> prefetch(Tensor t) {
        java.util.Objects.requireNonNull(t, "tensor");
        return new Incoming<>() {
            private boolean done;

            @Override
            public T take() {
                if (done) throw new IllegalStateException("this prefetched tensor was already taken or dropped");
                done = true;
                return upload(t);
            }

            @Override
            public void close() {
                done = true;
            }
        };
    }

    /** A tensor on its way to the backend; see {@link #prefetch}. */
    interface Incoming<T> extends AutoCloseable {
        /**
         * The backend's tensor, owned by the innermost scope open now (like an op's result);
         * work queued after this call sees the copied data. Once only.
         *
         * @throws IllegalStateException when already taken or dropped
         */
        T take();

        /** Drops the copy if it was not taken (a batch read ahead that will not be used); idempotent. */
        @Override
        void close();
    }

    /** A parameter vector holding a copy of {@code values}; lives until {@link #release} or {@link #close}. */
    P fromHost(float[] values);

    /** A fresh host copy of a parameter vector. */
    float[] toHost(P p);

    /** Overwrites a parameter vector with {@code values} (same length). */
    void write(P p, float[] values);

    /** A zero parameter vector of the given length; lives until {@link #release} or {@link #close}. */
    P zeros(int length);

    /** Length of a parameter vector. */
    int length(P p);

    /** Frees a vector made by {@link #fromHost} or {@link #zeros} now (a host backend does nothing). */
    void release(P p);

    /** {@code into += g}, in place; lengths must match. */
    void accumulateParam(P into, P g);

    /** {@code p *= s}, in place. */
    void scaleParam(P p, float s);

    /**
     * One step of an Adam-family update, elementwise, with the per-tensor scalars computed by
     * the optimiser (so the rule, RAdam's rectification included, stays in one place):
     * <pre>
     *   m = beta1 m + (1 - beta1) g;   v = beta2 v + (1 - beta2) g^2
     *   p = p * decay - (adaptive ? stepSize * m / (sqrt(v) + eps) : stepSize * m)
     * </pre>
     * Host backends compute in double and round once per element.
     */
    void adamUpdate(P p, P g, P m, P v, AdamStep s);

    /** The scalars of one {@link #adamUpdate}. */
    record AdamStep(double beta1, double beta2, double decay, double stepSize, boolean adaptive, double eps) {}

    // ---- the matting losses (optional) ---------------------------------------------------

    /**
     * The definition of the matting losses as data (pam-train's {@code Losses} holds the values):
     * the weights of the composition, Laplacian and distillation terms next to L1, the pyramid's
     * level count, the normaliser epsilon, the Charbonnier epsilon and the per-channel standard
     * deviations that divide the composition error.
     */
    record LossSpec(double compositionWeight, double laplacianWeight, double distillationWeight, int laplacianLevels,
                    double eps, double charbonnierEps, double stdR, double stdG, double stdB) {}

    /** The loss values of one batch (means as pam-train defines them) and the gradient of their weighted sum w.r.t. alpha. */
    record LossValues<T>(double l1, double composition, double laplacian, double distillation, T grad) {
        /** {@code l1 + wc composition + wl laplacian + wd distillation}. */
        public double total(LossSpec s) {
            return l1 + s.compositionWeight() * composition + s.laplacianWeight() * laplacian + s.distillationWeight() * distillation;
        }
    }

    /** Whether {@link #mattingLosses} is implemented; when not, the trainer computes the losses on the host. */
    default boolean computesLosses() {
        return false;
    }

    /**
     * The matting losses of a batch where the data lives (a device backend so keeps the alpha and
     * its gradient on the device): on the unknown pixels (input channel 4), the L1 of alpha
     * against the ground truth, the composition loss, the Laplacian pyramid loss and, when
     * {@code teacher} is not null, the Charbonnier distance to the teacher's alpha, exactly as
     * pam-train's {@code Losses} defines them (its tests and {@code TrainingCheck} compare).
     *
     * @param alpha   N x 1 x H x W, the composed prediction; H and W multiples of 2^levels
     * @param input   N x 6 x H x W, the network input
     * @param targets N x 7 x H x W: ground-truth alpha, foreground RGB, background RGB
     * @param teacher N x 1 x H x W, or null (no distillation term)
     * @throws UnsupportedOperationException unless {@link #computesLosses()}
     */
    default LossValues<T> mattingLosses(T alpha, T input, T targets, T teacher, LossSpec spec) {
        throw new UnsupportedOperationException(name() + " does not compute the losses; the trainer computes them on the host");
    }

    /**
     * Opens a scope: the results of ops made while it is the innermost open scope are released
     * when it closes (device memory back to the backend's pool). Scopes nest; close them in
     * reverse order. Results needed after the scope must be downloaded first.
     */
    Scope scope();

    /**
     * Waits until all work queued by earlier calls has finished (a device backend runs ops
     * asynchronously). Only needed to time ops one by one; results are always ordered.
     */
    default void synchronize() {}

    /** A region of temporary results; see {@link #scope()}. */
    interface Scope extends AutoCloseable {
        @Override
        void close();
    }


    /** Frees what the implementation holds (thread pools, native buffers). */
    @Override
    void close();
}
