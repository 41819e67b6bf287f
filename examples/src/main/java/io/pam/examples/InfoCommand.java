package io.pam.examples;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pam.Budget;
import io.pam.Route;
import io.pam.net.CostModel;
import io.pam.net.NetworkConfig;
import io.pam.net.NetworkSpec;
import io.pam.net.Weights;
import io.pam.spi.Backend;
import io.pam.spi.Backends;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code pam info}: the network's size, the cost of each of the 16 paths (computed by
 * {@link CostModel} from the network description), the named budgets and the backends found.
 */
final class InfoCommand {
    static final String USAGE = "pam info [--json] [--weights FILE]";

    /** A named budget and the most expensive path it admits. */
    record BudgetRow(String name, double gmac, Route largestFeasible, double largestFeasibleGmac) {}

    record BackendRow(String name, int priority, boolean available, String reason) {}

    int run(String[] argv, PrintStream out, PrintStream err) {
        Args a = Args.parse("info", argv, Set.of("weights"), Set.of("json"));
        NetworkConfig config;
        String source;
        if (a.has("weights")) {
            config = MatterOptions.weights(a, err).config();
            source = a.path("weights").toString();
        } else if (MatterOptions.shippedWeightsPresent()) {
            config = MatterOptions.weights(a, err).config();
            source = "shipped";
        } else {
            config = NetworkConfig.paper();
            source = "none shipped: showing the paper network; pass --weights FILE for a trained one";
        }
        NetworkSpec spec = NetworkSpec.of(config);
        CostModel costs = new CostModel(spec);
        long params = spec.parameterCount(); // learnable: BN running statistics excluded
        List<Route> paths = Arrays.stream(Route.all(NetworkSpec.GROUPS))
                .sorted(Comparator.comparingDouble(costs::gmac).reversed()).toList();
        List<BudgetRow> budgets = List.of(Budget.MILD, Budget.MODERATE, Budget.AGGRESSIVE).stream()
                .map(b -> budgetRow(b, costs, paths)).toList();
        List<BackendRow> backends = Backends.all().stream().map(InfoCommand::backendRow).toList();

        if (a.flag("json")) {
            ObjectNode root = Json.MAPPER.createObjectNode();
            root.put("weights", source);
            root.put("parameters", params);
            root.put("budgetUnit", "GMAC (1e9 multiply-accumulates) at 1024x1024; a path fits a budget when its cost is below it");
            ArrayNode p = root.putArray("paths");
            for (Route r : paths) p.addObject().put("route", r.toString()).put("gmacAt1024", Json.round(costs.gmac(r), 4));
            ArrayNode b = root.putArray("budgets");
            for (BudgetRow r : budgets) {
                ObjectNode o = b.addObject().put("name", r.name()).put("gmac", r.gmac());
                if (r.largestFeasible() != null) {
                    o.put("largestFeasibleRoute", r.largestFeasible().toString()).put("largestFeasibleGmac", Json.round(r.largestFeasibleGmac(), 4));
                } else {
                    o.putNull("largestFeasibleRoute");
                }
            }
            ArrayNode be = root.putArray("backends");
            for (BackendRow r : backends)
                be.addObject().put("name", r.name()).put("priority", r.priority()).put("available", r.available()).put("reason", r.reason());
            out.println(Json.pretty(root));
            return 0;
        }
        out.printf(Locale.ROOT, "PAM network (weights: %s)%n", source);
        out.printf(Locale.ROOT, "  parameters: %,d (%.3f M)%n", params, params / 1e6);
        out.println("  paths (groups 1..4, 1 = computed, 0 = bypassed), GMAC at 1024x1024:");
        for (int i = 0; i < paths.size(); i++) {
            Route r = paths.get(i);
            out.printf(Locale.ROOT, "    %s %6.2f%s", r, costs.gmac(r), i % 4 == 3 ? "\n" : "");
        }
        out.println("  named budgets (a path fits when its cost is below the budget):");
        for (BudgetRow r : budgets) {
            out.printf(Locale.ROOT, "    %-10s < %5.1f GMAC  most expensive path that fits: %s%n", r.name(), r.gmac(),
                    r.largestFeasible() == null ? "none" : String.format(Locale.ROOT, "%s (%.2f)", r.largestFeasible(), r.largestFeasibleGmac()));
        }
        out.printf(Locale.ROOT, "    any number above %.2f (the cheapest path) is a valid --flops%n", costs.smallest());
        out.println("  backends (best first):");
        for (BackendRow r : backends) {
            String why = r.reason().replaceAll("\\s+", " ");
            if (why.length() > 150) why = why.substring(0, 150) + "... (pam info --json gives the whole reason)";
            out.printf(Locale.ROOT, "    %-10s %s%n", r.name(), r.available() ? "available" : "unavailable: " + why);
        }
        return 0;
    }

    private static BudgetRow budgetRow(Budget b, CostModel costs, List<Route> byCostDescending) {
        for (Route r : byCostDescending) if (costs.gmac(r) < b.gmac()) return new BudgetRow(b.toString(), b.gmac(), r, costs.gmac(r));
        return new BudgetRow(b.toString(), b.gmac(), null, Double.NaN);
    }

    private static BackendRow backendRow(Backend b) {
        boolean ok;
        String reason;
        try {
            ok = b.isAvailable();
            reason = ok ? "" : b.unavailableReason();
        } catch (RuntimeException | LinkageError e) { // probes must not throw; report it if one does
            ok = false;
            reason = "probe failed: " + e;
        }
        return new BackendRow(b.name(), b.priority(), ok, reason == null ? "" : reason.replace('\n', ' '));
    }
}
