package io.pam.train.data;

/**
 * Settings of {@link TrainingData}.
 *
 * @param seed           the seed; the same seed and settings give bit-identical batches
 * @param cropSize       side of each training crop, a positive multiple of 32
 * @param batchSize      samples per batch
 * @param realFraction   probability that a sample's foreground is a real photo (else procedural);
 *                       ignored (procedural only) when there are no real training photos
 * @param mixProbability probability of mixing a second foreground behind the first
 * @param threads        worker threads preparing batches (&ge; 1)
 * @param queueDepth     batches prepared ahead of the caller (&ge; 1)
 */
public record TrainingDataConfig(long seed, int cropSize, int batchSize, double realFraction, double mixProbability,
                                 int threads, int queueDepth) {
    public TrainingDataConfig {
        if (cropSize <= 0 || cropSize % 32 != 0) throw new IllegalArgumentException("cropSize must be a positive multiple of 32, got " + cropSize);
        if (batchSize < 1) throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        if (!(realFraction >= 0 && realFraction <= 1)) throw new IllegalArgumentException("realFraction must be in [0,1], got " + realFraction);
        if (!(mixProbability >= 0 && mixProbability <= 1)) throw new IllegalArgumentException("mixProbability must be in [0,1], got " + mixProbability);
        if (threads < 1 || queueDepth < 1) throw new IllegalArgumentException("threads and queueDepth must be >= 1");
    }

    /** 512 px crops, batch 4, half real, mixing 0.5, 2 threads, 4 batches ahead. */
    public static TrainingDataConfig defaults(long seed) {
        return new TrainingDataConfig(seed, 512, 4, 0.5, 0.5, 2, 4);
    }

    public TrainingDataConfig withCrop(int crop, int batch) {
        return new TrainingDataConfig(seed, crop, batch, realFraction, mixProbability, threads, queueDepth);
    }
}
