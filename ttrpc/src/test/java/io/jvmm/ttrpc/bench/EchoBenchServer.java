package io.jvmm.ttrpc.bench;

import io.jvmm.ttrpc.TtrpcServer;
import io.jvmm.ttrpc.testing.InteropService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/** The Java interop server as a process, for scripts/bench-ttrpc.sh: {@code EchoBenchServer <socket>}. */
public final class EchoBenchServer {
    private EchoBenchServer() {}

    public static void main(String[] args) throws Exception {
        TtrpcServer.Builder builder = TtrpcServer.builder()
                .addService(InteropService.definition(Boolean.getBoolean("jvmm.bench.nonBlockingEcho")));
        // Experiments: compare handler executors with the default (a growing platform thread pool).
        switch (System.getProperty("jvmm.bench.executor", "default")) {
            case "default" -> {}
            case "virtual" -> builder.executor(Executors.newVirtualThreadPerTaskExecutor());
            case "fixed4" -> builder.executor(Executors.newFixedThreadPool(4));
            default -> throw new IllegalArgumentException("jvmm.bench.executor: default | virtual | fixed4");
        }
        TtrpcServer server = builder.bind(Path.of(args[0]));
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown(Duration.ofSeconds(1));
            done.countDown();
        }));
        System.out.println("listening " + args[0]);
        done.await();
    }
}
