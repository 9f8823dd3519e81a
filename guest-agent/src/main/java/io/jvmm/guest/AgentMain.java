package io.jvmm.guest;

import io.jvmm.api.agent.AgentPorts;
import io.jvmm.guest.sys.GuestSyscalls;
import io.jvmm.sys.VsockListener;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.plain.PlainServer;
import io.jvmm.ttrpc.proto.Request;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/** The guest agent: the container supervisor inside the VM, serving the host over vsock. */
public final class AgentMain {
    /** How long the agent waits for init to load the guest's devices (~0.3 s under TCG). */
    private static final Duration DEVICES_TIMEOUT = Duration.ofSeconds(30);

    /** How long the agent waits for its prctl before it gives up (~0.5 s under TCG). */
    private static final Duration SUBREAPER_TIMEOUT = Duration.ofSeconds(60);
    /** The start of the agent's second time-line line (scripts/bench-vm.sh prints it). */
    public static final String SUBREAPER_LINE = "subreaper";

    private AgentMain() {}

    /**
     * The agent's servers: on the virtio-serial port's mux when the VM has one (the snapshot layout has no
     * vsock device), else on vsock. Either waits for the subreaper thread's linking of FFM at its first
     * system call (vsock's bind; the mux's socketpairs when the host opens a stream).
     */
    private static PlainServer serve(
            ServiceDefinition definition, ContainerRegistry registry, int control, int stdio, HostileGuest hostile)
            throws IOException {
        var serialPort = SerialAgentPort.find();
        if (serialPort.isPresent()) {
            return SerialAgentPort.serve(serialPort.get(), definition, registry, control, stdio, hostile);
        }
        StdioServer.start(registry, stdio);
        // The plain server, not Netty's: ~480 fewer classes to load before the first answer.
        return PlainServer.serve(VsockListener.bind(control, 128), "vsock port " + control, List.of(definition));
    }

    private static List<String> kernelArgs() {
        try {
            return List.of(Files.readString(Path.of("/proc/cmdline")).strip().split("\\s+"));
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * Start-up is CPU-bound, and under TCG every instruction of it is emulated. Initialising protobuf's
     * runtime and ttrpc's Request message (which the first call needs) depends on nothing else this agent
     * sets up, so a thread of its own does it meanwhile (the guest has two vCPUs; the subreaper's prctl has
     * another); class initialisation is synchronised, so the main thread waits for it where it needs it. A
     * failure here is left for that use to report.
     */
    private static void warmUpInBackground() {
        Thread.ofPlatform().name("agent-warm-up").daemon(true).start(() -> {
            try {
                Request.getDefaultInstance();
            } catch (Throwable t) {
                // reported where the agent uses them
            }
        });
    }

    /** The guest kernel's uptime, for the start-up time-line (kernel and init before the JVM, the JVM, main). */
    private static String guestUptime() {
        try {
            return Files.readString(Path.of("/proc/uptime")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    /**
     * With {@code jvmm.jvm_classes} on the kernel command line, init logs the JVM's class loading to the
     * file this property names (scripts/bench-vm.sh counts the classes loaded before the first answer).
     */
    private static String classesLoaded() {
        String log = System.getProperty("jvmm.agent.classLog");
        if (log == null) {
            return "";
        }
        try (var lines = Files.lines(Path.of(log))) {
            return ", classes loaded "
                    + lines.filter(l -> l.contains("class,load")).count();
        } catch (IOException | UncheckedIOException e) {
            return ", classes loaded ?";
        }
    }

    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        warmUpInBackground();
        Subreaper subreaper = Subreaper.start(GuestSyscalls::becomeSubreaper);
        Path state = Path.of(System.getProperty("jvmm.agent.state", "/run/jvmm"));
        Crun crun = new Crun(
                Path.of(System.getProperty("jvmm.agent.crun", "/usr/bin/crun")),
                Path.of("/run/crun"),
                state.resolve("crun-logs"),
                subreaper);
        HostileGuest hostile = HostileGuest.fromKernelArgs(kernelArgs());
        ContainerRegistry registry =
                new ContainerRegistry(state, crun, hostile.floodsOom() ? HostileGuest.OOM_EVENTS : 0);
        // Creation holds the registry's lock until the new pid is registered: the reaper waits for it.
        new OrphanReaper(registry, registry::ownsProcess, Duration.ofSeconds(1))
                .start(Duration.ofSeconds(1), Duration.ofSeconds(30));
        int control = Integer.getInteger("jvmm.agent.port", AgentPorts.CONTROL);
        int stdio = Integer.getInteger("jvmm.agent.stdioPort", AgentPorts.STDIO);
        Duration devicesWait = DevicesReady.await(DevicesReady.marker(), DEVICES_TIMEOUT);
        long prepared = System.nanoTime();
        AgentService service = new AgentService(registry, hostile);
        ServiceDefinition definition = service.definition();
        PlainServer server = serve(definition, registry, control, stdio, hostile);
        if (!kernelArgs().contains("jvmm.ignore_power_button")) {
            PowerButton.watch(() -> service.powerOff(2000));
        }
        long jvmUptime = ProcessHandle.current()
                .info()
                .startInstant()
                .map(t -> Duration.between(t, Instant.now()).toMillis())
                .orElse(-1L);
        System.out.printf(
                "jvmm-agent %s " + AgentPorts.READY_ANNOUNCEMENT
                        + " %d/%d: JVM up %d ms, main %d ms (setup %d ms, of which waiting for devices %d ms;"
                        + " servers %d ms); guest up %s s%s%n",
                AgentService.VERSION,
                control,
                stdio,
                jvmUptime,
                (System.nanoTime() - start) / 1_000_000,
                (prepared - start) / 1_000_000,
                devicesWait.toMillis(),
                (System.nanoTime() - prepared) / 1_000_000,
                guestUptime(),
                classesLoaded());
        System.out.flush();
        // An agent that cannot reap what it starts does not serve on: main throws, and init powers the guest off.
        long linked = subreaper.await(SUBREAPER_TIMEOUT);
        System.out.printf(
                "jvmm-agent %s after %d ms (the first system call, FFM's linking, beside the set-up)%n",
                SUBREAPER_LINE, linked);
        System.out.flush();
        if (Boolean.getBoolean("jvmm.agent.training")) {
            Training.exercise(definition);
            server.shutdown(Duration.ofSeconds(1));
            System.exit(0);
        }
        new CountDownLatch(1).await(); // serves until the VM powers off
        server.close();
    }
}
