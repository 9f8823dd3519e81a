package io.jvmm.guest;

import com.google.protobuf.ByteString;
import io.jvmm.api.agent.AgentPorts;
import io.jvmm.api.agent.v1.CloseStdinResponse;
import io.jvmm.api.agent.v1.ContainerRef;
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
import io.jvmm.api.agent.v1.SyncRequest;
import io.jvmm.api.agent.v1.SyncResponse;
import io.jvmm.api.agent.v1.UpdateContainerRequest;
import io.jvmm.api.agent.v1.UpdateContainerResponse;
import io.jvmm.api.agent.v1.WaitProcessResponse;
import io.jvmm.guest.sys.GuestSyscalls;
import io.jvmm.ttrpc.CallContext;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.ResponseSink;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.TtrpcException;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/** The agent's ttrpc service: validates, delegates to the registry, answers. */
final class AgentService {
    static final String VERSION = "0.1.0";
    private static final int SIGTERM = 15;
    private static final int SIGKILL = 9;

    private final ContainerRegistry registry;
    private final HostileGuest hostile;

    AgentService(ContainerRegistry registry, HostileGuest hostile) {
        this.registry = registry;
        this.hostile = hostile;
    }

    /**
     * The service as the agent serves it: registered by name, because checking it against the protobuf
     * descriptor would parse the agent's descriptors (and protobuf's reflection classes) before the first
     * answer, emulated under TCG; {@code AgentServiceTest} checks the same methods against the descriptor.
     */
    ServiceDefinition definition() {
        return definition(ServiceDefinition.builder(AgentPorts.SERVICE));
    }

    ServiceDefinition definition(ServiceDefinition.Builder builder) {
        return builder.unary("Ping", PingRequest.parser(), (ctx, req) -> ping())
                .unary("SetupGuest", SetupGuestRequest.parser(), (ctx, req) -> setup(req))
                .unary("CreateContainer", CreateContainerRequest.parser(), (ctx, req) -> create(req))
                .unary(
                        "StartContainer",
                        ContainerRef.parser(),
                        (ctx, req) -> StartContainerResponse.newBuilder()
                                .setPid(registry.start(req.getContainerId()))
                                .build())
                .unary("ExecProcess", ExecProcessRequest.parser(), (ctx, req) -> exec(req))
                .unary("SignalProcess", SignalProcessRequest.parser(), (ctx, req) -> signal(req))
                .unary("WaitProcess", ProcessRef.parser(), (ctx, req) -> await(req))
                .unary("CloseStdin", ProcessRef.parser(), (ctx, req) -> {
                    registry.get(req.getContainerId())
                            .process(req.getExecId())
                            .stdio
                            .closeStdin();
                    return CloseStdinResponse.getDefaultInstance();
                })
                .unary("ResizePty", ResizePtyRequest.parser(), (ctx, req) -> {
                    if (req.getWidth() == 0
                            || req.getHeight() == 0
                            || req.getWidth() > 65535
                            || req.getHeight() > 65535) {
                        throw Refusal.invalidArgument(
                                "terminal size " + req.getWidth() + "x" + req.getHeight() + " is out of range");
                    }
                    registry.get(req.getProcess().getContainerId())
                            .process(req.getProcess().getExecId())
                            .stdio
                            .resize(req.getWidth(), req.getHeight());
                    return ResizePtyResponse.getDefaultInstance();
                })
                .unary(
                        "ListProcesses",
                        ContainerRef.parser(),
                        (ctx, req) -> ListProcessesResponse.newBuilder()
                                .addAllPids(registry.processes(req.getContainerId()))
                                .build())
                .unary(
                        "ContainerStats",
                        ContainerRef.parser(),
                        (ctx, req) -> CgroupStats.read(registry.get(req.getContainerId()).cgroup))
                .unary("UpdateContainer", UpdateContainerRequest.parser(), (ctx, req) -> {
                    registry.update(req.getContainerId(), req.getResourcesJson().toByteArray());
                    return UpdateContainerResponse.getDefaultInstance();
                })
                .<EventsRequest, GuestEvent>serverStreaming(
                        "Events", EventsRequest.parser(), (ctx, req, out) -> streamEvents(ctx, out))
                .unary("DeleteContainer", ContainerRef.parser(), (ctx, req) -> {
                    registry.delete(req.getContainerId());
                    return DeleteContainerResponse.getDefaultInstance();
                })
                .unary("DeleteProcess", ProcessRef.parser(), (ctx, req) -> {
                    registry.deleteExec(req.getContainerId(), req.getExecId());
                    return DeleteProcessResponse.getDefaultInstance();
                })
                .unary("Sync", SyncRequest.parser(), (ctx, req) -> {
                    GuestSyscalls.sync();
                    if (req.getDropCaches()) {
                        Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
                        Files.writeString(Path.of("/proc/sys/vm/compact_memory"), "1");
                    }
                    return SyncResponse.getDefaultInstance();
                })
                .unary("PowerOff", PowerOffRequest.parser(), (ctx, req) -> powerOff(req))
                .build();
    }

    /** Sends guest events until the caller goes away. */
    private void streamEvents(CallContext ctx, ResponseSink<GuestEvent> out) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(1);
        Consumer<GuestEvent> subscriber = event -> {
            try {
                out.send(event);
            } catch (RuntimeException e) {
                done.countDown();
            }
        };
        ctx.onCancel(done::countDown);
        registry.oomWatcher().subscribe(subscriber);
        try {
            done.await();
        } finally {
            registry.oomWatcher().unsubscribe(subscriber);
        }
    }

    private PingResponse ping() throws IOException {
        double uptime =
                Double.parseDouble(Files.readString(Path.of("/proc/uptime")).split(" ")[0]);
        // No boot_id: the kernel makes it at its first read, and a template saved after that read would give
        // every clone the same one (a clone that reads it first gets its own, from its reseeded CSPRNG).
        return PingResponse.newBuilder()
                .setAgentVersion(VERSION)
                .setUptimeNs((long) (uptime * 1e9))
                .setKernelRelease(
                        Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip())
                .build();
    }

    private SetupGuestResponse setup(SetupGuestRequest req) throws IOException {
        if (req.getTimeUnixNano() > 0) {
            GuestSyscalls.setRealtimeClock(req.getTimeUnixNano());
        }
        if (!req.getHostname().isEmpty()) {
            GuestSyscalls.setHostname(req.getHostname());
        }
        if (!req.getEntropy().isEmpty()) {
            GuestSyscalls.addEntropy(req.getEntropy().toByteArray());
            // Credited entropy alone does not reseed a kernel CSPRNG that is already initialised: clones of
            // one snapshot would read the same /dev/urandom stream until its next periodic reseed
            // (CloneReseedTest shows it with the reseed skipped on request).
            if (!hostile.skipsReseed()) {
                GuestSyscalls.reseedCrng();
            }
        }
        String machineId = newMachineId();
        if (!req.getShareTag().isEmpty()) {
            RestoredGuest.mountShare(req.getShareTag());
        }
        if (!req.getNetwork().isEmpty()) {
            RestoredGuest.configureNetwork(req.getNetwork());
        }
        return SetupGuestResponse.newBuilder().setMachineId(machineId).build();
    }

    /** A fresh machine id from the kernel's CSPRNG, written to /etc/machine-id. */
    private static String newMachineId() throws IOException {
        byte[] id = new byte[16];
        try (var urandom = new FileInputStream("/dev/urandom")) {
            if (urandom.readNBytes(id, 0, id.length) != id.length) {
                throw new IOException("short read from /dev/urandom");
            }
        }
        String hex = HexFormat.of().formatHex(id);
        Files.writeString(Path.of("/etc/machine-id"), hex + "\n");
        return hex;
    }

    private CreateContainerResponse create(CreateContainerRequest req) throws IOException {
        if (req.getConfigJson().isEmpty()) {
            throw Refusal.invalidArgument("config_json must not be empty");
        }
        hostile.holdCreate(req.getContainerId());
        Container c = registry.create(
                req.getContainerId(),
                req.getBundlePath(),
                req.getConfigJson().toByteArray(),
                req.getStdio(),
                new ContainerRegistry.RootDisk(
                        req.getRootfsDiskSerial(), req.getRootfsDiskMount(), req.getVolumeDirsList()));
        return CreateContainerResponse.newBuilder().setPid(c.init.pid()).build();
    }

    private ExecProcessResponse exec(ExecProcessRequest req) throws IOException {
        ByteString spec = req.getProcessJson();
        if (spec.isEmpty()) {
            throw Refusal.invalidArgument("process_json must not be empty");
        }
        GuestProcess p = registry.exec(req.getContainerId(), req.getExecId(), spec.toByteArray(), req.getStdio());
        return ExecProcessResponse.newBuilder().setPid(p.pid()).build();
    }

    private SignalProcessResponse signal(SignalProcessRequest req) throws IOException {
        if (req.getSignal() == 0 || req.getSignal() > 64) {
            throw Refusal.invalidArgument("signal " + req.getSignal() + " is out of range 1-64");
        }
        if (!hostile.garblesMuxOn(req.getSignal())) {
            registry.signal(
                    req.getProcess().getContainerId(), req.getProcess().getExecId(), req.getSignal(), req.getAll());
        }
        return SignalProcessResponse.getDefaultInstance();
    }

    private WaitProcessResponse await(ProcessRef req) throws Exception {
        GuestProcess process = registry.get(req.getContainerId()).process(req.getExecId());
        if (hostile.answersWaitsAtOnce() && !process.hasExited()) {
            hostile.answeredWaitAtOnce();
            throw new TtrpcException(Code.DEADLINE_EXCEEDED, "hostile guest: no exit yet");
        }
        GuestProcess.Exit exit = process.awaitExit();
        return WaitProcessResponse.newBuilder()
                .setExitStatus(exit.status())
                .setExitedAtUnixNano(
                        exit.at().getEpochSecond() * 1_000_000_000L + exit.at().getNano())
                .build();
    }

    private PowerOffResponse powerOff(PowerOffRequest req) {
        powerOff(req.getGraceMs() == 0 ? 2000 : req.getGraceMs());
        return PowerOffResponse.getDefaultInstance();
    }

    /** Stops every container (SIGTERM, SIGKILL after the grace period), syncs and powers the guest off. */
    void powerOff(long grace) {
        Thread.ofPlatform().name("power-off").start(() -> {
            registry.signalAll(SIGTERM);
            long deadline = System.nanoTime() + grace * 1_000_000L;
            while (!registry.allExited() && System.nanoTime() < deadline) {
                sleep(20);
            }
            registry.signalAll(SIGKILL);
            sleep(100); // lets the answer reach the host
            try {
                GuestSyscalls.powerOff();
            } catch (IOException e) {
                System.err.println("jvmm-agent: power off failed: " + e.getMessage());
            }
        });
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
