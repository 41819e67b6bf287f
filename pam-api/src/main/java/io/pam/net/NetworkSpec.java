package io.pam.net;

import io.pam.Route;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The network, described once as data: an ordered list of {@link Node}s (a topological order)
 * plus the path structure (four bypassable groups, each preceded by a selection layer). Every
 * backend compiles this description; nothing else in the project spells out the topology.
 *
 * <p>Input {@value #INPUT}: 6 x H x W (RGB in [0,1], then the trimap one-hot: background,
 * unknown, foreground), H and W multiples of {@value #ALIGN}. Output {@value #OUTPUT}: 1 x H x W.
 */
public final class NetworkSpec {
    public static final String INPUT = "x";
    public static final String OUTPUT = "alpha";
    public static final int INPUT_CHANNELS = 6;
    /** H and W of the network input must be multiples of this (the deepest stride). */
    public static final int ALIGN = 32;
    public static final int GROUPS = 4;

    /**
     * One bypassable group and the selection layer that decides it.
     *
     * @param input  the refined features F_rf that both branches read
     * @param output the name both branches write
     * @param logits the selection layer's two logits (0 = compute, 1 = bypass), 2 x 1 x 1
     */
    public record Group(int index, String input, String output, String logits) {}

    /** A parameter tensor: {@code <node>.weight}, {@code <node>.bias}, {@code <node>.bn.*}. */
    public record Param(String name, int[] shape, String node) {
        public int size() {
            int s = 1;
            for (int d : shape) s *= d;
            return s;
        }
    }

    private final NetworkConfig config;
    private final List<Node> nodes;
    private final List<Group> groups;
    private final List<Param> params;

    private NetworkSpec(NetworkConfig config, List<Node> nodes, List<Group> groups) {
        this.config = config;
        this.nodes = List.copyOf(nodes);
        this.groups = List.copyOf(groups);
        List<Param> p = new ArrayList<>();
        for (Node n : nodes) {
            if (n.op() instanceof Op.Conv c) {
                p.add(new Param(n.name() + ".weight", c.weightShape(), n.name()));
                if (c.bias()) p.add(new Param(n.name() + ".bias", new int[] {c.outC()}, n.name()));
                if (c.batchNorm()) {
                    for (String s : BN_PARAMS) p.add(new Param(n.name() + ".bn." + s, new int[] {c.outC()}, n.name()));
                }
            } else if (n.op() instanceof Op.CostEmbedding e) {
                p.add(new Param(n.name() + ".weight", new int[] {e.rows(), e.dim()}, n.name()));
            }
        }
        this.params = Collections.unmodifiableList(p);
    }

    /** BatchNorm tensors, PyTorch names: scale, shift, running statistics. */
    public static final List<String> BN_PARAMS = List.of("weight", "bias", "running_mean", "running_var");

    /** BatchNorm epsilon used everywhere. */
    public static final float BN_EPS = 1e-5f;

    public static NetworkSpec paper() {
        return of(NetworkConfig.paper());
    }

    /** Builds the description for a configuration. */
    public static NetworkSpec of(NetworkConfig config) {
        // Two passes: the embedding table's range is the integer span of the path costs, which
        // needs the topology first (the embedding itself costs no MACs).
        NetworkSpec draft = new Builder(config, 0, 1).build();
        double[] costs = new CostModel(draft).routeGmacAt(1024, 1024);
        double min = Double.MAX_VALUE, max = 0;
        for (double c : costs) {
            min = Math.min(min, c);
            max = Math.max(max, c);
        }
        return new Builder(config, (int) Math.floor(min), (int) Math.ceil(max)).build();
    }

    public NetworkConfig config() {
        return config;
    }

    /** All nodes in execution order; both branches of each group appear (compute first). */
    public List<Node> nodes() {
        return nodes;
    }

    public List<Group> groups() {
        return groups;
    }

    public Group group(int index) {
        return groups.get(index - 1);
    }

    /** Nodes that run on a route, in execution order. */
    public List<Node> nodesOn(Route route) {
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) if (n.runsOn(route)) out.add(n);
        return out;
    }

    /** Learnable tensors (BatchNorm running statistics included), in node order. */
    public List<Param> params() {
        return params;
    }

    /** Learnable parameter count of the supernet (BatchNorm running statistics excluded). */
    public long parameterCount() {
        long n = 0;
        for (Param p : params) if (!p.name().endsWith("running_mean") && !p.name().endsWith("running_var")) n += p.size();
        return n;
    }

    /** The cost embedding op (every selection layer has its own table, all of this shape). */
    public Op.CostEmbedding embedding() {
        for (Node n : nodes) if (n.op() instanceof Op.CostEmbedding e) return e;
        throw new IllegalStateException("no embedding");
    }

    /**
     * Shapes of every node output for an input of {@code h x w} (multiples of {@link #ALIGN}).
     * Both branches of a group give the same shape, so the map is keyed by name.
     */
    public Map<String, Shape> shapes(int h, int w) {
        Map<String, Shape> s = new LinkedHashMap<>();
        s.put(INPUT, new Shape(INPUT_CHANNELS, h, w));
        for (Node n : nodes) {
            Shape in0 = n.inputs().isEmpty() ? null : s.get(n.inputs().get(0));
            Shape out = switch (n.op()) {
                case Op.Conv c -> new Shape(c.outC(), c.outSize(in0.h()), c.outSize(in0.w()));
                case Op.Add a -> in0;
                case Op.Concat c -> {
                    int ch = 0;
                    for (String i : n.inputs()) ch += s.get(i).c();
                    yield new Shape(ch, in0.h(), in0.w());
                }
                case Op.Resize r -> {
                    Shape ref = s.get(n.inputs().get(1));
                    yield new Shape(in0.c(), ref.h(), ref.w());
                }
                case Op.AvgPool p -> p.fits(in0.h(), in0.w())
                        ? new Shape(in0.c(), p.outSize(in0.h()), p.outSize(in0.w()))
                        : new Shape(in0.c(), 1, 1);
                case Op.GlobalAvgPool g -> new Shape(in0.c(), 1, 1);
                case Op.ChannelMul m -> in0;
                case Op.CostEmbedding e -> new Shape(e.dim(), 1, 1);
                case Op.Composite c -> new Shape(1, in0.h(), in0.w());
            };
            Shape prev = s.put(n.name(), out);
            if (prev != null && !prev.equals(out))
                throw new IllegalStateException(n.name() + ": branches disagree on shape " + prev + " vs " + out);
        }
        return s;
    }

    /** Checks that an input size is one the network accepts. */
    public static void checkAligned(int h, int w) {
        if (h <= 0 || w <= 0 || h % ALIGN != 0 || w % ALIGN != 0)
            throw new IllegalArgumentException("network input must be a positive multiple of " + ALIGN + ", got " + h + "x" + w);
    }

    /** Builds the node list for one configuration. */
    private static final class Builder {
        private final NetworkConfig cfg;
        private final int embLo, embHi;
        private final List<Node> nodes = new ArrayList<>();
        private final List<Group> groups = new ArrayList<>();
        private int group;
        private boolean bypass;

        Builder(NetworkConfig cfg, int embLo, int embHi) {
            this.cfg = cfg;
            this.embLo = embLo;
            this.embHi = embHi;
        }

        private String add(String name, Op op, String... in) {
            nodes.add(new Node(name, op, List.of(in), group, bypass));
            return name;
        }

        /** conv + BatchNorm + activation, no bias. */
        private String cbr(String name, String in, int ci, int co, int k, int stride, Activation act) {
            int pad = stride == 1 ? k / 2 : (k - stride + 1) / 2;
            return add(name, new Op.Conv(ci, co, k, stride, pad, 1, false, true, act, false), in);
        }

        /** 1x1 conv with bias (linear layers and connect layers). */
        private String linear(String name, String in, int ci, int co, Activation act) {
            return add(name, new Op.Conv(ci, co, 1, 1, 0, 1, true, false, act, false), in);
        }

        /** DW module: y = x + BN(PW2(ReLU(PW1(BN(DWk(x)))))), BN after PW2 zero-initialised. */
        private String dwModule(String name, String in, int c, int k, int e) {
            String d = add(name + ".dw", new Op.Conv(c, c, k, 1, k / 2, c, false, true, Activation.NONE, false), in);
            String p1 = linear(name + ".pw1", d, c, e * c, Activation.RELU);
            String p2 = add(name + ".pw2", new Op.Conv(e * c, c, 1, 1, 0, 1, false, true, Activation.NONE, true), p1);
            return add(name, new Op.Add(), in, p2);
        }

        /** Selection layer (paper eq. 3); returns F_rf, registers the logits. */
        private String selection(int g, String in, int c) {
            String p = "ps" + g;
            int r = Math.max(c / 4, 16);
            String gap = add(p + ".gap", new Op.GlobalAvgPool(), in);
            String gs = linear(p + ".fc1", gap, c, r, Activation.RELU);
            String gate = linear(p + ".fc2", gs, r, c, Activation.SIGMOID);
            String rf = add(p + ".rf", new Op.ChannelMul(), in, gate);
            String emb = add(p + ".embed", new Op.CostEmbedding(embLo, embHi, cfg.embedDim()), new String[0]);
            String cat = add(p + ".cat", new Op.Concat(), gs, emb);
            String h = linear(p + ".mlp1", cat, r + cfg.embedDim(), 64, Activation.RELU);
            String logits = linear(p + ".logits", h, 64, 2, Activation.NONE);
            groups.add(new Group(g, rf, "enc" + g, logits));
            return rf;
        }

        /** Local pyramid pooling with residual fuse. */
        private String ppm(String name, String in, int c) {
            int b = cfg.ppmBranch();
            int[] win = cfg.ppmWindows();
            String[] cat = new String[win.length + 1];
            cat[0] = in;
            for (int i = 0; i < win.length; i++) {
                String pool = add(name + ".pool" + i, new Op.AvgPool(win[i]), in);
                String conv = cbr(name + ".conv" + i, pool, c, b, 1, 1, Activation.RELU);
                cat[i + 1] = add(name + ".up" + i, new Op.Resize(), conv, in);
            }
            String cc = add(name + ".cat", new Op.Concat(), cat);
            String fuse = cbr(name + ".fuse", cc, c + win.length * b, c, 1, 1, Activation.RELU);
            return add(name, new Op.Add(), in, fuse);
        }

        private String resBlock(String name, String in, int c, int mid) {
            String a = cbr(name + ".c1", in, c, mid, 1, 1, Activation.RELU);
            String b = cbr(name + ".c2", a, mid, mid, 3, 1, Activation.RELU);
            String d = cbr(name + ".c3", b, mid, c, 1, 1, Activation.RELU);
            return add(name, new Op.Add(), in, d);
        }

        NetworkSpec build() {
            int[] enc = cfg.enc();
            String stem0 = cbr("stem0", INPUT, INPUT_CHANNELS, cfg.stem0(), 3, 1, Activation.RELU);
            String s1 = cbr("stem1a", stem0, cfg.stem0(), cfg.stem1(), 3, 2, Activation.RELU);
            String stem1 = cbr("stem1", s1, cfg.stem1(), cfg.stem1(), 3, 1, Activation.RELU);
            String x = stem1;
            int prevC = cfg.stem1();
            String[] skips = new String[5];
            for (int s = 0; s < 4; s++) {
                int g = s + 1, c = enc[s];
                String e = "enc" + g;
                x = cbr(e + ".down", x, prevC, c, 2, 2, Activation.RELU);
                for (int i = 0; i < cfg.fixed()[s]; i++) x = dwModule(e + ".f" + i, x, c, cfg.kernel()[s], cfg.expand()[s]);
                String rf = selection(g, x, c);
                group = g;
                bypass = false;
                x = rf;
                int n = cfg.bypass()[s];
                for (int i = 0; i < n; i++)
                    x = dwModule(i == n - 1 ? e : e + ".b" + i, x, c, cfg.kernel()[s], cfg.expand()[s]);
                bypass = true;
                String l1 = linear("lcl" + g + ".pw1", rf, c, c, Activation.RELU);
                String l2 = linear("lcl" + g + ".pw2", l1, c, c, Activation.NONE);
                add(e, new Op.Add(), l2, rf);
                group = 0;
                bypass = false;
                x = e;
                skips[g] = e;
                prevC = c;
            }
            x = ppm("ppm1", x, enc[3]);
            x = ppm("ppm2", x, enc[3]);
            int[] dec = cfg.dec();
            String[] skip = {skips[3], skips[2], skips[1], stem1};
            int[] skipC = {enc[2], enc[1], enc[0], cfg.stem1()};
            String[] names = {"dec16", "dec8", "dec4", "dec2"};
            for (int i = 0; i < 4; i++) {
                String d = names[i];
                String up = add(d + ".up", new Op.Resize(), x, skip[i]);
                String cat = add(d + ".cat", new Op.Concat(), up, skip[i]);
                String proj = cbr(d + ".proj", cat, prevC + skipC[i], dec[i], 1, 1, Activation.RELU);
                x = i < 2 ? dwModule(d, proj, dec[i], cfg.decKernel(), 2) : resBlock(d, proj, dec[i], dec[i] / 2);
                prevC = dec[i];
            }
            String up = add("head.up", new Op.Resize(), x, stem0);
            String cat = add("head.cat", new Op.Concat(), up, stem0, INPUT);
            String h1 = cbr("head.c1", cat, prevC + cfg.stem0() + INPUT_CHANNELS, cfg.head()[0], 3, 1, Activation.RELU);
            String h2 = cbr("head.c2", h1, cfg.head()[0], cfg.head()[1], 3, 1, Activation.RELU);
            String pred = linear("head.out", h2, cfg.head()[1], 1, Activation.NONE);
            add(OUTPUT, new Op.Composite(), pred, INPUT);
            return new NetworkSpec(cfg, nodes, groups);
        }
    }
}
