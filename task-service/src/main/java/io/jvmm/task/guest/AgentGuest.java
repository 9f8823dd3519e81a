package io.jvmm.task.guest;

import io.jvmm.agent.client.AgentClient;
import io.jvmm.agent.client.AgentUnavailableException;
import io.jvmm.agent.client.StdioStream;
import io.jvmm.api.agent.v1.ContainerStatsResponse;
import io.jvmm.api.agent.v1.GuestEvent;
import io.jvmm.api.agent.v1.StdioSpec;
import io.jvmm.api.agent.v1.VolumeDir;
import io.jvmm.api.agent.v1.WaitProcessResponse;
import io.jvmm.task.SandboxObserver;
import io.jvmm.task.TaskException;
import io.jvmm.task.io.StdioConfig;
import io.jvmm.task.process.ExitStatus;
import io.jvmm.ttrpc.TtrpcException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * {@link GuestAgent} over the real agent connection: the one place where the agent's protobuf messages
 * meet the task layer's types, and where the guest's statuses are mapped ({@link GuestErrors}).
 */
public final class AgentGuest implements GuestAgent {
    private static final Logger LOG = LogManager.getLogger(AgentGuest.class);
    private final AgentClient agent;
    private final SandboxObserver observer;

    public AgentGuest(AgentClient agent) {
        this(agent, SandboxObserver.NONE);
    }

    /** {@code observer} hears of every request's round trip (not of the waits for an exit). */
    public AgentGuest(AgentClient agent, SandboxObserver observer) {
        this.agent = agent;
        this.observer = observer;
    }

    @Override
    public int createContainer(String id, byte[] specJson, StdioConfig stdio, RootDisk disk) {
        List<VolumeDir> volumes = disk.volumes().stream()
                .map(v -> VolumeDir.newBuilder()
                        .setPath(v.path())
                        .setMode(v.mode())
                        .build())
                .toList();
        return call(
                "CreateContainer",
                () -> agent.createContainer(id, "", specJson, spec(stdio), disk.serial(), disk.mount(), volumes));
    }

    @Override
    public void startContainer(String id) {
        call("StartContainer", () -> agent.startContainer(id));
    }

    @Override
    public int exec(String id, String execId, byte[] processJson, StdioConfig stdio) {
        return call("ExecProcess", () -> agent.exec(id, execId, processJson, spec(stdio)));
    }

    @Override
    public void signal(String id, String execId, int signal, boolean all) {
        run("SignalProcess", () -> agent.signal(id, execId, signal, all));
    }

    @Override
    public ExitStatus waitProcess(String id, String execId, Duration timeout) {
        // Not observed: its time is the process's, not the agent's.
        WaitProcessResponse r = mapped("WaitProcess", () -> agent.waitProcess(id, execId, timeout));
        return new ExitStatus(r.getExitStatus(), Instant.ofEpochSecond(0, r.getExitedAtUnixNano()));
    }

    @Override
    public void resizePty(String id, String execId, int width, int height) {
        run("ResizePty", () -> agent.resizePty(id, execId, width, height));
    }

    @Override
    public List<Integer> listProcesses(String id) {
        return call("ListProcesses", () -> agent.listProcesses(id));
    }

    @Override
    public ContainerStats stats(String id) {
        return toStats(call("ContainerStats", () -> agent.stats(id)));
    }

    @Override
    public ContainerStats stats(String id, Duration timeout) {
        return toStats(call("ContainerStats", () -> agent.stats(id, timeout)));
    }

    private static ContainerStats toStats(ContainerStatsResponse s) {
        return new ContainerStats(
                s.getPidsCurrent(),
                s.getPidsLimit(),
                s.getCpuUsageUsec(),
                s.getCpuUserUsec(),
                s.getCpuSystemUsec(),
                s.getCpuNrPeriods(),
                s.getCpuNrThrottled(),
                s.getCpuThrottledUsec(),
                s.getMemoryUsage(),
                s.getMemoryLimit(),
                s.getMemoryAnon(),
                s.getMemoryFile(),
                s.getMemoryOomKills());
    }

    @Override
    public void updateContainer(String id, byte[] resourcesJson) {
        run("UpdateContainer", () -> agent.updateContainer(id, resourcesJson));
    }

    @Override
    public void deleteContainer(String id) {
        run("DeleteContainer", () -> agent.deleteContainer(id));
    }

    @Override
    public void deleteProcess(String id, String execId) {
        run("DeleteProcess", () -> agent.deleteProcess(id, execId));
    }

    @Override
    public StdioStream openStdio(StdioStream.Kind kind, String id, String execId) throws IOException {
        return agent.openStdio(kind, id, execId);
    }

    @Override
    public void onOom(Consumer<String> listener) {
        var call = agent.events();
        Thread.ofPlatform().daemon(true).name("guest-events").start(() -> {
            try {
                for (Optional<GuestEvent> e = call.receive(); e.isPresent(); e = call.receive()) {
                    if (e.get().hasOom()) {
                        listener.accept(e.get().getContainerId());
                    }
                }
            } catch (RuntimeException e) {
                LOG.debug("guest event stream ended: {}", e.getMessage());
            }
        });
    }

    private static StdioSpec spec(StdioConfig stdio) {
        return StdioSpec.newBuilder()
                .setStdin(stdio.hasStdin())
                .setStdout(stdio.hasStdout())
                .setStderr(stdio.hasStderr())
                .setTerminal(stdio.terminal())
                .build();
    }

    private <T> T call(String method, Supplier<T> call) {
        long begin = System.nanoTime();
        boolean ok = false;
        try {
            T answer = mapped(method, call);
            ok = true;
            return answer;
        } finally {
            observer.agentCall(method, ok, System.nanoTime() - begin);
        }
    }

    private static <T> T mapped(String method, Supplier<T> call) {
        try {
            return call.get();
        } catch (TtrpcException e) {
            throw GuestErrors.map(method, e);
        } catch (AgentUnavailableException e) {
            throw TaskException.unavailable(e.getMessage(), e);
        }
    }

    private void run(String method, Runnable call) {
        call(method, () -> {
            call.run();
            return null;
        });
    }
}
