package io.jvmm.task.ttrpc;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.jvmm.api.containerd.cgroups.v2.CPUStat;
import io.jvmm.api.containerd.cgroups.v2.MemoryStat;
import io.jvmm.api.containerd.cgroups.v2.Metrics;
import io.jvmm.api.containerd.cgroups.v2.PidsStat;
import io.jvmm.api.containerd.sandbox.v1.CreateSandboxRequest;
import io.jvmm.api.containerd.sandbox.v1.CreateSandboxResponse;
import io.jvmm.api.containerd.sandbox.v1.PingRequest;
import io.jvmm.api.containerd.sandbox.v1.PingResponse;
import io.jvmm.api.containerd.sandbox.v1.PlatformRequest;
import io.jvmm.api.containerd.sandbox.v1.PlatformResponse;
import io.jvmm.api.containerd.sandbox.v1.SandboxMetricsRequest;
import io.jvmm.api.containerd.sandbox.v1.SandboxMetricsResponse;
import io.jvmm.api.containerd.sandbox.v1.SandboxStatusRequest;
import io.jvmm.api.containerd.sandbox.v1.SandboxStatusResponse;
import io.jvmm.api.containerd.sandbox.v1.ShutdownSandboxRequest;
import io.jvmm.api.containerd.sandbox.v1.ShutdownSandboxResponse;
import io.jvmm.api.containerd.sandbox.v1.StartSandboxRequest;
import io.jvmm.api.containerd.sandbox.v1.StartSandboxResponse;
import io.jvmm.api.containerd.sandbox.v1.StopSandboxRequest;
import io.jvmm.api.containerd.sandbox.v1.StopSandboxResponse;
import io.jvmm.api.containerd.sandbox.v1.WaitSandboxRequest;
import io.jvmm.api.containerd.sandbox.v1.WaitSandboxResponse;
import io.jvmm.api.containerd.types.Metric;
import io.jvmm.api.containerd.types.Platform;
import io.jvmm.api.cri.v1.LinuxContainerResources;
import io.jvmm.api.cri.v1.PodSandboxConfig;
import io.jvmm.task.PodName;
import io.jvmm.task.TaskException;
import io.jvmm.task.pod.SandboxService;
import io.jvmm.task.sandbox.PodResources;
import io.jvmm.task.sandbox.VmSandbox;
import io.jvmm.ttrpc.CallContext;
import io.jvmm.ttrpc.ServiceDefinition;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * containerd's Sandbox service on the wire ({@code containerd.runtime.sandbox.v1.Sandbox}): each request
 * becomes a call on {@link SandboxService}, each result containerd's message. CRI's pod config arrives as
 * the options Any of CreateSandbox and is read here (resources, hostname) so the domain never sees protobuf.
 */
public final class SandboxEndpoint {
    public static final String SERVICE = "containerd.runtime.sandbox.v1.Sandbox";
    static final String POD_CONFIG_URL = "runtime.v1.PodSandboxConfig";

    private final SandboxService sandboxes;
    private final TaskEndpoint.ExitRequest exit;

    public SandboxEndpoint(SandboxService sandboxes, TaskEndpoint.ExitRequest exit) {
        this.sandboxes = sandboxes;
        this.exit = exit;
    }

    public ServiceDefinition definition() {
        return ServiceDefinition.builder(SERVICE)
                .unary("CreateSandbox", CreateSandboxRequest.parser(), (ctx, r) -> create(r))
                .unary("StartSandbox", StartSandboxRequest.parser(), (ctx, r) -> start(r))
                .unary("Platform", PlatformRequest.parser(), (ctx, r) -> platform(r))
                .unary("StopSandbox", StopSandboxRequest.parser(), (ctx, r) -> stop(r))
                .unary("WaitSandbox", WaitSandboxRequest.parser(), this::await)
                .unary("SandboxStatus", SandboxStatusRequest.parser(), (ctx, r) -> status(r))
                .unary("PingSandbox", PingRequest.parser(), (ctx, r) -> {
                    sandboxes.ping(r.getSandboxId());
                    return PingResponse.getDefaultInstance();
                })
                .unary("ShutdownSandbox", ShutdownSandboxRequest.parser(), (ctx, r) -> {
                    sandboxes.shutdown(r.getSandboxId());
                    exit.exitSoon();
                    return ShutdownSandboxResponse.getDefaultInstance();
                })
                .unary("SandboxMetrics", SandboxMetricsRequest.parser(), (ctx, r) -> metrics(r))
                .build();
    }

    private CreateSandboxResponse create(CreateSandboxRequest r) {
        if (r.getBundlePath().isEmpty() || !r.getBundlePath().startsWith("/")) {
            throw TaskException.invalidArgument("bundle path must be absolute, not \"" + r.getBundlePath() + "\"");
        }
        if (!r.getNetnsPath().isEmpty() && !r.getNetnsPath().startsWith("/")) {
            throw TaskException.invalidArgument("netns path must be absolute, not \"" + r.getNetnsPath() + "\"");
        }
        PodSandboxConfig pod = podConfig(r.getOptions());
        LinuxContainerResources res = pod.getLinux().getResources();
        sandboxes.create(new SandboxService.Pod(
                r.getSandboxId(),
                Path.of(r.getBundlePath()),
                r.getNetnsPath(),
                PodResources.of(res.getCpuQuota(), res.getCpuPeriod(), res.getMemoryLimitInBytes()),
                pod.getHostname(),
                pod.getAnnotationsMap(),
                new PodName(pod.getMetadata().getName(), pod.getMetadata().getNamespace())));
        return CreateSandboxResponse.getDefaultInstance();
    }

    /** CRI's pod config when the options carry one; other options (runtimeoptions, none) mean no pod config. */
    static PodSandboxConfig podConfig(Any options) {
        String url = options.getTypeUrl();
        if (!url.equals(POD_CONFIG_URL) && !url.endsWith("/" + POD_CONFIG_URL)) {
            return PodSandboxConfig.getDefaultInstance();
        }
        try {
            return PodSandboxConfig.parseFrom(options.getValue());
        } catch (InvalidProtocolBufferException e) {
            throw TaskException.invalidArgument("options: malformed " + POD_CONFIG_URL + ": " + e.getMessage(), e);
        }
    }

    private StartSandboxResponse start(StartSandboxRequest r) {
        SandboxService.Started s = sandboxes.start(r.getSandboxId());
        return StartSandboxResponse.newBuilder()
                .setPid((int) s.pid())
                .setCreatedAt(TaskEndpoint.timestamp(s.createdAt()))
                .build();
    }

    private PlatformResponse platform(PlatformRequest r) {
        sandboxes.ping(r.getSandboxId());
        // The guest runs the host's architecture (the VM is not emulating another one, even under TCG).
        return PlatformResponse.newBuilder()
                .setPlatform(Platform.newBuilder().setOs("linux").setArchitecture(goArch()))
                .build();
    }

    static String goArch() {
        String arch = System.getProperty("os.arch");
        return switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> arch;
        };
    }

    private StopSandboxResponse stop(StopSandboxRequest r) {
        Optional<Duration> timeout =
                r.getTimeoutSecs() == 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(r.getTimeoutSecs()));
        sandboxes.stop(r.getSandboxId(), timeout);
        return StopSandboxResponse.getDefaultInstance();
    }

    private WaitSandboxResponse await(CallContext ctx, WaitSandboxRequest r) {
        SandboxService.SandboxExit e =
                sandboxes.await(r.getSandboxId(), ctx.timeRemaining(), TaskEndpoint.cancellation(ctx));
        return WaitSandboxResponse.newBuilder()
                .setExitStatus(e.status())
                .setExitedAt(TaskEndpoint.timestamp(e.exitedAt()))
                .build();
    }

    private SandboxStatusResponse status(SandboxStatusRequest r) {
        SandboxService.View v = sandboxes.status(r.getSandboxId(), r.getVerbose());
        SandboxStatusResponse.Builder b = SandboxStatusResponse.newBuilder()
                .setSandboxId(v.id())
                .setPid((int) v.pid())
                .setState(v.state().criName())
                .putAllInfo(v.info())
                .setCreatedAt(TaskEndpoint.timestamp(v.createdAt()));
        v.exit().ifPresent(e -> b.setExitedAt(TaskEndpoint.timestamp(e.exitedAt())));
        return b.build();
    }

    private SandboxMetricsResponse metrics(SandboxMetricsRequest r) {
        SandboxService.Measured measured = sandboxes.metrics(r.getSandboxId());
        VmSandbox.VmStatus vm = measured.vm();
        long user = vm.hostCpuMicros()[0];
        long system = vm.hostCpuMicros()[1];
        Metrics m = Metrics.newBuilder()
                .setPids(PidsStat.newBuilder().setCurrent(measured.guestProcesses()))
                .setCpu(CPUStat.newBuilder()
                        .setUsageUsec(user + system)
                        .setUserUsec(user)
                        .setSystemUsec(system))
                .setMemory(MemoryStat.newBuilder()
                        .setUsage(vm.hostMemoryBytes())
                        .setUsageLimit((long) vm.size().memoryMib() * 1024 * 1024))
                .build();
        return SandboxMetricsResponse.newBuilder()
                .setMetrics(Metric.newBuilder()
                        .setTimestamp(TaskEndpoint.timestamp(Instant.now()))
                        .setId(r.getSandboxId())
                        .setData(Any.newBuilder()
                                .setTypeUrl(TaskEndpoint.METRICS_URL)
                                .setValue(m.toByteString())))
                .build();
    }
}
