package io.pam.net;

/**
 * One operation of the network description. Ops are plain data: every backend (the plain-Java
 * reference, OpenCV DNN, cuDNN, training) compiles them into its own executable form.
 *
 * <p>All tensors are NCHW float32. Shapes in the docs below are per sample: C x H x W.
 */
public sealed interface Op
        permits Op.Conv, Op.Add, Op.Concat, Op.Resize, Op.AvgPool, Op.GlobalAvgPool,
                Op.ChannelMul, Op.CostEmbedding, Op.Composite {

    /** Number of inputs the op takes; -1 for a variable count ({@link Concat}). */
    int arity();

    /**
     * Convolution {@code inC x H x W -> outC x H' x W'} with square kernel, symmetric zero
     * padding and {@code groups} groups (groups == inC == outC is depthwise), optionally followed
     * by BatchNorm and an activation. A convolution with {@code bias} adds a learned bias; one
     * with {@code batchNorm} has no bias of its own (the norm's beta plays that role). Linear
     * layers are 1x1 convolutions on 1x1 maps.
     *
     * <p>MACs: {@code H' * W' * outC * (inC / groups) * k * k}.
     *
     * @param zeroInitGamma start the BatchNorm's scale at 0 (residual branches start as identity)
     */
    record Conv(int inC, int outC, int kernel, int stride, int pad, int groups,
                boolean bias, boolean batchNorm, Activation activation, boolean zeroInitGamma)
            implements Op {
        public Conv {
            if (inC <= 0 || outC <= 0 || kernel <= 0 || stride <= 0 || pad < 0 || groups <= 0)
                throw new IllegalArgumentException("bad conv geometry");
            if (inC % groups != 0 || outC % groups != 0)
                throw new IllegalArgumentException("channels not divisible by groups");
            if (bias && batchNorm)
                throw new IllegalArgumentException("a conv followed by BatchNorm has no bias");
        }

        public int arity() {
            return 1;
        }

        public boolean depthwise() {
            return groups > 1 && groups == inC && groups == outC;
        }

        public int outSize(int in) {
            return (in + 2 * pad - kernel) / stride + 1;
        }

        /** Weight tensor shape {@code [outC, inC/groups, k, k]}. */
        public int[] weightShape() {
            return new int[] {outC, inC / groups, kernel, kernel};
        }
    }

    /** Elementwise sum of two tensors of equal shape. */
    record Add() implements Op {
        public int arity() {
            return 2;
        }
    }

    /** Concatenation along channels of tensors with equal H and W. */
    record Concat() implements Op {
        public int arity() {
            return -1;
        }
    }

    /**
     * Bilinear resize of input 0 to the spatial size of input 1 (input 1 only gives the size),
     * half-pixel centres (PyTorch {@code align_corners=False}), edge samples clamped. From a 1x1
     * map this is a broadcast.
     */
    record Resize() implements Op {
        public int arity() {
            return 2;
        }
    }

    /**
     * Average pool with a square window, {@code stride = window/2}, {@code pad = window/2 - 1},
     * padding excluded from the average. Where the window does not fit the padded map in either
     * dimension (the output would be empty), the op computes a global average instead and the
     * output is 1x1 — the value a window covering the whole map gives with padding excluded.
     */
    record AvgPool(int window) implements Op {
        public AvgPool {
            if (window < 2) throw new IllegalArgumentException("window must be >= 2");
        }

        public int arity() {
            return 1;
        }

        public int stride() {
            return window / 2;
        }

        public int pad() {
            return window / 2 - 1;
        }

        /** True where the window fits an {@code h x w} map; otherwise the op is global. */
        public boolean fits(int h, int w) {
            return h + 2 * pad() >= window && w + 2 * pad() >= window;
        }

        public int outSize(int in) {
            return (in + 2 * pad() - window) / stride() + 1;
        }
    }

    /** Global average pool: C x H x W -> C x 1 x 1. */
    record GlobalAvgPool() implements Op {
        public int arity() {
            return 1;
        }
    }

    /** {@code x * g}, x: C x H x W, g: C x 1 x 1 (channel-wise gate). */
    record ChannelMul() implements Op {
        public int arity() {
            return 2;
        }
    }

    /**
     * The cost embedding: a learned table of {@code dim}-vectors, one row per integer budget
     * {@code lo..hi} (GMAC at 1024x1024). Takes no tensor input: it reads the budget of the
     * current call, clamped into the table's range (see {@link #row(double)}). Output dim x 1 x 1.
     */
    record CostEmbedding(int lo, int hi, int dim) implements Op {
        public CostEmbedding {
            if (hi < lo || dim <= 0) throw new IllegalArgumentException("bad embedding range");
        }

        public int arity() {
            return 0;
        }

        public int rows() {
            return hi - lo + 1;
        }

        /** Table row for a budget: the largest integer not above it, clamped into [lo, hi]. */
        public int row(double budgetGmac) {
            double f = Math.floor(budgetGmac);
            int b = f < lo ? lo : f > hi ? hi : (int) f;
            return b - lo;
        }
    }

    /**
     * Final alpha: {@code clamp(pred, 0, 1) * unknown + foreground}, where input 0 is the 1-channel
     * prediction and input 1 the 6-channel network input (channel 4 = unknown, 5 = foreground).
     * Known regions of the trimap are therefore reproduced exactly.
     */
    record Composite() implements Op {
        public int arity() {
            return 2;
        }
    }
}
