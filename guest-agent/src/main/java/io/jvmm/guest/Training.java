package io.jvmm.guest;

import io.jvmm.api.agent.AgentPorts;
import io.jvmm.api.agent.v1.ContainerRef;
import io.jvmm.api.agent.v1.PingRequest;
import io.jvmm.api.agent.v1.PingResponse;
import io.jvmm.api.agent.v1.StartContainerResponse;
import io.jvmm.sys.UnixListener;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.plain.PlainClient;
import io.jvmm.ttrpc.plain.PlainServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The AOT-cache training run (packaging/guest/build-runtime.sh, on the host): the agent starts as in
 * the guest, then serves a few calls over a unix socket so the request path's classes are recorded
 * too, and exits; the JVM writes the cache at exit.
 */
final class Training {
    private Training() {}

    static void exercise(ServiceDefinition service) throws Exception {
        Path dir = Files.createTempDirectory("jvmm-agent-training");
        Path socket = dir.resolve("t.sock");
        try (PlainServer server = PlainServer.serve(UnixListener.bind(socket, 4), "training", List.of(service));
                PlainClient client = PlainClient.over(UnixListener.connect(socket))) {
            Duration timeout = Duration.ofSeconds(10);
            for (int i = 0; i < 20; i++) {
                client.unary(
                        AgentPorts.SERVICE, "Ping", PingRequest.getDefaultInstance(), PingResponse.parser(), timeout);
                try {
                    client.unary(
                            AgentPorts.SERVICE,
                            "StartContainer",
                            ContainerRef.newBuilder().setContainerId("none").build(),
                            StartContainerResponse.parser(),
                            timeout);
                } catch (TtrpcException expected) {
                    // the error path is part of what the cache should know
                }
            }
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(dir);
        }
    }
}
