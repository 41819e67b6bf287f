package io.pam;

/**
 * Which of the network's bypassable groups ran: bit {@code g-1} of {@code mask} is set when group
 * {@code g} (1-based, encoder order) was computed, clear when it was bypassed through its connect
 * layer. Printed group 1 first, e.g. {@code "1011"} = group 2 bypassed.
 */
public record Route(int mask, int groups) {
    public Route {
        if (groups < 1 || groups > 16) throw new IllegalArgumentException("groups must be in 1..16");
        if (mask < 0 || mask >= (1 << groups))
            throw new IllegalArgumentException("mask " + mask + " out of range for " + groups + " groups");
    }

    /** Every group computed. */
    public static Route full(int groups) {
        return new Route((1 << groups) - 1, groups);
    }

    /** Parses {@code "1011"} (group 1 first). */
    public static Route parse(String bits) {
        if (bits == null || bits.isEmpty() || !bits.matches("[01]+"))
            throw new IllegalArgumentException("route must be a string of 0/1, group 1 first, e.g. 1011; got '" + bits + "'");
        int m = 0;
        for (int i = 0; i < bits.length(); i++) if (bits.charAt(i) == '1') m |= 1 << i;
        return new Route(m, bits.length());
    }

    /** Whether group {@code g} (1-based) is computed. */
    public boolean computes(int g) {
        if (g < 1 || g > groups) throw new IllegalArgumentException("group " + g + " not in 1.." + groups);
        return (mask >> (g - 1) & 1) != 0;
    }

    public Route with(int g, boolean compute) {
        int bit = 1 << (g - 1);
        return new Route(compute ? mask | bit : mask & ~bit, groups);
    }

    /** All 2^groups routes, in mask order. */
    public static Route[] all(int groups) {
        Route[] r = new Route[1 << groups];
        for (int m = 0; m < r.length; m++) r[m] = new Route(m, groups);
        return r;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(groups);
        for (int g = 1; g <= groups; g++) b.append(computes(g) ? '1' : '0');
        return b.toString();
    }
}
