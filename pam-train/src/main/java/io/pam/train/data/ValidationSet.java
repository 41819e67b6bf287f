package io.pam.train.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Held-aside real photos with their real trimaps, for validation during training.
 *
 * <p>Two views: {@link #photos()} (full size, for whole-image evaluation with
 * {@link io.pam.metrics.Metrics}) and {@link #batches} (fixed crops: the same arguments always
 * give the same batches). Crops use the photo itself as the image (not a re-composite), the
 * benchmark's trimap, and the estimated F and B; a crop is centred on an unknown pixel of the
 * trimap and reflect-padded where it sticks out of the photo.
 */
public final class ValidationSet {
    private final List<RealPhoto> photos;
    private final int trimap;

    /**
     * @param photos held-aside photos (at least one)
     * @param trimap which benchmark trimap to use: 1 (fine) or 2 (coarse)
     */
    public ValidationSet(List<RealPhoto> photos, int trimap) {
        if (photos.isEmpty()) throw new IllegalArgumentException("a validation set needs at least one photo");
        if (trimap != 1 && trimap != 2) throw new IllegalArgumentException("trimap must be 1 or 2, got " + trimap);
        this.photos = List.copyOf(photos);
        this.trimap = trimap;
    }

    public ValidationSet(DataSources sources, int trimap) {
        this(sources.validation(), trimap);
    }

    public List<RealPhoto> photos() {
        return photos;
    }

    public int trimap() {
        return trimap;
    }

    /** {@code count} batches of crops, photos taken in turn; deterministic in all arguments. */
    public List<Batch> batches(int cropSize, int batchSize, int count, long seed) {
        if (cropSize <= 0 || cropSize % 32 != 0) throw new IllegalArgumentException("cropSize must be a positive multiple of 32, got " + cropSize);
        if (batchSize < 1 || count < 0) throw new IllegalArgumentException("need batchSize >= 1 and count >= 0");
        List<Batch> out = new ArrayList<>();
        int k = 0;
        for (int b = 0; b < count; b++) {
            Sample[] samples = new Sample[batchSize];
            for (int j = 0; j < batchSize; j++, k++)
                samples[j] = crop(photos.get(k % photos.size()), cropSize, new SplittableRandom(TrainingData.seedOf(seed, b, j)));
            out.add(TrainingData.toBatch(samples));
        }
        return out;
    }

    private Sample crop(RealPhoto p, int size, SplittableRandom rnd) {
        int w = p.image().width(), h = p.image().height(), pn = w * h, n = size * size;
        byte[] tri = p.trimap(trimap).values();
        int count = 0;
        for (byte t : tri) if ((t & 0xff) != 0 && (t & 0xff) != 255) count++;
        int pick = count == 0 ? rnd.nextInt(pn) : rnd.nextInt(count), centre = pick;
        if (count > 0) {
            for (int i = 0, seen = 0; i < pn; i++)
                if ((tri[i] & 0xff) != 0 && (tri[i] & 0xff) != 255 && seen++ == pick) { centre = i; break; }
        }
        int x0 = centre % w - size / 2, y0 = centre / w - size / 2;
        float[] img = new float[3 * n], fg = new float[3 * n], bg = new float[3 * n], alpha = new float[n];
        byte[] ct = new byte[n];
        for (int y = 0; y < size; y++) {
            int sy = reflect(y0 + y, h);
            for (int x = 0; x < size; x++) {
                int s = sy * w + reflect(x0 + x, w), d = y * size + x;
                alpha[d] = p.alpha()[s];
                ct[d] = tri[s];
                for (int c = 0; c < 3; c++) {
                    img[c * n + d] = p.image().planar()[c * pn + s];
                    fg[c * n + d] = p.foreground().planar()[c * pn + s];
                    bg[c * n + d] = p.background().planar()[c * pn + s];
                }
            }
        }
        return new Sample(size, img, ct, alpha, fg, bg);
    }

    /** Mirror index into [0, n) without repeating the edge pixel (as reflect padding does). */
    static int reflect(int i, int n) {
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        i = Math.floorMod(i, period);
        return i < n ? i : period - i;
    }
}
