package io.pam.train;

import io.pam.net.Op;
import io.pam.spi.TrainingOps;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Wall time per kind of op, for finding where a backend's training step goes: wraps any
 * {@link TrainingOps} so that every call is followed by {@link TrainingOps#synchronize()} and
 * timed. Convolutions are told apart by geometry (depthwise, 1x1, k x k, stride). Synchronising
 * after every op removes the overlap of host and device work, so the total is an upper bound of
 * the step time; use it for shares, not for speed.
 */
final class OpProfile {
    private final Map<String, long[]> nanosAndCalls = new HashMap<>();

    /** The wrapped ops (same backend, same types). */
    @SuppressWarnings("unchecked")
    <T extends io.pam.net.Nchw, P> TrainingOps<T, P> wrap(TrainingOps<T, P> ops) {
        return (TrainingOps<T, P>) Proxy.newProxyInstance(TrainingOps.class.getClassLoader(), new Class<?>[] {TrainingOps.class},
                (proxy, m, args) -> {
                    long t0 = System.nanoTime();
                    try {
                        Object r = m.invoke(ops, args);
                        if (!m.getName().equals("close")) ops.synchronize();
                        long[] e = nanosAndCalls.computeIfAbsent(key(m.getName(), args), k -> new long[2]);
                        e[0] += System.nanoTime() - t0;
                        e[1]++;
                        return r;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static String key(String method, Object[] args) {
        if (args != null)
            for (Object a : args)
                if (a instanceof Op.Conv c) {
                    String kind = c.groups() > 1 && c.groups() == c.inC() ? "depthwise " + c.kernel() + "x" + c.kernel()
                            : c.kernel() + "x" + c.kernel() + (c.groups() > 1 ? " grouped" : "");
                    return method + " " + kind + (c.stride() > 1 ? " stride " + c.stride() : "");
                }
        return method;
    }

    void clear() {
        nanosAndCalls.clear();
    }

    /** The {@code top} most expensive kinds, with their share of the profiled time. */
    List<String> report(int top) {
        long total = nanosAndCalls.values().stream().mapToLong(e -> e[0]).sum();
        List<Map.Entry<String, long[]>> l = new ArrayList<>(nanosAndCalls.entrySet());
        l.sort((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]));
        List<String> r = new ArrayList<>();
        for (Map.Entry<String, long[]> e : l.subList(0, Math.min(top, l.size())))
            r.add(String.format(Locale.ROOT, "%-34s %8.1f ms %5.1f%% (%d calls)", e.getKey(), e.getValue()[0] / 1e6,
                    100.0 * e.getValue()[0] / Math.max(total, 1), e.getValue()[1]));
        r.add(String.format(Locale.ROOT, "%-34s %8.1f ms", "total (synchronised)", total / 1e6));
        return r;
    }
}
