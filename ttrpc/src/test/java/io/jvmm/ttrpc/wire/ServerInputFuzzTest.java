package io.jvmm.ttrpc.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.testing.InteropService;
import io.jvmm.ttrpc.transport.ServerConnection;
import io.jvmm.ttrpc.transport.ServerRuntime;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Fuzzes what a client can send: arbitrary bytes, cut at arbitrary places, into the frame decoder and
 * the server's connection handler. Any exception that escapes the pipeline, any malformed frame the
 * server writes back, and (through the leak checker) any unreleased buffer fails the run. Surefire
 * sets JAZZER_FUZZ=1, so this fuzzes for maxDuration instead of only replaying the corpus.
 */
class ServerInputFuzzTest {
    private static final ServiceDefinition SERVICE = safeSubset(InteropService.definition());

    /** Handlers run only after the input is consumed and the connection is closed, so none can block the fuzzer. */
    static final class DeferredExecutor extends AbstractExecutorService {
        final List<Runnable> tasks = new ArrayList<>();

        @Override
        public void execute(Runnable command) {
            tasks.add(command);
        }

        void runAll() {
            for (int i = 0; i < tasks.size(); i++) {
                tasks.get(i).run();
            }
            tasks.clear();
        }

        @Override
        public void shutdown() {}

        @Override
        public List<Runnable> shutdownNow() {
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public boolean isTerminated() {
            return false;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }
    }

    @FuzzTest(maxDuration = "30s")
    void serverSurvivesAnyInput(FuzzedDataProvider data) {
        DeferredExecutor executor = new DeferredExecutor();
        EmbeddedChannel channel = new EmbeddedChannel(
                new FrameDecoder(),
                new ServerConnection(new ServerRuntime(Map.of(SERVICE.name(), SERVICE), executor, false)));
        while (data.remainingBytes() > 0) {
            int chunk = data.consumeInt(1, 512);
            channel.writeInbound(PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(data.consumeBytes(chunk)));
        }
        channel.close();
        executor.runAll();
        channel.runPendingTasks();
        checkOutbound(channel);
        channel.finishAndReleaseAll();
    }

    private static void checkOutbound(EmbeddedChannel channel) {
        for (Object o = channel.readOutbound(); o != null; o = channel.readOutbound()) {
            assertThat(o).isInstanceOf(Frame.class);
            Frame f = (Frame) o;
            try {
                assertThat(f.type()).isIn(MessageType.RESPONSE, MessageType.DATA);
                assertThat(f.dataLength()).isLessThanOrEqualTo(WireLimits.MAX_DATA_LENGTH);
            } finally {
                f.release();
            }
        }
    }

    /** Everything but Sleep (which would only waste fuzzing time) and Sized (which allocates what it is told). */
    private static ServiceDefinition safeSubset(ServiceDefinition full) {
        ServiceDefinition.Builder builder = ServiceDefinition.builder(full.name());
        full.methods().forEach((name, method) -> {
            if (!name.equals("Sleep") && !name.equals("Sized")) {
                builder.add(method);
            }
        });
        return builder.build();
    }
}
