package io.pam.train.data;

import io.pam.net.Tensor;

/**
 * One training batch, NCHW float tensors of equal N, H, W (H, W multiples of 32).
 *
 * @param input the network input, N x 6 x H x W: image RGB in [0,1], then the trimap one-hot
 *              (background, unknown, foreground); channel 4 is the unknown mask the losses use
 * @param alpha ground-truth alpha, N x 1 x H x W in [0,1]
 * @param fg    foreground colours, N x 3 x H x W (for the composition loss)
 * @param bg    background colours, N x 3 x H x W
 */
public record Batch(Tensor input, Tensor alpha, Tensor fg, Tensor bg) {
    public Batch {
        if (input.c() != 6 || alpha.c() != 1 || fg.c() != 3 || bg.c() != 3)
            throw new IllegalArgumentException("batch channels must be 6/1/3/3");
        for (Tensor t : new Tensor[] {alpha, fg, bg})
            if (t.n() != input.n() || t.h() != input.h() || t.w() != input.w())
                throw new IllegalArgumentException("batch tensors disagree: " + input + " vs " + t);
    }

    public int size() {
        return input.n();
    }
}
