package io.jvmm.api.agent;

/** The guest agent's vsock ports. */
public final class AgentPorts {
    /** ttrpc control service ({@code jvmm.agent.v1.Agent}). */
    public static final int CONTROL = 1024;
    /** Raw stdio streams; see agent.proto for the one-line header. */
    public static final int STDIO = 1025;
    /** Name of the agent service on the control port. */
    public static final String SERVICE = "jvmm.agent.v1.Agent";
    /**
     * What the agent writes on the guest console once both ports listen. The host connects only after
     * seeing it: a CONNECT sent while the guest's vsock device is still coming up was seen to leave
     * vhost-device-vsock answering no CONNECT for that VM ever after.
     */
    public static final String READY_ANNOUNCEMENT = "listening on vsock ports";

    private AgentPorts() {}
}
