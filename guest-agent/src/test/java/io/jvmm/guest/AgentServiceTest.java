package io.jvmm.guest;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.api.agent.AgentPorts;
import io.jvmm.api.agent.v1.AgentProto;
import io.jvmm.ttrpc.ServiceDefinition;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AgentServiceTest {
    @TempDir
    Path state;

    private AgentService service() throws IOException {
        Crun crun = new Crun(
                Path.of("/nonexistent/crun"), state.resolve("crun"), state.resolve("logs"), Subreaper.start(() -> {}));
        return new AgentService(new ContainerRegistry(state, crun, 0), HostileGuest.fromKernelArgs(List.of()));
    }

    /**
     * The agent registers its methods by name (no descriptors parsed before its first answer); the same
     * registration checked against the protobuf service finds a missing method, a wrong streaming kind or
     * a wrong request type here instead.
     */
    @Test
    void theServedMethodsAreExactlyTheProtoServicesWithTheirKindsAndRequestTypes() throws IOException {
        ServiceDefinition checked = service()
                .definition(ServiceDefinition.builder(AgentProto.getDescriptor().findServiceByName("Agent")));
        ServiceDefinition served = service().definition();
        assertThat(served.name()).isEqualTo(checked.name()).isEqualTo(AgentPorts.SERVICE);
        assertThat(served.methods().keySet()).isEqualTo(checked.methods().keySet());
        served.methods()
                .forEach((name, method) -> assertThat(method.kind())
                        .isEqualTo(checked.methods().get(name).kind()));
    }
}
