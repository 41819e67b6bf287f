package io.pam.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Library discovery and its error messages; runs everywhere (no GPU or CUDA needed). */
class CudaLibrariesTest {
    @Test
    void missingLibrariesAreReportedWithEveryPlaceSearched(@TempDir Path empty) {
        Path absent = empty.resolve("not-there");
        assertThatThrownBy(() -> CudaLibraries.load(CudaLibraries.Discovery.only(List.of(empty, absent))))
                .isInstanceOf(CudaException.class)
                .hasMessageContaining("CUDA libraries not found")
                .hasMessageContaining("libcudart.so.13")
                .hasMessageContaining("libnvrtc.so.13")
                .hasMessageContaining("libcudnn.so.9")
                .hasMessageContaining(empty + " (pam.cuda.libs)")
                .hasMessageContaining(absent + " (pam.cuda.libs, absent)")
                .hasMessageContaining("-Dpam.cuda.libs=");
    }

    @Test
    void aBrokenLibraryIsReportedWithTheLoadersReason(@TempDir Path dir) throws Exception {
        for (String name : List.of("libcudart.so.13", "libnvrtc.so.13", "libcudnn.so.9")) {
            Files.write(dir.resolve(name), new byte[2048]);
        }
        // dlerror's text, not just "cannot open": the file is found but is no ELF library
        assertThatThrownBy(() -> CudaLibraries.load(CudaLibraries.Discovery.only(List.of(dir))))
                .isInstanceOf(CudaException.class)
                .hasMessageContaining("cannot load " + dir.resolve("libcudart.so.13"))
                .message().matches("(?s).*(ELF|too short|not a dynamic).*");
    }

    @Test
    void earlierFoldersWinAndPrefixNamesMatchVersionedFiles(@TempDir Path root) throws Exception {
        Path first = Files.createDirectories(root.resolve("a")), second = Files.createDirectories(root.resolve("b"));
        Files.writeString(second.resolve("libcudart.so.13"), "x");
        Files.writeString(first.resolve("libcudart.so.12"), "x");
        Files.writeString(second.resolve("libnvrtc-builtins.so.13.0"), "x");
        List<CudaLibraries.SearchDir> dirs = CudaLibraries.searchDirs(CudaLibraries.Discovery.only(List.of(first, second)), false);
        assertThat(dirs).extracting(CudaLibraries.SearchDir::dir).containsExactly(first, second);
        // folder order beats name order: a .12 runtime in the first folder wins over a .13 in the second
        assertThat(CudaLibraries.locate(dirs, List.of("libcudart.so.13", "libcudart.so.12"))).isEqualTo(first.resolve("libcudart.so.12"));
        assertThat(CudaLibraries.locate(dirs, List.of("libnvrtc-builtins.so.13*"))).isEqualTo(second.resolve("libnvrtc-builtins.so.13.0"));
        assertThat(CudaLibraries.locate(dirs, List.of("libcudnn.so.9"))).isNull();
    }

    @Test
    void pythonSitePackagesContributeTheirNvidiaLibFolders(@TempDir Path root) throws Exception {
        // the layout pip gives: site-packages/nvidia/<package>/lib
        Path site = root.resolve("lib/python3.12/site-packages");
        Path cudnn = Files.createDirectories(site.resolve("nvidia/cudnn/lib"));
        Path cu13 = Files.createDirectories(site.resolve("nvidia/cu13/lib"));
        List<Path> sites = CudaLibraries.sitePackagesUnder(List.of(root.resolve("lib")));
        assertThat(sites).containsExactly(site);
        List<CudaLibraries.SearchDir> dirs = CudaLibraries.nvidiaLibDirs(sites);
        assertThat(dirs).extracting(CudaLibraries.SearchDir::dir).containsExactly(cu13, cudnn);
    }
}
