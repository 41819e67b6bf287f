package io.pam.net;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Weight files in the safetensors format: an 8-byte little-endian header length, a JSON header
 * ({@code name -> {dtype, shape, data_offsets}} plus {@code __metadata__}), then the tensors'
 * little-endian bytes. The network configuration is stored in the metadata under
 * {@value #CONFIG_KEY}, so a file says which network it belongs to. F32 and F16 are read;
 * F32 (exact) or F16 (half the size) are written.
 */
public final class Safetensors {
    public static final String CONFIG_KEY = "pam.config";
    public static final String FORMAT_KEY = "format";
    public static final String FORMAT = "pam-weights-1";
    /** Headers larger than this are rejected as corrupt. */
    static final long MAX_HEADER = 64L << 20;

    private static final ObjectMapper JSON = new ObjectMapper();

    private Safetensors() {}

    public enum DType { F32, F16 }

    /** Writes weights; {@code extraMetadata} lands in {@code __metadata__} next to the config. */
    public static void write(Path file, Weights w, DType dtype, Map<String, String> extraMetadata) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(extraMetadata);
        meta.put(FORMAT_KEY, FORMAT);
        meta.put(CONFIG_KEY, configToJson(w.config()));
        Map<String, float[]> t = new LinkedHashMap<>();
        Map<String, int[]> s = new LinkedHashMap<>();
        for (String n : w.names()) {
            t.put(n, w.get(n));
            s.put(n, w.shape(n));
        }
        writeRaw(file, t, s, dtype, meta);
    }

    /** Writes any named float tensors (checkpoints use this for optimiser state). */
    public static void writeRaw(Path file, Map<String, float[]> tensors, Map<String, int[]> shapes, DType dtype,
                                Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        metadata.forEach(meta::put);
        int bytesPer = dtype == DType.F32 ? 4 : 2;
        long offset = 0;
        for (Map.Entry<String, float[]> e : tensors.entrySet()) {
            ObjectNode n = header.putObject(e.getKey());
            n.put("dtype", dtype.name());
            var shape = n.putArray("shape");
            int[] sh = shapes.get(e.getKey());
            if (sh == null) sh = new int[] {e.getValue().length};
            for (int d : sh) shape.add(d);
            var off = n.putArray("data_offsets");
            off.add(offset);
            offset += (long) e.getValue().length * bytesPer;
            off.add(offset);
        }
        byte[] h = JSON.writeValueAsBytes(header);
        int padded = (h.length + 7) / 8 * 8; // keep the data 8-byte aligned, padding with spaces
        ByteBuffer buf = ByteBuffer.allocate(8 + padded + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(padded);
        buf.put(h);
        for (int i = h.length; i < padded; i++) buf.put((byte) ' ');
        for (float[] v : tensors.values()) {
            if (dtype == DType.F32) for (float f : v) buf.putFloat(f);
            else for (float f : v) buf.putShort(Float.floatToFloat16(f));
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, buf.array());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** The raw content of a file: tensors (as float), shapes, metadata. */
    public record Content(Map<String, float[]> tensors, Map<String, int[]> shapes, Map<String, String> metadata) {}

    /** Reads weights and checks them against the network their metadata names. */
    public static Weights read(Path file) throws IOException {
        return weightsOf(readRaw(file), file.toString());
    }

    /**
     * Reads weights from the bytes of a weight file (e.g. a class-path resource), checked like
     * {@link #read(Path)}; {@code source} names it in error messages.
     */
    public static Weights read(byte[] bytes, String source) {
        return weightsOf(parse(bytes, source), source);
    }

    private static Weights weightsOf(Content c, String source) {
        String cfg = c.metadata().get(CONFIG_KEY);
        if (cfg == null)
            throw new IllegalArgumentException(source + ": not a PAM weight file (no '" + CONFIG_KEY + "' in the safetensors metadata)");
        NetworkConfig config;
        try {
            config = configFromJson(cfg);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(source + ": unreadable network configuration in metadata: " + e.getMessage(), e);
        }
        try {
            return Weights.of(NetworkSpec.of(config), c.tensors());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    /** Reads a safetensors file, validating its structure. */
    public static Content readRaw(Path file) throws IOException {
        long size;
        try {
            size = Files.size(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException("weight file not found: " + file);
        }
        if (size > Integer.MAX_VALUE - 16) throw corrupt(file.toString(), "file larger than 2 GiB is not supported");
        return parse(Files.readAllBytes(file), file.toString());
    }

    /** Parses the bytes of a safetensors file, validating its structure. */
    static Content parse(byte[] all, String file) {
        long size = all.length;
        if (size < 8) throw corrupt(file, "file is " + size + " bytes, shorter than the 8-byte header length");
        ByteBuffer buf = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        long hlen = buf.getLong();
        if (hlen <= 1 || hlen > MAX_HEADER || hlen > size - 8)
            throw corrupt(file, "header length " + hlen + " does not fit a file of " + size + " bytes");
        JsonNode header;
        try {
            header = JSON.readTree(new String(all, 8, (int) hlen, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw corrupt(file, "header is not valid JSON (" + e.getMessage() + ")");
        }
        if (header == null || !header.isObject()) throw corrupt(file, "header is not a JSON object");
        long dataStart = 8 + hlen, dataLen = size - dataStart;
        Map<String, String> meta = new LinkedHashMap<>();
        Map<String, float[]> tensors = new LinkedHashMap<>();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                v.fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            String dtype = v.path("dtype").asText("");
            int bytes = switch (dtype) {
                case "F32" -> 4;
                case "F16" -> 2;
                default -> throw corrupt(file, "tensor " + name + " has dtype '" + dtype + "'; supported: F32, F16");
            };
            JsonNode sh = v.path("shape"), off = v.path("data_offsets");
            if (!sh.isArray() || !off.isArray() || off.size() != 2) throw corrupt(file, "tensor " + name + " lacks shape or data_offsets");
            int[] shape = new int[sh.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                long d = sh.get(i).asLong(-1);
                if (d < 0 || d > Integer.MAX_VALUE) throw corrupt(file, "tensor " + name + " has a bad dimension " + sh.get(i));
                shape[i] = (int) d;
                count *= d;
            }
            long b = off.get(0).asLong(-1), en = off.get(1).asLong(-1);
            if (b < 0 || en < b || en > dataLen)
                throw corrupt(file, "tensor " + name + " data " + b + ".." + en + " lies outside the " + dataLen + " data bytes (truncated file?)");
            if (en - b != count * bytes)
                throw corrupt(file, "tensor " + name + " has " + (en - b) + " bytes for shape " + java.util.Arrays.toString(shape) + " of " + dtype);
            ranges.add(new long[] {b, en});
            float[] out = new float[(int) count];
            ByteBuffer d = ByteBuffer.wrap(all, (int) (dataStart + b), (int) (en - b)).order(ByteOrder.LITTLE_ENDIAN);
            if (bytes == 4) d.asFloatBuffer().get(out);
            else for (int i = 0; i < out.length; i++) out[i] = Float.float16ToFloat(d.getShort());
            tensors.put(name, out);
            shapes.put(name, shape);
        }
        ranges.sort((x, y) -> Long.compare(x[0], y[0]));
        long expect = 0;
        for (long[] r : ranges) {
            if (r[0] != expect) throw corrupt(file, "tensor data overlaps or leaves a gap at byte " + expect);
            expect = r[1];
        }
        if (expect != dataLen) throw corrupt(file, "file has " + dataLen + " data bytes but the header describes " + expect);
        return new Content(tensors, shapes, meta);
    }

    private static IllegalArgumentException corrupt(String file, String why) {
        return new IllegalArgumentException(file + ": corrupt or unsupported safetensors file: " + why);
    }

    public static String configToJson(NetworkConfig c) {
        try {
            return JSON.writeValueAsString(c);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static NetworkConfig configFromJson(String json) {
        try {
            return JSON.readValue(json, NetworkConfig.class);
        } catch (IOException e) {
            throw new IllegalArgumentException("bad network config JSON: " + e.getMessage(), e);
        }
    }
}
