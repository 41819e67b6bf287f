package io.pam;

import java.util.Locale;

/**
 * A compute budget in the paper's unit: GMAC (1e9 multiply-accumulates of convolutions and
 * linear layers) for a 1024x1024 input, whatever the actual image size. A path is feasible when
 * its cost is strictly below the budget. The named budgets are the paper's operating points.
 *
 * <table>
 *   <caption>Named budgets (paper design, GMAC at 1024x1024)</caption>
 *   <tr><th>name</th><th>budget</th><th>typical path</th></tr>
 *   <tr><td>{@link #MILD}</td><td>&lt; 75</td><td>full network, 74.67</td></tr>
 *   <tr><td>{@link #MODERATE}</td><td>&lt; 70</td><td>e.g. group 2 bypassed, 69.59</td></tr>
 *   <tr><td>{@link #AGGRESSIVE}</td><td>&lt; 60</td><td>e.g. groups 1-3 bypassed, 58.89</td></tr>
 * </table>
 */
public record Budget(double gmac) {
    public static final Budget MILD = new Budget(75);
    public static final Budget MODERATE = new Budget(70);
    public static final Budget AGGRESSIVE = new Budget(60);

    public Budget {
        if (!Double.isFinite(gmac) || gmac <= 0)
            throw new IllegalArgumentException("budget must be a positive, finite number of GMAC at 1024x1024; got " + gmac);
    }

    public static Budget of(double gmac) {
        return new Budget(gmac);
    }

    /** Parses {@code mild}, {@code moderate}, {@code aggressive} (any case) or a number of GMAC. */
    public static Budget parse(String s) {
        if (s == null) throw new IllegalArgumentException("budget is missing");
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "mild" -> MILD;
            case "moderate" -> MODERATE;
            case "aggressive" -> AGGRESSIVE;
            default -> {
                try {
                    yield new Budget(Double.parseDouble(s.trim()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("budget '" + s + "' is neither mild, moderate, aggressive nor a number of GMAC at 1024x1024");
                }
            }
        };
    }

    /** {@code mild}, {@code moderate}, {@code aggressive} for the named budgets, else the number. */
    @Override
    public String toString() {
        if (equals(MILD)) return "mild";
        if (equals(MODERATE)) return "moderate";
        if (equals(AGGRESSIVE)) return "aggressive";
        return String.format(Locale.ROOT, "%.2f", gmac);
    }
}
