package io.jvmm.ttrpc.bench;

import com.google.protobuf.BytesValue;
import io.jvmm.ttrpc.CallOptions;
import io.jvmm.ttrpc.TtrpcClient;
import io.jvmm.ttrpc.testing.ClientScenarios;
import io.jvmm.ttrpc.testing.InteropService;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The Java twin of the Go peer's bench mode: {@code EchoLoad <socket> <callers> <size> <seconds>}.
 * Callers share one connection and send Echo calls back to back; the RESULT line has the same
 * fields as Go's, so scripts/bench-ttrpc.sh can compare them.
 */
public final class EchoLoad {
    private EchoLoad() {}

    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        int callers = Integer.parseInt(args[1]);
        int size = Integer.parseInt(args[2]);
        double seconds = Double.parseDouble(args[3]);
        BytesValue payload = BytesValue.of(ClientScenarios.pattern(size));
        try (TtrpcClient client = TtrpcClient.connect(socket)) {
            runFor(client, payload, callers, 2.0); // JIT warm-up, longer than Go's
            long[] latencies = runFor(client, payload, callers, seconds);
            report(latencies, size, seconds);
        }
        System.exit(0);
    }

    private static long[] runFor(TtrpcClient client, BytesValue payload, int callers, double seconds) throws Exception {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        List<long[]> perCaller = new ArrayList<>();
        List<int[]> counts = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            long[] lat = new long[4_000_000 / callers];
            int[] count = new int[1];
            perCaller.add(lat);
            counts.add(count);
            threads.add(Thread.ofVirtual().start(() -> {
                while (System.nanoTime() < end && count[0] < lat.length) {
                    long t0 = System.nanoTime();
                    client.unary(InteropService.NAME, "Echo", payload, BytesValue.parser(), CallOptions.DEFAULT);
                    lat[count[0]++] = System.nanoTime() - t0;
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        int total = counts.stream().mapToInt(c -> c[0]).sum();
        long[] all = new long[total];
        int at = 0;
        for (int i = 0; i < callers; i++) {
            System.arraycopy(perCaller.get(i), 0, all, at, counts.get(i)[0]);
            at += counts.get(i)[0];
        }
        return all;
    }

    private static void report(long[] latencies, int size, double seconds) {
        Arrays.sort(latencies);
        double calls = latencies.length;
        System.out.printf(
                Locale.ROOT,
                "RESULT calls=%d calls_per_s=%.1f mib_per_s=%.2f p50_us=%.1f p99_us=%.1f%n",
                latencies.length,
                calls / seconds,
                calls * size * 2 / seconds / (1 << 20),
                percentile(latencies, 0.50),
                percentile(latencies, 0.99));
    }

    private static double percentile(long[] sorted, double p) {
        return sorted.length == 0 ? 0 : sorted[(int) (p * (sorted.length - 1))] / 1000.0;
    }
}
