package io.pam.train;

/**
 * A small seeded random generator (SplitMix64) whose whole state is one long, so that a
 * checkpoint can save and restore it exactly.
 */
public final class Rng {
    private long state;

    public Rng(long seed) {
        this.state = seed;
    }

    public long state() {
        return state;
    }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1). */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive");
        return (int) ((nextLong() >>> 33) % bound);
    }

    /** A standard Gumbel sample: {@code -log(-log(u))}. */
    public double gumbel() {
        double u = Math.max(nextDouble(), 1e-12);
        return -Math.log(-Math.log(u));
    }

    /** A seed derived from a base seed and coordinates (stage, step): deterministic, well mixed. */
    public static long mix(long seed, long... parts) {
        Rng r = new Rng(seed);
        long h = r.nextLong();
        for (long p : parts) {
            r = new Rng(h ^ p * 0x9E3779B97F4A7C15L);
            h = r.nextLong();
        }
        return h;
    }
}
