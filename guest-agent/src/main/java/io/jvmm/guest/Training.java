package io.jvmm.guest;

import io.jvmm.api.agent.AgentPorts;
import io.jvmm.api.agent.v1.ContainerRef;
import io.jvmm.api.agent.v1.PingRequest;
import io.jvmm.api.agent.v1.PingResponse;
import io.jvmm.api.agent.v1.StartContainerResponse;
import io.jvmm.mux.MuxEndpoint;
import io.jvmm.mux.StreamMux;
import io.jvmm.sys.UnixListener;
import io.jvmm.sys.VsockStream;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.plain.PlainClient;
import io.jvmm.ttrpc.plain.PlainServer;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The AOT-cache training run (packaging/guest/build-runtime.sh, on the host): the agent starts as in
 * the guest, then serves a few calls over a unix socket and over a stream mux (the agent's channel in
 * VMs without a vsock device: a default lone container's, a template's clones) so the request path's
 * classes are recorded too, and exits; the JVM writes the cache at exit.
 */
final class Training {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private Training() {}

    static void exercise(ServiceDefinition service) throws Exception {
        Path dir = Files.createTempDirectory("jvmm-agent-training");
        Path socket = dir.resolve("t.sock");
        try (PlainServer server = PlainServer.serve(UnixListener.bind(socket, 4), "training", List.of(service));
                PlainClient client = PlainClient.over(UnixListener.connect(socket))) {
            calls(client);
        } finally {
            Files.deleteIfExists(socket);
        }
        try {
            overMux(service, dir.resolve("m.sock"));
        } finally {
            Files.deleteIfExists(dir);
        }
    }

    /**
     * The same calls through a guest mux, as {@link SerialAgentPort} serves them: two pipes stand in for the
     * virtio-serial port, a host mux opens the control port, as the host's bridge does.
     */
    private static void overMux(ServiceDefinition service, Path socket) throws Exception {
        Pipe toGuest = Pipe.open();
        Pipe toHost = Pipe.open();
        try (StreamMux guest = StreamMux.guest(
                        "training",
                        Channels.newInputStream(toGuest.source()),
                        Channels.newOutputStream(toHost.sink()));
                PlainServer server =
                        PlainServer.serve(guest.listen(AgentPorts.CONTROL), "training mux", List.of(service));
                StreamMux host = StreamMux.host(
                        "training",
                        Channels.newInputStream(toHost.source()),
                        Channels.newOutputStream(toGuest.sink()));
                UnixListener listener = UnixListener.bind(socket, 1);
                VsockStream near = UnixListener.connect(socket)) {
            host.open(AgentPorts.CONTROL, MuxEndpoint.of(new VsockStream(listener.accept())), TIMEOUT);
            try (PlainClient client = PlainClient.over(near)) {
                calls(client);
            }
        } finally {
            Files.deleteIfExists(socket);
        }
    }

    private static void calls(PlainClient client) throws Exception {
        for (int i = 0; i < 20; i++) {
            client.unary(AgentPorts.SERVICE, "Ping", PingRequest.getDefaultInstance(), PingResponse.parser(), TIMEOUT);
            try {
                client.unary(
                        AgentPorts.SERVICE,
                        "StartContainer",
                        ContainerRef.newBuilder().setContainerId("none").build(),
                        StartContainerResponse.parser(),
                        TIMEOUT);
            } catch (TtrpcException expected) {
                // the error path is part of what the cache should know
            }
        }
    }
}
