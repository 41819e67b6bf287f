package io.pam.train;

import io.pam.net.Safetensors;
import io.pam.net.Weights;
import io.pam.spi.TrainingBackend;
import io.pam.spi.TrainingBackends;
import io.pam.spi.TrainingOps;
import io.pam.train.data.BatchSource;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code pam train}: runs the training recipe, printing progress, writing checkpoints, curves and
 * the final weights into an output folder.
 *
 * <pre>
 * pam train [--config train.json] [--out runs/x] [--resume runs/x/checkpoint.safetensors | --init weights.safetensors]
 *           [--data synthetic|pipeline] [--&lt;option&gt; value ...]      (options: fields of {@link TrainConfig})
 * </pre>
 *
 * Data comes from a {@link DataProvider} named by the config's {@code data}: {@code synthetic}
 * (procedural smoke-test data) or {@code pipeline} (the shared data folder, {@link PipelineData}).
 * The backend is the config's {@code backend}: {@code auto} (the best available training backend
 * found by {@link TrainingBackends}), {@code cpu} or {@code reference}. {@code --init} starts a new
 * run (stage 1, step 0, fresh optimiser) from the tensors of a PAM weight file, BatchNorm running
 * statistics included, instead of the Kaiming initialisation; its network must be the run's.
 */
public final class TrainCommand {
    /** Opens training and validation data for a config. */
    public interface DataProvider {
        /** An endless seeded stream of training batches of {@code cfg.batch()} crops of {@code cfg.crop()}. */
        BatchSource training(TrainConfig cfg, long seed);

        /** The held-aside validation images (the same sequence on every call). */
        BatchSource validation(TrainConfig cfg);
    }

    /** Procedural data ({@link SyntheticBatches}) for smoke runs. */
    public static final DataProvider SYNTHETIC = new DataProvider() {
        public BatchSource training(TrainConfig cfg, long seed) {
            return new SyntheticBatches(seed, cfg.batch(), cfg.crop());
        }

        public BatchSource validation(TrainConfig cfg) {
            return new SyntheticBatches(0x7A11DL, 1, cfg.validationCrop());
        }
    };

    private final Map<String, DataProvider> providers = new LinkedHashMap<>();
    private final PrintStream out;

    public TrainCommand() {
        this(System.out);
    }

    public TrainCommand(PrintStream out) {
        this.out = out;
        providers.put("synthetic", SYNTHETIC);
        providers.put("pipeline", new DataProvider() {
            private PipelineData data;

            private PipelineData data() {
                if (data == null) data = new PipelineData(io.pam.train.data.DataPaths.requireSharedData());
                return data;
            }

            public BatchSource training(TrainConfig cfg, long seed) {
                return data().training(cfg, seed);
            }

            public BatchSource validation(TrainConfig cfg) {
                return data().validation(cfg);
            }
        });
    }

    /** Registers a data provider under a name for {@code --data}. */
    public TrainCommand withData(String name, DataProvider provider) {
        providers.put(name, provider);
        return this;
    }

    public static void main(String[] args) throws IOException {
        System.exit(new TrainCommand().run(args));
    }

    /** Runs the command; returns the exit status (0 = success, 2 = bad arguments). */
    public int run(String[] args) throws IOException {
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--verbose")) continue; // the pam CLI's global flag
            if (a.equals("-h") || a.equals("--help")) {
                out.println(usage());
                return 0;
            }
            if (!a.startsWith("--") || i + 1 >= args.length) {
                out.println("bad argument '" + a + "' (options are --name value)\n" + usage());
                return 2;
            }
            opts.put(a.substring(2), args[++i]);
        }
        Path outDir = Path.of(opts.getOrDefault("out", "runs/train"));
        String resume = opts.remove("resume");
        String init = opts.remove("init");
        if (resume != null && init != null) {
            out.println("--init and --resume cannot be combined: --resume continues a run from its checkpoint, "
                    + "--init starts a new run from a weight file\n" + usage());
            return 2;
        }
        String configFile = opts.remove("config");
        opts.remove("out");
        TrainConfig cfg;
        try {
            cfg = resume != null ? Checkpoint.config(Path.of(resume))
                    : configFile != null ? TrainConfig.read(Path.of(configFile)) : TrainConfig.paper();
            cfg = cfg.with(opts);
        } catch (IllegalArgumentException e) {
            out.println(e.getMessage());
            return 2;
        }
        Weights initial = null;
        if (init != null) {
            try {
                initial = Safetensors.read(Path.of(init));
            } catch (IllegalArgumentException | IOException e) {
                out.println("cannot read --init weights: " + e.getMessage());
                return 2;
            }
            if (!initial.config().equals(cfg.networkConfig())) {
                out.println(init + ": weights are for network config " + initial.config() + ", but this run trains '"
                        + cfg.network() + "' = " + cfg.networkConfig() + " (choose the matching --network)");
                return 2;
            }
        }
        DataProvider provider = providers.get(cfg.data());
        if (provider == null) {
            out.println("unknown data '" + cfg.data() + "'; known: " + String.join(", ", providers.keySet()));
            return 2;
        }
        TrainingBackend backend;
        try {
            backend = TrainingBackends.resolve(cfg.backend());
        } catch (RuntimeException e) { // unknown name, or a named backend that is not available here
            out.println(e.getMessage());
            return 2;
        }
        Files.createDirectories(outDir);
        Files.writeString(outDir.resolve("train-config.json"), cfg.toJson());
        out.println("training " + cfg.network() + " network with backend '" + backend.name() + "', " + cfg.threads()
                + " threads; output in " + outDir);
        final TrainConfig c = cfg;
        Path ckpt = outDir.resolve("checkpoint.safetensors");
        try (TrainingOps<?, ?> ops = backend.open(cfg.threads())) {
            Trainer.Listener listener = new Trainer.Listener() {
                public void line(String text) {
                    out.println(text);
                }

                public void checkpoint(Trainer<?, ?> t) {
                    try {
                        // write aside, then rename: a run killed while writing keeps its last good checkpoint
                        Path tmp = outDir.resolve("checkpoint.safetensors.tmp");
                        Checkpoint.save(t, tmp);
                        Files.move(tmp, ckpt, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                        Path half = outDir.resolve("weights-fp16.safetensors"), halfTmp = outDir.resolve("weights-fp16.safetensors.tmp");
                        Safetensors.write(halfTmp, t.weights(), Safetensors.DType.F16, Map.of("pam.trainConfig", c.toJson(),
                                "pam.trainState", "stage " + t.stage() + " step " + t.step()));
                        Files.move(halfTmp, half, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                        Curves.write(t.history(), outDir);
                        out.println("checkpoint: stage " + t.stage() + " step " + t.step() + " -> " + ckpt + ", " + half);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException("cannot write checkpoint into " + outDir, e);
                    }
                }

                public void validated(Trainer<?, ?> t) {
                    try {
                        Curves.write(t.history(), outDir);
                    } catch (IOException e) {
                        out.println("warning: cannot write curves: " + e.getMessage());
                    }
                }
            };
            try (Trainer<?, ?> trainer = new Trainer<>(cfg, ops, seed -> provider.training(c, seed), () -> provider.validation(c), listener)) {
                if (resume != null) {
                    Checkpoint.restore(trainer, Path.of(resume));
                    out.println("resumed at stage " + trainer.stage() + " step " + trainer.step());
                } else if (initial != null) {
                    trainer.startFrom(initial);
                    out.println("starting a new run (stage 1 step 0, fresh optimiser) from the weights in " + init);
                }
                trainer.run();
                Weights w = trainer.weights();
                Path weights = outDir.resolve("pam-" + cfg.network() + ".safetensors");
                Safetensors.write(weights, w, Safetensors.DType.F32, Map.of("pam.trainConfig", cfg.toJson()));
                out.println("done: weights in " + weights);
            }
        }
        return 0;
    }

    static String usage() {
        return """
                usage: pam train [--config train.json] [--out DIR]
                                 [--resume DIR/checkpoint.safetensors | --init WEIGHTS.safetensors]
                                 [--data synthetic|pipeline] [--backend auto|cuda|cpu|reference] [--OPTION VALUE ...]
                OPTION is any field of the training config (camelCase or kebab-case), e.g.
                  --network paper|tiny  --backend auto|cuda|cpu|reference  --threads 2  --batch 4  --crop 256
                  --stage1-steps N  --stage2-steps N  --stage3-steps N  --lr 3e-4  --validate-every N
                  --checkpoint-minutes 10  --validation-crop 320
                --resume continues a run from its checkpoint (same config). --init starts a new run (stage 1
                step 0, fresh optimiser) from a PAM weight file (e.g. the shipped pam-default.safetensors,
                BatchNorm statistics included) instead of random init; its network must equal --network.
                Writes DIR/checkpoint.safetensors (resumable; every checkpointEvery steps, every
                checkpointMinutes and at stage ends), DIR/weights-fp16.safetensors (inference weights
                at each checkpoint), DIR/loss.png, DIR/validation.png, DIR/train-config.json and, at
                the end, DIR/pam-<network>.safetensors.""";
    }
}
