package io.jvmm.e2e.containerd;

import io.jvmm.api.containerd.task.v3.ConnectRequest;
import io.jvmm.api.containerd.task.v3.ConnectResponse;
import io.jvmm.ttrpc.CallOptions;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.TtrpcClient;
import io.jvmm.ttrpc.TtrpcException;
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
