package io.pam.examples;

import io.pam.Budget;
import io.pam.Matter;
import io.pam.TrimapPolicy;
import io.pam.net.CostModel;
import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.PathSelector;
import io.pam.net.Safetensors;
import io.pam.net.Weights;
import io.pam.spi.BackendUnavailableException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/** The options shared by the commands that run the network: which weights, backend, threads. */
final class MatterOptions {
    static final Set<String> OPTIONS = Set.of("backend", "weights", "threads", "trimap-policy");
    static final Set<String> FLAGS = Set.of("untrained");
    /** Seed of {@code --untrained} weights, fixed so demo runs repeat. */
    static final long UNTRAINED_SEED = 42;

    private MatterOptions() {}

    /** Where the weights come from, for reports. */
    static String weightsLabel(Args a) {
        if (a.flag("untrained")) return "untrained (random, seed " + UNTRAINED_SEED + ")";
        Path w = a.path("weights");
        return w != null ? w.toString() : "shipped (" + Matter.DEFAULT_WEIGHTS_RESOURCE + ")";
    }

    /** Checks the cheap options first, so a typo is reported before weights are loaded. */
    static void validate(Args a) {
        if (a.flag("untrained") && a.has("weights")) throw new UsageException("give either --weights or --untrained, not both");
        if (a.has("trimap-policy")) trimapPolicy(a);
        a.intValue("threads", 0, 0);
    }

    /** The weights the options name, or a usage error saying how to get some. */
    static Weights weights(Args a, PrintStream err) {
        if (a.flag("untrained") && a.has("weights")) throw new UsageException("give either --weights or --untrained, not both");
        if (a.flag("untrained")) {
            err.println("WARNING: --untrained: random weights of the paper network (seed " + UNTRAINED_SEED + "). "
                    + "The mattes are meaningless; use this only to try the tool or to time it.");
            return Weights.init(NetworkSpec.of(NetworkConfig.paper()), UNTRAINED_SEED);
        }
        Path file = a.path("weights");
        if (file != null) {
            if (!Files.isRegularFile(file)) throw new UsageException("--weights " + file + ": no such file");
            try {
                return Safetensors.read(file);
            } catch (IOException | RuntimeException e) {
                throw new UsageException("--weights " + file + " is not a PAM weight file: " + e.getMessage());
            }
        }
        if (!shippedWeightsPresent())
            throw new UsageException("no trained weights ship with this build (" + Matter.DEFAULT_WEIGHTS_RESOURCE
                    + " is not on the class path); pass --weights FILE (e.g. made by 'pam train'), "
                    + "or --untrained to try the tool with random weights");
        try {
            return Matter.shippedWeights();
        } catch (IOException e) {
            throw new UsageException("cannot read the shipped weights: " + e.getMessage());
        }
    }

    static boolean shippedWeightsPresent() {
        return Matter.class.getResource(Matter.DEFAULT_WEIGHTS_RESOURCE) != null;
    }

    /** Parses {@code --flops} (default mild) and checks it against the network's cheapest path. */
    static Budget budget(Args a, Weights w) {
        String text = a.get("flops", "mild");
        Budget b;
        try {
            b = Budget.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--flops: " + e.getMessage());
        }
        checkBudget(b, new CostModel(NetworkSpec.of(w.config())));
        return b;
    }

    static void checkBudget(Budget b, CostModel costs) {
        try {
            PathSelector.checkBudget(costs, b.gmac());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--flops " + b + ": " + e.getMessage());
        }
    }

    static TrimapPolicy trimapPolicy(Args a) {
        String p = a.get("trimap-policy", "strict").toLowerCase(Locale.ROOT);
        return switch (p) {
            case "strict" -> TrimapPolicy.STRICT;
            case "nearest" -> TrimapPolicy.NEAREST;
            default -> throw new UsageException("--trimap-policy must be strict or nearest; got '" + p + "'");
        };
    }

    /** Opens a {@link Matter}; backend problems become usage errors that say why. */
    static Matter open(Args a, Weights w) {
        String backend = a.get("backend", "auto").toLowerCase(Locale.ROOT);
        int threads = a.intValue("threads", 0, 0);
        TrimapPolicy policy = trimapPolicy(a);
        try {
            return Matter.builder().weights(w).backend(backend).threads(threads).trimapPolicy(policy).build();
        } catch (BackendUnavailableException e) {
            throw new UsageException(e.getMessage().replace("\n", " "));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--backend " + backend + ": " + e.getMessage());
        }
    }
}
