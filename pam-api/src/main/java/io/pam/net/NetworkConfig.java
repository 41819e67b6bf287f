package io.pam.net;

import java.util.Arrays;

/**
 * The network's hyper-parameters: widths, depths, kernels. {@link #paper()} is the design that
 * lands on the paper's totals (7.135 M parameters, 74.67 / 69.59 / 57.85 GMAC); narrower
 * configurations exist for fast tests and CI-sized training runs. Saved in weight files.
 *
 * @param stem0     width of the full-resolution stem
 * @param stem1     width of the stride-2 stem
 * @param enc       encoder widths, stages 1..4 (strides 4, 8, 16, 32)
 * @param fixed     fixed DW modules per stage
 * @param bypass    bypassable DW modules per stage (the groups)
 * @param kernel    depthwise kernel per stage
 * @param expand    expansion per stage
 * @param ppmBranch channels of each local pyramid pooling branch
 * @param ppmWindows pooling windows of the local pyramid pooling
 * @param dec       decoder widths at strides 16, 8, 4, 2
 * @param decKernel depthwise kernel of the DW modules at strides 16 and 8
 * @param head      widths of the two 3x3 head convs
 * @param embedDim  width of the cost embedding
 */
public record NetworkConfig(int stem0, int stem1, int[] enc, int[] fixed, int[] bypass, int[] kernel,
                            int[] expand, int ppmBranch, int[] ppmWindows, int[] dec, int decKernel,
                            int[] head, int embedDim) {

    public NetworkConfig {
        enc = enc.clone();
        fixed = fixed.clone();
        bypass = bypass.clone();
        kernel = kernel.clone();
        expand = expand.clone();
        ppmWindows = ppmWindows.clone();
        dec = dec.clone();
        head = head.clone();
        if (enc.length != 4 || fixed.length != 4 || bypass.length != 4 || kernel.length != 4 || expand.length != 4)
            throw new IllegalArgumentException("the encoder has 4 stages");
        if (dec.length != 4 || head.length != 2) throw new IllegalArgumentException("4 decoder widths, 2 head widths");
        for (int k : kernel) if (k % 2 == 0) throw new IllegalArgumentException("depthwise kernels must be odd");
        for (int b : bypass) if (b < 1) throw new IllegalArgumentException("every group needs at least one module");
    }

    /** The reference design (see the architecture document). */
    public static NetworkConfig paper() {
        return new NetworkConfig(24, 32,
                new int[] {80, 160, 256, 384}, new int[] {2, 2, 3, 1}, new int[] {3, 2, 3, 2},
                new int[] {7, 13, 13, 13}, new int[] {3, 3, 2, 2},
                48, new int[] {5, 13, 19, 25},
                new int[] {192, 128, 72, 32}, 13, new int[] {32, 16}, 64);
    }

    /** A narrow network (about 1/4 the widths, small kernels) for tests and CI-sized training. */
    public static NetworkConfig tiny() {
        return new NetworkConfig(8, 8,
                new int[] {16, 24, 32, 48}, new int[] {1, 1, 1, 1}, new int[] {1, 1, 1, 1},
                new int[] {3, 5, 5, 5}, new int[] {2, 2, 2, 2},
                8, new int[] {5, 13, 19, 25},
                new int[] {32, 24, 16, 8}, 5, new int[] {8, 8}, 16);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NetworkConfig c && stem0 == c.stem0 && stem1 == c.stem1 && Arrays.equals(enc, c.enc)
                && Arrays.equals(fixed, c.fixed) && Arrays.equals(bypass, c.bypass) && Arrays.equals(kernel, c.kernel)
                && Arrays.equals(expand, c.expand) && ppmBranch == c.ppmBranch && Arrays.equals(ppmWindows, c.ppmWindows)
                && Arrays.equals(dec, c.dec) && decKernel == c.decKernel && Arrays.equals(head, c.head) && embedDim == c.embedDim;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {stem0, stem1, Arrays.hashCode(enc), Arrays.hashCode(fixed), Arrays.hashCode(bypass),
                Arrays.hashCode(kernel), Arrays.hashCode(expand), ppmBranch, Arrays.hashCode(ppmWindows),
                Arrays.hashCode(dec), decKernel, Arrays.hashCode(head), embedDim});
    }

    @Override
    public String toString() {
        return "NetworkConfig[stem=" + stem0 + "/" + stem1 + ", enc=" + Arrays.toString(enc) + ", fixed=" + Arrays.toString(fixed)
                + ", bypass=" + Arrays.toString(bypass) + ", kernel=" + Arrays.toString(kernel) + ", expand=" + Arrays.toString(expand)
                + ", ppm=" + ppmBranch + Arrays.toString(ppmWindows) + ", dec=" + Arrays.toString(dec) + "/k" + decKernel
                + ", head=" + Arrays.toString(head) + ", embed=" + embedDim + "]";
    }
}
