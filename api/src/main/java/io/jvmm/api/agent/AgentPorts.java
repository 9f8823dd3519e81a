package io.jvmm.api.agent;

/** The guest agent's vsock ports. */
public final class AgentPorts {
    /** ttrpc control service ({@code jvmm.agent.v1.Agent}). */
    public static final int CONTROL = 1024;
    /** Raw stdio streams; see agent.proto for the one-line header. */
    public static final int STDIO = 1025;
    /** Name of the agent service on the control port. */
    public static final String SERVICE = "jvmm.agent.v1.Agent";

    private AgentPorts() {
    }
}
