package io.pam.cuda;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Finds and loads the CUDA runtime, NVRTC, cuDNN and the driver library.
 *
 * <p>Folders are searched in this order (first hit per library wins):
 * <ol>
 *   <li>{@code -Dpam.cuda.libs=DIR[:DIR...]}</li>
 *   <li>{@code $CUDA_HOME} and {@code $CUDA_PATH} ({@code lib64}, {@code lib})</li>
 *   <li>{@code $LD_LIBRARY_PATH}</li>
 *   <li>{@code /usr/local/cuda/lib64}, {@code /usr/lib/x86_64-linux-gnu}, {@code /usr/lib64}, ...</li>
 *   <li>Python's {@code site-packages/nvidia/{@literal *}/lib} (pip packages such as
 *       {@code nvidia-cudnn-cu13}): common install folders, then {@code python3}'s own
 *       {@code site.getsitepackages()}</li>
 * </ol>
 * Dependencies are loaded by full path before cuDNN (runtime, cuBLAS, NVRTC, cuDNN's
 * sub-libraries), so that cuDNN's own loader finds them by soname. The driver ({@code libcuda.so.1})
 * comes from the system search. The outcome of the first {@link #get()} is cached for the process.
 */
final class CudaLibraries {
    private CudaLibraries() {}

    /** System property: folders to search first, separated by the path separator. */
    static final String LIBS_PROPERTY = "pam.cuda.libs";

    /** Where to look; the default is everything, tests narrow it down. */
    record Discovery(List<Path> explicitDirs, boolean environment, boolean standardPlaces, boolean python) {
        static Discovery fromSystem() {
            List<Path> dirs = new ArrayList<>();
            String p = System.getProperty(LIBS_PROPERTY, "");
            for (String s : p.split(java.io.File.pathSeparator)) if (!s.isBlank()) dirs.add(Path.of(s.trim()));
            return new Discovery(dirs, true, true, true);
        }

        /** Only the given folders: no environment, standard places or Python. */
        static Discovery only(List<Path> dirs) {
            return new Discovery(dirs, false, false, false);
        }
    }

    /** A folder searched and why. */
    record SearchDir(Path dir, String source) {
        @Override
        public String toString() {
            return dir + " (" + source + (Files.isDirectory(dir) ? "" : ", absent") + ")";
        }
    }

    /** The libraries in use, and a report of what was loaded from where. */
    record Loaded(Native.Library cudart, Native.Library nvrtc, Native.Library cudnn, List<Native.Library> cudnnParts,
                  Native.Library driver, List<String> report) {}

    private static final List<String> CUDART = List.of("libcudart.so.13", "libcudart.so.12", "libcudart.so");
    private static final List<String> NVRTC = List.of("libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so");
    private static final List<String> CUDNN = List.of("libcudnn.so.9", "libcudnn.so");
    /** Optional, loaded first when present so that cuDNN's engines find them. */
    private static final List<List<String>> OPTIONAL_DEPS = List.of(
            List.of("libcublasLt.so.13", "libcublasLt.so.12"),
            List.of("libcublas.so.13", "libcublas.so.12"),
            List.of("libnvrtc-builtins.so.13*", "libnvrtc-builtins.so.12*"));
    /** cuDNN 9's sub-libraries in dependency order, looked up beside libcudnn.so.9. */
    private static final List<String> CUDNN_PARTS = List.of("libcudnn_graph.so.9", "libcudnn_engines_precompiled.so.9",
            "libcudnn_engines_runtime_compiled.so.9", "libcudnn_heuristic.so.9", "libcudnn_ops.so.9",
            "libcudnn_cnn.so.9", "libcudnn_adv.so.9");
    private static final String DRIVER = "libcuda.so.1";

    private static Loaded loaded;
    private static String failure;

    /**
     * The loaded libraries, loading them on first use with {@link Discovery#fromSystem()}.
     *
     * @throws CudaException listing every place searched when something is missing
     */
    static synchronized Loaded get() {
        if (loaded != null) return loaded;
        if (failure != null) throw new CudaException(failure);
        try {
            loaded = load(Discovery.fromSystem());
            return loaded;
        } catch (CudaException e) {
            failure = e.getMessage();
            throw e;
        }
    }

    /** Locates and loads everything, without caching (tests use narrowed discoveries). */
    static Loaded load(Discovery discovery) {
        List<SearchDir> dirs = searchDirs(discovery, false);
        Map<String, Path> found = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        locateRequired(dirs, "cudart", CUDART, found, missing);
        locateRequired(dirs, "nvrtc", NVRTC, found, missing);
        locateRequired(dirs, "cudnn", CUDNN, found, missing);
        if (!missing.isEmpty() && discovery.python()) {
            // Running python3 costs a process start: only when the cheap places were not enough.
            dirs = searchDirs(discovery, true);
            found.clear();
            missing.clear();
            locateRequired(dirs, "cudart", CUDART, found, missing);
            locateRequired(dirs, "nvrtc", NVRTC, found, missing);
            locateRequired(dirs, "cudnn", CUDNN, found, missing);
        }
        if (!missing.isEmpty()) {
            String msg = missingMessage(missing, dirs);
            if (discovery.python()) {
                List<Path> sites = sitePackages(true);
                msg += "\nPython site-packages looked into for nvidia/*/lib: " + (sites.isEmpty() ? "none found" : sites);
            }
            throw new CudaException(msg);
        }

        List<String> report = new ArrayList<>();
        Native.Library cudart = Native.open(found.get("cudart").toString());
        report.add("cudart: " + found.get("cudart"));
        for (List<String> names : OPTIONAL_DEPS) {
            Path p = locate(dirs, names);
            if (p == null) continue;
            try {
                Native.open(p.toString());
                report.add("preloaded: " + p);
            } catch (CudaException e) {
                report.add("optional, not loaded: " + e.getMessage());
            }
        }
        Native.Library nvrtc = Native.open(found.get("nvrtc").toString());
        report.add("nvrtc: " + found.get("nvrtc"));
        Path cudnnDir = found.get("cudnn").getParent();
        List<Native.Library> parts = new ArrayList<>();
        for (String part : CUDNN_PARTS) {
            Path p = cudnnDir.resolve(part);
            if (!Files.exists(p)) continue;
            try {
                parts.add(Native.open(p.toString()));
            } catch (CudaException e) {
                // cuDNN loads its parts lazily; a part that fails here fails again when used.
                report.add("cuDNN part not loaded: " + e.getMessage());
            }
        }
        Native.Library cudnn = Native.open(found.get("cudnn").toString());
        report.add("cudnn: " + found.get("cudnn"));
        Native.Library driver = openDriver(dirs);
        report.add("driver: " + driver.name());
        return new Loaded(cudart, nvrtc, cudnn, List.copyOf(parts), driver, List.copyOf(report));
    }

    /** libcuda comes with the NVIDIA driver: the system search first, then the folders. */
    private static Native.Library openDriver(List<SearchDir> dirs) {
        List<String> tried = new ArrayList<>();
        try {
            return Native.open(DRIVER);
        } catch (CudaException e) {
            tried.add(e.getMessage());
        }
        for (SearchDir d : dirs) {
            Path p = d.dir().resolve(DRIVER);
            if (!Files.exists(p)) continue;
            try {
                return Native.open(p.toString());
            } catch (CudaException e) {
                tried.add(e.getMessage());
            }
        }
        throw new CudaException("no NVIDIA driver: " + DRIVER + " could not be loaded (" + String.join("; ", tried)
                + "). The CUDA libraries were found, but this machine has no usable NVIDIA driver/GPU.");
    }

    private static void locateRequired(List<SearchDir> dirs, String key, List<String> names, Map<String, Path> found, List<String> missing) {
        Path p = locate(dirs, names);
        if (p == null) missing.add(String.join(" or ", names));
        else found.put(key, p);
    }

    /** The first file matching one of the names (a trailing '*' matches a prefix), folders first. */
    static Path locate(List<SearchDir> dirs, List<String> names) {
        for (SearchDir d : dirs) {
            if (!Files.isDirectory(d.dir())) continue;
            for (String n : names) {
                if (n.endsWith("*")) {
                    String prefix = n.substring(0, n.length() - 1);
                    try (DirectoryStream<Path> s = Files.newDirectoryStream(d.dir(), prefix + "*")) {
                        for (Path p : s) if (Files.isRegularFile(p)) return p;
                    } catch (IOException e) {
                        // unreadable folder: nothing found there
                    }
                } else {
                    Path p = d.dir().resolve(n);
                    if (Files.isRegularFile(p)) return p;
                }
            }
        }
        return null;
    }

    private static String missingMessage(List<String> missing, List<SearchDir> dirs) {
        StringBuilder b = new StringBuilder("CUDA libraries not found: missing ").append(String.join(", ", missing))
                .append(".\nSearched, in order:");
        if (dirs.isEmpty()) b.append("\n  (no folders)");
        for (SearchDir d : dirs) b.append("\n  ").append(d);
        b.append("\nInstall the CUDA runtime, NVRTC and cuDNN 9 (e.g. pip install nvidia-cudnn-cu13, which brings")
                .append(" them), or point -D").append(LIBS_PROPERTY).append("=DIR[:DIR...] or LD_LIBRARY_PATH at their folders.");
        return b.toString();
    }

    /** The folders to search, in order, without duplicates. */
    static List<SearchDir> searchDirs(Discovery d, boolean runPython) {
        Map<Path, SearchDir> dirs = new LinkedHashMap<>();
        for (Path p : d.explicitDirs()) add(dirs, p, LIBS_PROPERTY);
        if (d.environment()) {
            for (String var : List.of("CUDA_HOME", "CUDA_PATH")) {
                String v = System.getenv(var);
                if (v != null && !v.isBlank()) {
                    add(dirs, Path.of(v, "lib64"), "$" + var);
                    add(dirs, Path.of(v, "lib"), "$" + var);
                }
            }
            String ld = System.getenv("LD_LIBRARY_PATH");
            if (ld != null) for (String s : ld.split(":")) if (!s.isBlank()) add(dirs, Path.of(s), "$LD_LIBRARY_PATH");
        }
        if (d.standardPlaces()) {
            for (String s : List.of("/usr/local/cuda/lib64", "/usr/local/cuda/lib", "/usr/lib/x86_64-linux-gnu",
                    "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib/wsl/lib")) {
                add(dirs, Path.of(s), "standard place");
            }
        }
        if (d.python()) {
            for (SearchDir sd : nvidiaLibDirs(sitePackages(runPython))) dirs.putIfAbsent(sd.dir(), sd);
        }
        return List.copyOf(dirs.values());
    }

    private static void add(Map<Path, SearchDir> dirs, Path p, String source) {
        Path n = p.toAbsolutePath().normalize();
        dirs.putIfAbsent(n, new SearchDir(n, source));
    }

    /** Python site-packages folders: common install places, then what python3 itself reports. */
    static List<Path> sitePackages(boolean runPython) {
        List<Path> bases = new ArrayList<>();
        String home = System.getProperty("user.home");
        for (String s : List.of("/usr/lib", "/usr/local/lib", "/opt/conda/lib")) bases.add(Path.of(s));
        if (home != null) bases.add(Path.of(home, ".local", "lib"));
        for (String var : List.of("VIRTUAL_ENV", "CONDA_PREFIX")) {
            String v = System.getenv(var);
            if (v != null && !v.isBlank()) bases.add(Path.of(v, "lib"));
        }
        List<Path> sites = sitePackagesUnder(bases);
        if (runPython) sites.addAll(askPython());
        return sites;
    }

    /** {@code BASE/python3*}{@code /site-packages} and {@code dist-packages} folders that exist. */
    static List<Path> sitePackagesUnder(List<Path> bases) {
        List<Path> sites = new ArrayList<>();
        for (Path base : bases) {
            if (!Files.isDirectory(base)) continue;
            List<Path> pys = new ArrayList<>();
            try (DirectoryStream<Path> s = Files.newDirectoryStream(base, "python3*")) {
                for (Path py : s) pys.add(py);
            } catch (IOException e) {
                continue;
            }
            pys.sort(null);
            for (Path py : pys) {
                for (String sub : List.of("site-packages", "dist-packages")) {
                    if (Files.isDirectory(py.resolve(sub))) sites.add(py.resolve(sub));
                }
            }
        }
        return sites;
    }

    /** The {@code nvidia/<package>/lib} (and {@code lib64}) folders of pip's CUDA packages, sorted per site. */
    static List<SearchDir> nvidiaLibDirs(List<Path> sites) {
        List<SearchDir> out = new ArrayList<>();
        for (Path site : sites) {
            Path nv = site.resolve("nvidia");
            if (!Files.isDirectory(nv)) continue;
            List<Path> subs = new ArrayList<>();
            try (DirectoryStream<Path> s = Files.newDirectoryStream(nv)) {
                for (Path p : s) subs.add(p);
            } catch (IOException e) {
                continue;
            }
            subs.sort(null);
            for (Path p : subs) {
                for (String lib : List.of("lib", "lib64")) {
                    Path d = p.resolve(lib);
                    if (Files.isDirectory(d)) out.add(new SearchDir(d.toAbsolutePath().normalize(), "python " + site));
                }
            }
        }
        return out;
    }

    /** site.getsitepackages() of python3 on the PATH, if there is one; never throws. */
    private static List<Path> askPython() {
        List<Path> out = new ArrayList<>();
        String script = "import site\nfor p in site.getsitepackages() + [site.getusersitepackages()]: print(p)";
        for (String exe : List.of("python3", "python")) {
            try {
                Process p = new ProcessBuilder(exe, "-c", script).redirectErrorStream(false).start();
                p.getOutputStream().close();
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    continue;
                }
                String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (p.exitValue() != 0) continue;
                for (String line : text.split("\n")) if (!line.isBlank()) out.add(Path.of(line.trim()));
                return out;
            } catch (IOException e) {
                // no such interpreter: try the next name
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return out;
            }
        }
        return out;
    }
}
