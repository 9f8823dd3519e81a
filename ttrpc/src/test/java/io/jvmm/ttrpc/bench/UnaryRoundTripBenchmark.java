package io.jvmm.ttrpc.bench;

import com.google.protobuf.BytesValue;
import io.jvmm.ttrpc.CallOptions;
import io.jvmm.ttrpc.TtrpcClient;
import io.jvmm.ttrpc.TtrpcServer;
import io.jvmm.ttrpc.testing.ClientScenarios;
import io.jvmm.ttrpc.testing.InteropService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/** A unary Echo call Java to Java over a real unix socket, in one process. */
@State(Scope.Benchmark)
@BenchmarkMode({Mode.AverageTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class UnaryRoundTripBenchmark {
    @Param({"64", "1024"})
    public int size;

    private Path dir;
    private TtrpcServer server;
    private TtrpcClient client;
    private BytesValue payload;

    @Setup
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("jvmm-jmh");
        server = TtrpcServer.builder().addService(InteropService.definition()).bind(dir.resolve("s.sock"));
        client = TtrpcClient.connect(server.socketPath());
        payload = BytesValue.of(ClientScenarios.pattern(size));
    }

    @TearDown
    public void tearDown() throws Exception {
        client.close();
        server.shutdown(Duration.ofSeconds(1));
        Files.deleteIfExists(dir);
    }

    @Benchmark
    public BytesValue echo() {
        return client.unary(InteropService.NAME, "Echo", payload, BytesValue.parser(), CallOptions.DEFAULT);
    }
}
