package io.jvmm.agent.client;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.jvmm.api.agent.AgentPorts;
import io.jvmm.api.agent.v1.CloseStdinResponse;
import io.jvmm.api.agent.v1.ContainerRef;
import io.jvmm.api.agent.v1.ContainerStatsResponse;
import io.jvmm.api.agent.v1.CreateContainerRequest;
import io.jvmm.api.agent.v1.CreateContainerResponse;
import io.jvmm.api.agent.v1.DeleteContainerResponse;
import io.jvmm.api.agent.v1.DeleteProcessResponse;
import io.jvmm.api.agent.v1.EventsRequest;
import io.jvmm.api.agent.v1.ExecProcessRequest;
import io.jvmm.api.agent.v1.ExecProcessResponse;
import io.jvmm.api.agent.v1.GuestEvent;
import io.jvmm.api.agent.v1.ListProcessesResponse;
import io.jvmm.api.agent.v1.PingRequest;
import io.jvmm.api.agent.v1.PingResponse;
import io.jvmm.api.agent.v1.PowerOffRequest;
import io.jvmm.api.agent.v1.PowerOffResponse;
import io.jvmm.api.agent.v1.ProcessRef;
import io.jvmm.api.agent.v1.ResizePtyRequest;
import io.jvmm.api.agent.v1.ResizePtyResponse;
import io.jvmm.api.agent.v1.SetupGuestRequest;
import io.jvmm.api.agent.v1.SetupGuestResponse;
import io.jvmm.api.agent.v1.SignalProcessRequest;
import io.jvmm.api.agent.v1.SignalProcessResponse;
import io.jvmm.api.agent.v1.StartContainerResponse;
import io.jvmm.api.agent.v1.StdioSpec;
import io.jvmm.api.agent.v1.SyncRequest;
import io.jvmm.api.agent.v1.SyncResponse;
import io.jvmm.api.agent.v1.UpdateContainerRequest;
import io.jvmm.api.agent.v1.UpdateContainerResponse;
import io.jvmm.api.agent.v1.VolumeDir;
import io.jvmm.api.agent.v1.WaitProcessResponse;
import io.jvmm.sys.HybridVsock;
import io.jvmm.ttrpc.CallOptions;
import io.jvmm.ttrpc.ClientCall;
import io.jvmm.ttrpc.MethodKind;
import io.jvmm.ttrpc.TtrpcClient;
import io.jvmm.ttrpc.TtrpcException;
import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The host side of the agent protocol: typed calls over ttrpc on the agent's control port, and raw
 * stdio streams on its stdio port, both through the VM's hybrid vsock socket.
 */
public final class AgentClient implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(AgentClient.class);
    /** Calls that only look or signal: an agent that takes longer than this is stuck. */
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);
    /**
     * Calls that do a container's work in the guest (mount its root, run crun, sync disks): containerd
     * puts no deadline on them, and under emulation with many VMs sharing a few cores a CreateContainer
     * was seen taking 27 s here (20 template clones starting at once on 2 cores), near half of the old
     * 60 s limit; they get more room than the guest gives crun, so crun's own error is what comes back.
     */
    private static final Duration WORK_CALL_TIMEOUT = Duration.ofMinutes(5);

    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(5);

    private final Path vsockSocket;
    private final TtrpcClient ttrpc;

    private AgentClient(Path vsockSocket, TtrpcClient ttrpc) {
        this.vsockSocket = vsockSocket;
        this.ttrpc = ttrpc;
    }

    /**
     * Connects while the guest boots: retries until the agent answers a Ping or the deadline passes.
     * No fixed sleeps: a refused connection is retried after a short, growing pause.
     */
    public static AgentClient connect(Path vsockSocket, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pauseMs = 10;
        Exception last = null;
        while (System.nanoTime() < deadline) {
            Duration left = Duration.ofNanos(deadline - System.nanoTime());
            try {
                // One attempt never takes the whole deadline: a CONNECT the guest never answers (seen once
                // under load, with the agent already listening) is dropped and tried again.
                Duration attempt = left.compareTo(ATTEMPT_TIMEOUT) < 0 ? left : ATTEMPT_TIMEOUT;
                TtrpcClient client = TtrpcClient.connectHybridVsock(vsockSocket, AgentPorts.CONTROL, attempt);
                AgentClient agent = new AgentClient(vsockSocket, client);
                try {
                    agent.ping(Duration.ofMillis(Math.max(1, Math.min(left.toMillis(), 10_000))));
                    return agent;
                } catch (RuntimeException e) {
                    agent.close();
                    last = e;
                }
            } catch (IOException e) {
                last = e;
            }
            LOG.debug("agent on {} not there yet: {}", vsockSocket, last.getMessage());
            sleep(Math.min(pauseMs, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            pauseMs = Math.min(pauseMs * 2, 100);
        }
        throw new AgentUnavailableException(
                "guest agent did not answer on " + vsockSocket + " within " + timeout.toMillis() + " ms"
                        + (last == null ? "" : ": " + last.getMessage()),
                last);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentUnavailableException("interrupted while connecting to the agent", e);
        }
    }

    private <Req extends Message, Resp extends Message> Resp call(
            String method, Req request, Parser<Resp> parser, Duration timeout) {
        try {
            return ttrpc.unary(AgentPorts.SERVICE, method, request, parser, CallOptions.withTimeout(timeout));
        } catch (TtrpcException e) {
            if (!ttrpc.isOpen()) {
                throw new AgentUnavailableException(
                        "agent connection lost during " + method + ": " + e.getMessage(), e);
            }
            throw e;
        }
    }

    public PingResponse ping(Duration timeout) {
        return call("Ping", PingRequest.getDefaultInstance(), PingResponse.parser(), timeout);
    }

    /** Sets the guest's time, hostname and entropy (reseeding its CSPRNG); answers its new machine id. */
    public String setupGuest(long timeUnixNano, String hostname, byte[] entropy) {
        return call(
                        "SetupGuest",
                        SetupGuestRequest.newBuilder()
                                .setTimeUnixNano(timeUnixNano)
                                .setHostname(hostname)
                                .setEntropy(ByteString.copyFrom(entropy))
                                .build(),
                        SetupGuestResponse.parser(),
                        WORK_CALL_TIMEOUT)
                .getMachineId();
    }

    /**
     * The same for a guest restored from a snapshot, whose devices arrived after the restore: it also
     * mounts the virtiofs share {@code shareTag} and configures its card from {@code network}
     * ("<address/prefix>,<gateway>,<mtu>"); either may be empty.
     */
    public String setupRestoredGuest(
            long timeUnixNano, String hostname, byte[] entropy, String shareTag, String network) {
        return call(
                        "SetupGuest",
                        SetupGuestRequest.newBuilder()
                                .setTimeUnixNano(timeUnixNano)
                                .setHostname(hostname)
                                .setEntropy(ByteString.copyFrom(entropy))
                                .setShareTag(shareTag)
                                .setNetwork(network)
                                .build(),
                        SetupGuestResponse.parser(),
                        WORK_CALL_TIMEOUT)
                .getMachineId();
    }

    public int createContainer(String id, String bundlePath, byte[] configJson, StdioSpec stdio) {
        return createContainer(id, bundlePath, configJson, stdio, "");
    }

    /** With {@code rootfsDiskSerial} set, the guest mounts that disk as the container's root (see the proto). */
    public int createContainer(
            String id, String bundlePath, byte[] configJson, StdioSpec stdio, String rootfsDiskSerial) {
        return createContainer(id, bundlePath, configJson, stdio, rootfsDiskSerial, "", List.of());
    }

    /** A pod's container: its disk mounted at {@code rootfsDiskMount}, the pod's guest volumes made first. */
    public int createContainer(
            String id,
            String bundlePath,
            byte[] configJson,
            StdioSpec stdio,
            String rootfsDiskSerial,
            String rootfsDiskMount,
            List<VolumeDir> volumeDirs) {
        return call(
                        "CreateContainer",
                        CreateContainerRequest.newBuilder()
                                .setContainerId(id)
                                .setBundlePath(bundlePath)
                                .setConfigJson(ByteString.copyFrom(configJson))
                                .setStdio(stdio)
                                .setRootfsDiskSerial(rootfsDiskSerial)
                                .setRootfsDiskMount(rootfsDiskMount)
                                .addAllVolumeDirs(volumeDirs)
                                .build(),
                        CreateContainerResponse.parser(),
                        WORK_CALL_TIMEOUT)
                .getPid();
    }

    public int startContainer(String id) {
        return call(
                        "StartContainer",
                        ContainerRef.newBuilder().setContainerId(id).build(),
                        StartContainerResponse.parser(),
                        WORK_CALL_TIMEOUT)
                .getPid();
    }

    public int exec(String id, String execId, byte[] processJson, StdioSpec stdio) {
        return call(
                        "ExecProcess",
                        ExecProcessRequest.newBuilder()
                                .setContainerId(id)
                                .setExecId(execId)
                                .setProcessJson(ByteString.copyFrom(processJson))
                                .setStdio(stdio)
                                .build(),
                        ExecProcessResponse.parser(),
                        WORK_CALL_TIMEOUT)
                .getPid();
    }

    public void signal(String id, String execId, int signal, boolean all) {
        call(
                "SignalProcess",
                SignalProcessRequest.newBuilder()
                        .setProcess(ref(id, execId))
                        .setSignal(signal)
                        .setAll(all)
                        .build(),
                SignalProcessResponse.parser(),
                CALL_TIMEOUT);
    }

    /** Blocks until the process exits and its output is drained, up to {@code timeout}. */
    public WaitProcessResponse waitProcess(String id, String execId, Duration timeout) {
        return call("WaitProcess", ref(id, execId), WaitProcessResponse.parser(), timeout);
    }

    public void closeStdin(String id, String execId) {
        call("CloseStdin", ref(id, execId), CloseStdinResponse.parser(), CALL_TIMEOUT);
    }

    public void resizePty(String id, String execId, int width, int height) {
        call(
                "ResizePty",
                ResizePtyRequest.newBuilder()
                        .setProcess(ref(id, execId))
                        .setWidth(width)
                        .setHeight(height)
                        .build(),
                ResizePtyResponse.parser(),
                CALL_TIMEOUT);
    }

    public List<Integer> listProcesses(String id) {
        return call(
                        "ListProcesses",
                        ContainerRef.newBuilder().setContainerId(id).build(),
                        ListProcessesResponse.parser(),
                        CALL_TIMEOUT)
                .getPidsList();
    }

    public ContainerStatsResponse stats(String id) {
        return stats(id, CALL_TIMEOUT);
    }

    /** The container's cgroup numbers, waiting {@code timeout} at most (the metrics' scrapes wait less). */
    public ContainerStatsResponse stats(String id, Duration timeout) {
        return call(
                "ContainerStats",
                ContainerRef.newBuilder().setContainerId(id).build(),
                ContainerStatsResponse.parser(),
                timeout);
    }

    public void updateContainer(String id, byte[] resourcesJson) {
        call(
                "UpdateContainer",
                UpdateContainerRequest.newBuilder()
                        .setContainerId(id)
                        .setResourcesJson(ByteString.copyFrom(resourcesJson))
                        .build(),
                UpdateContainerResponse.parser(),
                WORK_CALL_TIMEOUT);
    }

    /** Guest events (OOM kills) as they happen; close the returned call to stop. */
    public ClientCall<EventsRequest, GuestEvent> events() {
        return ttrpc.stream(
                AgentPorts.SERVICE,
                "Events",
                MethodKind.SERVER_STREAMING,
                EventsRequest.getDefaultInstance(),
                GuestEvent.parser(),
                CallOptions.DEFAULT);
    }

    public void deleteContainer(String id) {
        call(
                "DeleteContainer",
                ContainerRef.newBuilder().setContainerId(id).build(),
                DeleteContainerResponse.parser(),
                WORK_CALL_TIMEOUT);
    }

    /** Forgets an exited exec process in the guest (its exec id may then be used again). */
    public void deleteProcess(String id, String execId) {
        call("DeleteProcess", ref(id, execId), DeleteProcessResponse.parser(), CALL_TIMEOUT);
    }

    public void sync() {
        call("Sync", SyncRequest.getDefaultInstance(), SyncResponse.parser(), WORK_CALL_TIMEOUT);
    }

    /** Sync, then drop the guest's clean caches and compact its free memory (before a template is saved). */
    public void syncAndShrink() {
        call("Sync", SyncRequest.newBuilder().setDropCaches(true).build(), SyncResponse.parser(), WORK_CALL_TIMEOUT);
    }

    public void powerOff(Duration grace) {
        call(
                "PowerOff",
                PowerOffRequest.newBuilder().setGraceMs((int) grace.toMillis()).build(),
                PowerOffResponse.parser(),
                CALL_TIMEOUT);
    }

    /** Opens one stdio stream of a process; exec id empty for the container's init process. */
    public StdioStream openStdio(StdioStream.Kind kind, String containerId, String execId) throws IOException {
        SocketChannel channel = HybridVsock.connect(vsockSocket, AgentPorts.STDIO, CALL_TIMEOUT);
        try {
            HybridVsock.write(
                    channel,
                    kind.name().toLowerCase(Locale.ROOT) + " " + containerId + " " + (execId.isEmpty() ? "-" : execId)
                            + "\n");
        } catch (IOException e) {
            channel.close();
            throw e;
        }
        return new StdioStream(channel);
    }

    private static ProcessRef ref(String id, String execId) {
        return ProcessRef.newBuilder().setContainerId(id).setExecId(execId).build();
    }

    public boolean isConnected() {
        return ttrpc.isOpen();
    }

    @Override
    public void close() {
        ttrpc.close();
        LOG.debug("agent connection to {} closed", vsockSocket);
    }
}
