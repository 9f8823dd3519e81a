package io.jvmm.e2e.vm;

import io.jvmm.agent.client.AgentClient;
import io.jvmm.api.agent.AgentPorts;
import io.jvmm.api.agent.v1.StdioSpec;
import io.jvmm.task.sandbox.GuestConnector;
import io.jvmm.vmm.qemu.DeviceSetup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * VM start-up, side by side in one run (scripts/bench-vm.sh): a bare QEMU boot of the same kernel and
 * initrd to a console marker; jvmm's VM start to agent-ready (Ping and SetupGuest answered); and on to a container's exit status.
 * Also the host memory (RSS) of QEMU and its helpers. {@code BootBench <runs>}.
 */
public final class BootBench {
    private BootBench() {}

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        GuestImage image = GuestImage.get();
        List<Double> bare = new ArrayList<>();
        List<Double> ready = new ArrayList<>();
        List<Double> exited = new ArrayList<>();
        List<Double> rssMib = new ArrayList<>();
        List<Double> readyQmp = new ArrayList<>();
        List<String> agentLines = new ArrayList<>();
        List<Double> readyLone = new ArrayList<>();
        List<String> loneLines = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            bare.add(bareBoot(image));
            double[] jvmm = jvmmBoot(DeviceSetup.COMMAND_LINE, "", agentLines);
            ready.add(jvmm[0]);
            exited.add(jvmm[1]);
            rssMib.add(jvmm[2]);
            readyQmp.add(jvmmBoot(DeviceSetup.QMP, "", new ArrayList<>())[0]);
            readyLone.add(checkpointableBoot(loneLines));
        }
        // One more boot, not timed: the JVM logs its class loading, and the agent counts it at readiness.
        List<String> counted = new ArrayList<>();
        jvmmBoot(DeviceSetup.COMMAND_LINE, "jvmm.jvm_classes", counted);
        // And one with the JVM's own start-up phases (-Xlog:startuptime: Genesis, java.lang's
        // initialisation, Create VM), in the JVM's clock, which starts after the launcher loaded libjvm.
        List<String> phases = new ArrayList<>();
        jvmmBoot(DeviceSetup.COMMAND_LINE, "jvmm.jvm_debug", phases);
        System.out.printf(
                Locale.ROOT,
                "RESULT runs=%d bare_s=%.2f agent_ready_s=%.2f container_exit_s=%.2f ready_ratio=%.2f host_rss_mib=%.0f"
                        + " agent_ready_qmp_setup_s=%.2f qmp_vs_cmdline=%.2f agent_ready_snapshot_layout_s=%.2f"
                        + " snapshot_layout_vs_cmdline=%.2f%n",
                runs,
                median(bare),
                median(ready),
                median(exited),
                median(ready) / median(bare),
                median(rssMib),
                median(readyQmp),
                median(readyQmp) / median(ready),
                median(readyLone),
                median(readyLone) / median(ready));
        System.out.println("bare: " + bare + " ready: " + ready + " exit: " + exited + " ready(qmp): " + readyQmp
                + " ready(snapshot layout): " + readyLone);
        // The guest's own time-line at readiness: JVM up (its creation plus main), main, the kernel's uptime.
        agentLines.forEach(l -> System.out.println("agent: " + l));
        loneLines.forEach(l -> System.out.println("agent (snapshot layout): " + l));
        counted.forEach(l -> System.out.println("agent (class count boot): " + l));
        phases.forEach(l -> System.out.println("agent (phases boot): " + l));
        System.exit(0);
    }

    public static double bareBoot(GuestImage image) throws Exception {
        Path console = Files.createTempFile("jvmm-bare", ".log");
        long start = System.nanoTime();
        Process qemu = new ProcessBuilder(
                        "qemu-system-x86_64",
                        "-machine",
                        "q35,accel=tcg",
                        "-cpu",
                        "max",
                        "-smp",
                        "2",
                        "-m",
                        "1024M",
                        "-kernel",
                        image.kernel().toString(),
                        "-initrd",
                        image.initrd().toString(),
                        "-append",
                        "console=ttyS0 quiet panic=-1 jvmm.bare",
                        "-no-reboot",
                        "-nodefaults",
                        "-display",
                        "none",
                        "-serial",
                        "file:" + console)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        try {
            while (!Files.readString(console).contains("JVMM-BARE-BOOT-DONE")) {
                if (!qemu.isAlive() || System.nanoTime() - start > 120e9) {
                    throw new IllegalStateException("bare boot did not reach its marker");
                }
                Thread.sleep(5);
            }
            return (System.nanoTime() - start) / 1e9;
        } finally {
            qemu.destroyForcibly().waitFor();
            Files.deleteIfExists(console);
        }
    }

    /**
     * Seconds to agent-ready and to a container's exit status, and host RSS in MiB at agent-ready; the
     * agent's ready line (its own time-line) is added to {@code agentLines}.
     */
    static double[] jvmmBoot(DeviceSetup setup, String kernelArgs, List<String> agentLines) throws Exception {
        try (TestVm t =
                TestVm.create(GuestImage.get().kernel(), GuestImage.get().initrd(), kernelArgs, setup)) {
            String rootfs = t.rootfs("bench");
            long start = System.nanoTime();
            t.vm.start(TestVm.BOOT_TIMEOUT);
            AgentClient agent = GuestConnector.connect(t.vm, TestVm.BOOT_TIMEOUT);
            t.agent = agent;
            setUp(agent);
            double ready = (System.nanoTime() - start) / 1e9;
            double rss = t.vm.hostMemoryBytes() / 1048576.0;
            readyLines(t, agentLines);
            agent.createContainer(
                    "bench", "", OciSpec.config("bench", rootfs, List.of("true")), StdioSpec.getDefaultInstance());
            agent.startContainer("bench");
            int status = agent.waitProcess("bench", "", Duration.ofSeconds(60)).getExitStatus();
            double exited = (System.nanoTime() - start) / 1e9;
            if (status != 0) {
                throw new IllegalStateException("container exited " + status);
            }
            return new double[] {ready, exited, rss};
        }
    }

    /**
     * Seconds to agent-ready of a VM as a default lone container's (snapshot layout, agent over the serial
     * mux, no share, no helper); the agent's ready line goes to {@code agentLines}.
     */
    static double checkpointableBoot(List<String> agentLines) throws Exception {
        try (TestVm t = TestVm.createCheckpointable("")) {
            long start = System.nanoTime();
            t.vm.start(TestVm.BOOT_TIMEOUT);
            t.agent = GuestConnector.connect(t.vm, TestVm.BOOT_TIMEOUT);
            setUp(t.agent);
            double ready = (System.nanoTime() - start) / 1e9;
            readyLines(t, agentLines);
            return ready;
        }
    }

    /**
     * The shim's first call after Ping (GuestHandshake): time, hostname and entropy. Agent-ready counts up to
     * its answer, the point where a sandbox can take its first Create; the agent makes its first system
     * calls here.
     */
    private static void setUp(AgentClient agent) {
        byte[] entropy = new byte[64];
        new SecureRandom().nextBytes(entropy);
        agent.setupGuest(System.currentTimeMillis() * 1_000_000L, "bench", entropy);
    }

    private static void readyLines(TestVm t, List<String> agentLines) throws IOException {
        Files.readAllLines(t.stateDir.resolve("console.log")).stream()
                .filter(l -> l.contains(AgentPorts.READY_ANNOUNCEMENT)
                        || l.contains("jvmm-agent subreaper")
                        || l.contains("[startuptime]"))
                .map(l -> l.contains("[startuptime]")
                        ? l.strip()
                        : l.substring(l.indexOf(':') + 1).strip())
                .forEach(agentLines::add);
    }

    public static double median(List<Double> values) {
        double[] sorted =
                values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return sorted.length % 2 == 1
                ? sorted[sorted.length / 2]
                : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }

    static String list(double[] values) {
        return Arrays.toString(values);
    }
}
