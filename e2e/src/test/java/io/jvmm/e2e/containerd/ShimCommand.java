package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.Empty;
import io.jvmm.api.containerd.task.v3.ConnectRequest;
import io.jvmm.api.containerd.task.v3.ConnectResponse;
import io.jvmm.api.containerd.task.v3.ShutdownRequest;
import io.jvmm.e2e.Leftovers;
import io.jvmm.ttrpc.CallOptions;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.TtrpcClient;
import io.jvmm.ttrpc.TtrpcException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** A shim binary run by hand the way containerd runs it, and its server's first answer. */
final class ShimCommand {
    private ShimCommand() {}

    /** {@code <shim> -namespace .. -address .. -publish-binary .. -id .. <tail>}, containerd's order. */
    static List<String> of(
            Path shim, String namespace, Path containerdSocket, String publishBinary, String id, String... tail) {
        List<String> command = new ArrayList<>(List.of(
                shim.toString(),
                "-namespace",
                namespace,
                "-address",
                containerdSocket.toString(),
                "-publish-binary",
                publishBinary,
                "-id",
                id));
        command.addAll(List.of(tail));
        return command;
    }

    /** Asks the server on {@code socket} to shut down; one that exits while answering closes the connection first. */
    static void shutdown(Path socket, String id, Duration timeout) throws IOException {
        try (TtrpcClient client = TtrpcClient.connect(socket)) {
            client.unary(
                    "containerd.task.v3.Task",
                    "Shutdown",
                    ShutdownRequest.newBuilder().setId(id).build(),
                    Empty.parser(),
                    CallOptions.withTimeout(timeout));
        } catch (TtrpcException e) {
            // the server's answer or its going away: either way it is shutting down
        }
    }

    /**
     * What a start whose server cannot come up leaves: a call already waiting on {@code socket} fails (never
     * succeeds), then the socket and its start lock go, and so does every process that names the socket.
     */
    static void assertAbandoned(Path socket, String id) throws Exception {
        assertThatThrownBy(() -> {
                    try (TtrpcClient waiting = TtrpcClient.connect(socket)) {
                        waiting.unary(
                                "containerd.task.v3.Task",
                                "Connect",
                                ConnectRequest.newBuilder().setId(id).build(),
                                ConnectResponse.parser(),
                                CallOptions.withTimeout(Duration.ofSeconds(300)));
                    }
                })
                .isInstanceOfAny(TtrpcException.class, IOException.class);
        Path lock = socket.resolveSibling(socket.getFileName() + ".lock");
        for (int i = 0; i < 600 && (Files.exists(socket) || Files.exists(lock)); i++) {
            Thread.sleep(100);
        }
        assertThat(socket).doesNotExist();
        assertThat(lock).doesNotExist();
        // The server removes its files, then its JVM exits: a moment later, not at the same instant.
        for (int i = 0;
                i < 100 && !Leftovers.processesMentioning(socket.toString()).isEmpty();
                i++) {
            Thread.sleep(100);
        }
        assertThat(Leftovers.processesMentioning(socket.toString())).isEmpty();
    }

    /**
     * A Task v3 Connect for {@code id} on {@code socket}, containerd's first call after start: any status is
     * the server's answer; a connection that ends or a deadline that passes is none (IllegalStateException).
     */
    static void connect(Path socket, String id, Duration timeout) throws Exception {
        try (TtrpcClient client = TtrpcClient.connect(socket)) {
            client.unary(
                    "containerd.task.v3.Task",
                    "Connect",
                    ConnectRequest.newBuilder().setId(id).build(),
                    ConnectResponse.parser(),
                    CallOptions.withTimeout(timeout));
        } catch (TtrpcException e) {
            if (e.code() == Code.UNAVAILABLE || e.code() == Code.DEADLINE_EXCEEDED) {
                throw new IllegalStateException(socket + " did not answer: " + e.getMessage(), e);
            }
        }
    }
}
