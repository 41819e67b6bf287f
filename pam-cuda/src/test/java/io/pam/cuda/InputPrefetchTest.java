package io.pam.cuda;

import static io.pam.cuda.CudaTrainingOpsTest.conv;
import static io.pam.cuda.CudaTrainingOpsTest.rand;
import static io.pam.cuda.CudaTrainingOpsTest.randVec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pam.net.Op;
import io.pam.net.Tensor;
import io.pam.spi.TrainingOps;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link CudaTrainingOps#prefetch}: inputs copied on a stream of their own while kernels run.
 * The ops here do not synchronise after each op (unlike {@link CudaTrainingOpsTest}), so the
 * copies really overlap the kernels and a missing ordering event shows as wrong numbers.
 * Skipped where there is no GPU.
 */
class InputPrefetchTest {
    @BeforeEach
    void needsGpu() {
        CudaTrainingBackend b = new CudaTrainingBackend();
        assumeTrue(b.isAvailable(), () -> "no usable CUDA GPU: " + b.unavailableReason());
    }

    /** Per batch: the pooled output of a convolution long enough that a copy could land while it still reads its input. */
    private static List<Tensor> run(CudaTrainingOps ops, List<Tensor> batches, boolean prefetch) {
        Op.Conv c = conv(6, 192, 7, 1, 3, 1, false);
        DeviceVector w = ops.fromHost(randVec(192 * 6 * 49, 3, -0.1f, 0.1f));
        List<Tensor> out = new ArrayList<>();
        try (TrainingOps.Scope all = ops.scope()) {
            List<DeviceTensor> results = new ArrayList<>();
            for (Tensor b : batches) results.add(ops.upload(Tensor.zeros(b.n(), 192, 1, 1)));
            TrainingOps.Incoming<DeviceTensor> next = prefetch ? ops.prefetch(batches.get(0)) : null;
            for (int k = 0; k < batches.size(); k++) {
                try (TrainingOps.Scope step = ops.scope()) {
                    DeviceTensor x = prefetch ? next.take() : ops.upload(batches.get(k));
                    DeviceTensor y = ops.conv(x, c, w, null);
                    // queued behind the convolution, into the slot just taken: the transfer must wait
                    // for take's device-to-device copy (queued behind the previous batch's kernels),
                    // never for this batch's convolution
                    if (prefetch && k + 1 < batches.size()) next = ops.prefetch(batches.get(k + 1));
                    ops.accumulate(results.get(k), ops.globalAvgPool(y));
                }
            }
            for (DeviceTensor r : results) out.add(ops.download(r));
        }
        ops.release(w);
        return out;
    }

    @Test
    void prefetchedBatchesGiveExactlyTheResultsOfPlainUploadsWithOneSlot() {
        long device = Cudart.liveDeviceBytes(), pinned = Cudart.livePinnedBytes();
        List<Tensor> batches = new ArrayList<>();
        // 8 x 6 x 256 x 256: several HostCopy chunks per batch
        for (int k = 0; k < 8; k++) batches.add(rand(8, 6, 256, 256, 100 + k));
        assertThat(batches.get(0).data().length).isGreaterThan(HostCopy.CHUNK_FLOATS);
        CudaTrainingOps ops = (CudaTrainingOps) new CudaTrainingBackend().open(1);
        try {
            List<Tensor> plain = run(ops, batches, false);
            List<Tensor> ahead = run(ops, batches, true);
            for (int k = 0; k < batches.size(); k++)
                assertThat(ahead.get(k).data()).as("batch %d through prefetch", k).isEqualTo(plain.get(k).data());
            assertThat(ops.inputSlots()).as("slots of a loop reading one batch ahead (a slot is free once taken)").isEqualTo(1);
            // a smaller batch reuses a slot; its data is exact
            Tensor small = rand(2, 6, 17, 19, 7);
            try (TrainingOps.Scope s = ops.scope()) {
                assertThat(ops.download(ops.prefetch(small).take()).data()).isEqualTo(small.data());
            }
            assertThat(ops.inputSlots()).isEqualTo(1);
            // many batches taken within one scope (a step accumulating gradients over them) need no more slots
            try (TrainingOps.Scope s = ops.scope()) {
                List<DeviceTensor> kept = new ArrayList<>();
                TrainingOps.Incoming<DeviceTensor> in = ops.prefetch(batches.get(0));
                for (int k = 0; k < 3 * InputPrefetch.MAX_SLOTS; k++) {
                    kept.add(in.take());
                    in = ops.prefetch(batches.get((k + 1) % batches.size()));
                }
                in.close();
                for (int k = 0; k < kept.size(); k++)
                    assertThat(ops.download(kept.get(k)).data()).as("batch %d taken in one scope", k).isEqualTo(batches.get(k % batches.size()).data());
            }
            assertThat(ops.inputSlots()).isEqualTo(1);
        } finally {
            ops.close();
        }
        assertThat(Cudart.liveDeviceBytes()).as("device bytes after close").isEqualTo(device);
        assertThat(Cudart.livePinnedBytes()).as("pinned bytes after close").isEqualTo(pinned);
    }

    @Test
    void handlesAreTakenOnceDroppedSlotsAreReusedAndTooManyPendingIsAClearError() {
        long device = Cudart.liveDeviceBytes(), pinned = Cudart.livePinnedBytes();
        CudaTrainingOps ops = (CudaTrainingOps) new CudaTrainingBackend().open(1);
        try {
            Tensor t = rand(1, 6, 8, 8, 1);
            TrainingOps.Incoming<DeviceTensor> in = ops.prefetch(t);
            try (TrainingOps.Scope s = ops.scope()) {
                assertThat(ops.download(in.take()).data()).containsExactly(t.data());
                assertThatThrownBy(in::take).isInstanceOf(IllegalStateException.class).hasMessageContaining("already taken");
            }
            in.close(); // taken and released: closing the handle changes nothing

            TrainingOps.Incoming<DeviceTensor> dropped = ops.prefetch(t);
            dropped.close();
            assertThatThrownBy(dropped::take).isInstanceOf(IllegalStateException.class).hasMessageContaining("dropped");
            // the dropped slot is reused, and the stale handle cannot touch its new copy
            Tensor u = rand(1, 6, 8, 8, 2);
            TrainingOps.Incoming<DeviceTensor> reuse = ops.prefetch(u);
            dropped.close();
            assertThat(ops.inputSlots()).isEqualTo(1);
            try (TrainingOps.Scope s = ops.scope()) {
                assertThat(ops.download(reuse.take()).data()).containsExactly(u.data());
            }

            List<TrainingOps.Incoming<DeviceTensor>> pending = new ArrayList<>();
            for (int i = 0; i < InputPrefetch.MAX_SLOTS; i++) pending.add(ops.prefetch(t));
            assertThatThrownBy(() -> ops.prefetch(t)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(InputPrefetch.MAX_SLOTS + " prefetched inputs are pending");
            for (TrainingOps.Incoming<DeviceTensor> p : pending) p.close();
            ops.prefetch(t).close(); // room again

            // taken with no scope open: owned by the ops until close
            DeviceTensor kept = ops.prefetch(t).take();
            assertThat(ops.download(kept).data()).containsExactly(t.data());
        } finally {
            ops.close();
        }
        assertThatThrownBy(() -> ops.prefetch(rand(1, 1, 2, 2, 3))).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThat(Cudart.liveDeviceBytes()).isEqualTo(device);
        assertThat(Cudart.livePinnedBytes()).isEqualTo(pinned);
    }
}
