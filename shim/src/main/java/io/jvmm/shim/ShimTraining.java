package io.jvmm.shim;

import com.google.protobuf.Empty;
import io.jvmm.api.containerd.events.ttrpc.ForwardRequest;
import io.jvmm.api.containerd.task.v3.ConnectRequest;
import io.jvmm.api.containerd.task.v3.ConnectResponse;
import io.jvmm.api.containerd.task.v3.StateRequest;
import io.jvmm.api.containerd.task.v3.StateResponse;
import io.jvmm.shim.cli.BootstrapAnswer;
import io.jvmm.shim.cli.GroupId;
import io.jvmm.shim.cli.ShimFlags;
import io.jvmm.shim.cli.SocketAddress;
import io.jvmm.shim.events.EventPublisher;
import io.jvmm.task.TaskService;
import io.jvmm.task.event.TaskEvent;
import io.jvmm.task.ttrpc.TaskEndpoint;
import io.jvmm.ttrpc.CallOptions;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.TtrpcClient;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.TtrpcServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The training run behind the shim's AOT cache (JDK 25, built by packaging/shim/install.sh): the code
 * paths of {@code start} and of a serving shim, with no containerd and no VM, in a temporary directory.
 * The JVM records what they load and link, and later shims start from that instead of the jars.
 */
final class ShimTraining {
    private ShimTraining() {
    }

    static int run(Path config) throws IOException {
        Path dir = Files.createTempDirectory("jvmm-shim-training");
        try {
            Files.writeString(dir.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"true\"]}}");
            ShimFlags flags = ShimFlags.parse(List.of("-namespace", "training", "-address", dir.resolve("c.sock").toString(),
                    "-publish-binary", "/bin/true", "-id", "t1", "start"));
            Path socket = SocketAddress.socketPath(dir, flags.address(), flags.namespace(), GroupId.of(dir, flags.id()));
            BootstrapAnswer.forVersion(BootstrapAnswer.parseVersion("containerd x v2.1.0 y"), SocketAddress.uri(socket));
            BootstrapAnswer.bootstrapParams(new byte[0], flags.id(), flags.namespace());
            RuntimeConfig.load(config).settings();
            serveOnce(dir, socket);
            return 0;
        } finally {
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static void serveOnce(Path dir, Path socket) throws IOException {
        try (TtrpcServer events = TtrpcServer.builder().addService(ServiceDefinition.builder("containerd.services.events.ttrpc.v1.Events")
                .unary("Forward", ForwardRequest.parser(), (ctx, r) -> Empty.getDefaultInstance()).build()).bind(dir.resolve("t.sock"))) {
            EventPublisher publisher = new EventPublisher(dir.resolve("t.sock"), "training");
            TaskService tasks = new TaskService("training", () -> {
                throw new IOException("no sandbox while training");
            }, publisher);
            TtrpcServer.Builder builder = TtrpcServer.builder().requireSameUser(true);
            new TaskEndpoint(tasks, () -> { }).definitions().forEach(builder::addService);
            try (TtrpcServer server = builder.bind(socket); TtrpcClient client = TtrpcClient.connect(socket)) {
                CallOptions call = CallOptions.withTimeout(Duration.ofSeconds(10));
                client.unary(TaskEndpoint.V3, "Connect", ConnectRequest.newBuilder().setId("t1").build(), ConnectResponse.parser(), call);
                try {
                    client.unary(TaskEndpoint.V3, "State", StateRequest.newBuilder().setId("t1").build(), StateResponse.parser(), call);
                } catch (TtrpcException expected) {
                    // NOT_FOUND: the error path is part of what a shim runs
                }
            }
            publisher.publish(new TaskEvent.Started("t1", 1));
            publisher.close(Duration.ofSeconds(5));
            tasks.close();
        }
    }
}
