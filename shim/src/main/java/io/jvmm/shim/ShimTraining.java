package io.jvmm.shim;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import io.jvmm.api.containerd.bootstrap.BootstrapParams;
import io.jvmm.api.containerd.events.ttrpc.ForwardRequest;
import io.jvmm.api.containerd.runtimeoptions.v1.Options;
import io.jvmm.api.containerd.sandbox.v1.SandboxStatusRequest;
import io.jvmm.api.containerd.sandbox.v1.SandboxStatusResponse;
import io.jvmm.api.containerd.task.v3.ConnectRequest;
import io.jvmm.api.containerd.task.v3.ConnectResponse;
import io.jvmm.api.containerd.task.v3.StateRequest;
import io.jvmm.api.containerd.task.v3.StateResponse;
import io.jvmm.shim.cli.BootstrapAnswer;
import io.jvmm.shim.cli.GroupId;
import io.jvmm.shim.cli.RuntimeOptions;
import io.jvmm.shim.cli.ShimFlags;
import io.jvmm.shim.cli.SocketAddress;
import io.jvmm.shim.events.EventPublisher;
import io.jvmm.task.TaskService;
import io.jvmm.task.event.TaskEvent;
import io.jvmm.task.pod.SandboxService;
import io.jvmm.task.sandbox.SandboxSettings;
import io.jvmm.task.ttrpc.SandboxEndpoint;
import io.jvmm.task.ttrpc.TaskEndpoint;
import io.jvmm.ttrpc.CallOptions;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.TtrpcClient;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.TtrpcServer;
import io.jvmm.vmm.SafeTree;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The training runs behind the shim's AOT caches (JDK 25, built by packaging/shim/install.sh): the code
 * path of {@code start}, and that of a serving shim, each with no containerd and no VM, in a temporary
 * directory. The JVM records what they load and link, and later shims start from that instead of the
 * jars. Three caches, because {@code start} and {@code delete} must be quick and a cache holding the whole
 * server takes longer to map than the few classes they need take to load (an AOT cache's classes are all
 * loaded at start-up, used or not).
 */
final class ShimTraining {
    private ShimTraining() {}

    /** What {@code start} runs: a whole start in a temporary bundle, its server being {@code /bin/true}. */
    static int start() throws IOException {
        // Short: the group's socket goes in it, and a unix socket path has at most 107 bytes.
        Path dir = Files.createTempDirectory("jvmm-t");
        try {
            ShimFlags flags = podBundle(dir, "start");
            new StartAction(flags, dir, dir, List.of("/bin/true")).run(new byte[0], OutputStream.nullOutputStream());
            BootstrapAnswer.forVersion(BootstrapAnswer.parseVersion("containerd x v2.1.0 y"), "unix:///training");
            // What containerd may also send on stdin: CRI's runtime options, or the newest bootstrap parameters.
            RuntimeOptions.configPath(Any.newBuilder()
                    .setTypeUrl("runtimeoptions.v1.Options")
                    .setValue(Options.newBuilder()
                            .setConfigPath("/training.json")
                            .build()
                            .toByteString())
                    .build()
                    .toByteArray());
            byte[] params = BootstrapParams.newBuilder()
                    .setInstanceId("t1")
                    .setNamespace("training")
                    .setContainerdVersion("2.3.0")
                    .build()
                    .toByteArray();
            BootstrapAnswer.bootstrapParams(params, "t1", "training");
            BootstrapAnswer.forBootstrapParams("unix:///training");
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        } finally {
            SafeTree.delete(dir);
        }
    }

    /**
     * What {@code delete} runs in the usual case: a whole delete in a temporary bundle whose server is gone
     * and left nothing. The clean-up after a server that died (mounts, processes, its cgroup: FFM and its
     * ~900 classes of linking) stays out: a cache's classes are all loaded at start-up, and that would cost
     * every delete what only the rare one needs.
     */
    static int delete(Path config) throws IOException {
        Path dir = Files.createTempDirectory("jvmm-t");
        try {
            ShimFlags flags = podBundle(dir, "-bundle", dir.toString(), "delete");
            new DeleteAction(flags, dir, RuntimeConfig.load(config)).run(OutputStream.nullOutputStream());
            return 0;
        } finally {
            SafeTree.delete(dir);
        }
    }

    /**
     * Makes {@code dir} the bundle of a pod's container (its spec names sandbox t1) and answers the flags
     * containerd gives an action on it, {@code tail} last.
     */
    private static ShimFlags podBundle(Path dir, String... tail) throws IOException {
        Files.writeString(
                dir.resolve("config.json"),
                "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"true\"]},"
                        + "\"annotations\":{\"io.kubernetes.cri.sandbox-id\":\"t1\"}}");
        return flags(dir, tail);
    }

    /** The flags containerd gives an action on task t1 whose bundle is {@code dir}, {@code tail} last. */
    private static ShimFlags flags(Path dir, String... tail) {
        List<String> args = new ArrayList<>(List.of(
                "-namespace",
                "training",
                "-address",
                dir.resolve("c.sock").toString(),
                "-publish-binary",
                "/bin/true",
                "-id",
                "t1"));
        args.addAll(List.of(tail));
        return ShimFlags.parse(args);
    }

    /** What a serving shim runs, with no containerd and no VM. */
    static int serve(Path config) throws IOException {
        Path dir = Files.createTempDirectory("jvmm-t");
        try {
            Files.writeString(
                    dir.resolve("config.json"), "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"true\"]}}");
            ShimFlags flags = flags(dir);
            Path socket =
                    SocketAddress.socketPath(dir, flags.address(), flags.namespace(), GroupId.of(dir, flags.id()));
            serveOnce(dir, socket, RuntimeConfig.load(config).settings());
            return 0;
        } finally {
            SafeTree.delete(dir);
        }
    }

    private static void serveOnce(Path dir, Path socket, SandboxSettings settings) throws IOException {
        try (TtrpcServer events = TtrpcServer.builder()
                .addService(ServiceDefinition.builder("containerd.services.events.ttrpc.v1.Events")
                        .unary("Forward", ForwardRequest.parser(), (ctx, r) -> Empty.getDefaultInstance())
                        .build())
                .bind(dir.resolve("t.sock"))) {
            EventPublisher publisher = new EventPublisher(dir.resolve("t.sock"), "training");
            TaskService tasks = new TaskService(
                    "training",
                    () -> {
                        throw new IOException("no sandbox while training");
                    },
                    publisher);
            TtrpcServer.Builder builder = TtrpcServer.builder().requireSameUser(true);
            new TaskEndpoint(tasks, () -> {}).definitions().forEach(builder::addService);
            // The Sandbox service too, as a server registers it: its ~100 request and response classes.
            var sandbox = new SandboxService("t1", tasks);
            builder.addService(new SandboxEndpoint(sandbox, () -> {}).definition());
            // Bound by Netty, not adopted from InheritedListener as a started server's is: that one is made through
            // FFM, whose ~800 classes a server never uses would land in the cache, and a cache's classes are all
            // loaded at start-up (AOT class linking). The adopting code is a handful of classes loaded from the jar.
            try (TtrpcServer server = builder.bind(socket);
                    TtrpcClient client = TtrpcClient.connect(socket)) {
                CallOptions call = CallOptions.withTimeout(Duration.ofSeconds(10));
                client.unary(
                        TaskEndpoint.V3,
                        "Connect",
                        ConnectRequest.newBuilder().setId("t1").build(),
                        ConnectResponse.parser(),
                        call);
                try {
                    client.unary(
                            TaskEndpoint.V3,
                            "State",
                            StateRequest.newBuilder().setId("t1").build(),
                            StateResponse.parser(),
                            call);
                } catch (TtrpcException expected) {
                    // NOT_FOUND: the error path is part of what a shim runs
                }
                try {
                    client.unary(
                            SandboxEndpoint.SERVICE,
                            "SandboxStatus",
                            SandboxStatusRequest.newBuilder().setSandboxId("t1").build(),
                            SandboxStatusResponse.parser(),
                            call);
                } catch (TtrpcException expected) {
                    // no pod here: an error answer is fine
                }
            }
            publisher.publish(new TaskEvent.Started("t1", 1));
            publisher.close(Duration.ofSeconds(5));
            tasks.close();
        }
        // The metrics registry stays out of the cache on purpose: a cache's classes are all loaded at start-up,
        // so Micrometer's would cost every shim, metrics on or off. Measured side by side (bench-shim,
        // 2026-12-07): in the cache, a settled shim held 64.1 MiB with metrics and 63.4 without; out of it,
        // 64.0 and 61.1.
    }
}
