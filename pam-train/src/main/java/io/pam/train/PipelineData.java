package io.pam.train;

import io.pam.train.data.Batch;
import io.pam.train.data.BatchSource;
import io.pam.train.data.DataSources;
import io.pam.train.data.TrainingData;
import io.pam.train.data.TrainingDataConfig;
import io.pam.train.data.ValidationSet;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code --data pipeline}: training batches from {@link TrainingData} (real and procedural
 * foregrounds composited over the background photos of the shared data folder, crop and batch
 * from the config) and validation on fixed crops of the held-aside real photos
 * ({@link DataSources#DEFAULT_VALIDATION}, their fine benchmark trimaps). Crops of
 * {@code validationCrop} centred on unknown pixels, not full photos: the paper network on a
 * full 800 px photo costs seconds per route on a CPU, times three budgets per image.
 */
final class PipelineData implements TrainCommand.DataProvider {
    /** Probability that a training foreground is a real photo, and of mixing a second one behind it. */
    static final double REAL_FRACTION = 0.5, MIX_PROBABILITY = 0.5;
    /** Background photos loaded (the shared folder has about 40). */
    static final int MAX_BACKGROUNDS = 64;
    static final long VALIDATION_SEED = 0x7A11DL;

    private final Path root;
    private DataSources sources;

    PipelineData(Path root) {
        this.root = root;
    }

    private synchronized DataSources sources() {
        if (sources == null) sources = DataSources.load(root, DataSources.DEFAULT_VALIDATION, MAX_BACKGROUNDS);
        return sources;
    }

    @Override
    public BatchSource training(TrainConfig cfg, long seed) {
        int workers = Math.max(1, Math.min(4, cfg.threads() / 4));
        return new TrainingData(sources(), new TrainingDataConfig(seed, cfg.crop(), cfg.batch(), REAL_FRACTION, MIX_PROBABILITY, workers, 4));
    }

    @Override
    public BatchSource validation(TrainConfig cfg) {
        List<Batch> crops = new ValidationSet(sources(), 1).batches(cfg.validationCrop(), 1, cfg.validationImages(), VALIDATION_SEED);
        return new BatchSource() {
            private int next;

            @Override
            public Batch next() {
                return crops.get(next++ % crops.size());
            }

            @Override
            public void close() {}
        };
    }
}
