package io.pam.cuda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A snapshot of the memory the CUDA backend is responsible for, for leak checks and reports.
 *
 * @param deviceFreeBytes   free memory of the device (cudaMemGetInfo: every process and library)
 * @param deviceTotalBytes  total memory of the device
 * @param allocatedDeviceBytes device memory currently held by this process's CUDA engines and
 *                          plans (our own cudaMalloc calls; cuDNN's internal memory not included)
 * @param pinnedHostBytes   page-locked host memory currently held by them (cudaMallocHost)
 * @param residentHostBytes resident set of the whole process (Linux {@code VmRSS}; -1 elsewhere):
 *                          Java heap, native arenas and pinned memory together
 */
public record CudaMemory(long deviceFreeBytes, long deviceTotalBytes, long allocatedDeviceBytes, long pinnedHostBytes,
                         long residentHostBytes) {

    /**
     * Measures now, on device {@code device}.
     *
     * @throws CudaException when the backend is unavailable
     */
    public static CudaMemory of(int device) {
        CudaContext.open(device);
        long[] info = Cudart.memInfo();
        return new CudaMemory(info[0], info[1], Cudart.liveDeviceBytes(), Cudart.livePinnedBytes(), residentBytes());
    }

    private static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: unknown
        }
        return -1;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "device free %.1f of %.1f MiB, engines hold %.1f MiB device + %.1f MiB pinned, process RSS %.1f MiB",
                deviceFreeBytes / 1048576.0, deviceTotalBytes / 1048576.0, allocatedDeviceBytes / 1048576.0, pinnedHostBytes / 1048576.0,
                residentHostBytes / 1048576.0);
    }
}
