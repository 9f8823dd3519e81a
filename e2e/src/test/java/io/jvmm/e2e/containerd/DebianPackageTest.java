package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.api.cri.v1.ContainerConfig;
import io.jvmm.api.cri.v1.ContainerMetadata;
import io.jvmm.api.cri.v1.CreateContainerRequest;
import io.jvmm.api.cri.v1.ExecSyncResponse;
import io.jvmm.api.cri.v1.ImageSpec;
import io.jvmm.api.cri.v1.PodSandboxConfig;
import io.jvmm.api.cri.v1.PodSandboxMetadata;
import io.jvmm.api.cri.v1.RunPodSandboxRequest;
import io.jvmm.e2e.Leftovers;
import io.jvmm.e2e.cri.CriClient;
import io.jvmm.ttrpc.testing.GoPeer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The Debian package (packaging/deb/build-deb.sh) built twice to the same bytes, installed on this host with
 * dpkg, used the way an operator would: a containerd 2.1 whose configuration imports the snippet the
 * package installed (not a copy) runs a {@code ctr run} container and a CRI pod through the package's shim,
 * on its JRE, with the shipped /etc/jvmm/config.json; the monitor, started by its systemd unit's own command
 * line, serves the pod's series; then {@code dpkg --purge} leaves nothing of what the package or its scripts
 * made. Skipped where a jvmm package is already installed (it is not this test's to remove).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DebianPackageTest {
    private static final Path CONFIG = Path.of("/etc/jvmm/config.json");
    private static final Path SNIPPET = Path.of("/usr/share/jvmm/containerd/containerd-2.x.toml");
    private static final Path UNIT = Path.of("/usr/lib/systemd/system/jvmm-monitor.service");
    private static final Path AOT = Path.of("/var/lib/jvmm/aot");
    private static final int TIMEOUT = 300;

    private static Path work;
    private static Path deb;
    private static boolean installed;
    private static boolean userBefore;
    /** The package's paths that did not exist before it was installed: the purge must remove each. */
    private static final List<Path> made = new ArrayList<>();

    @BeforeAll
    static void buildAndInstall() throws IOException {
        GoPeer.Result status = GoPeer.run(List.of("dpkg-query", "-W", "-f=${Status}", "jvmm"), 30);
        Assumptions.assumeFalse(
                status.stdout().contains(" installed"), "a jvmm package is installed on this host: " + status.stdout());
        assertThat(CONFIG)
                .as("a file the package would own exists (an older packaging/shim/install.sh wrote it): remove it")
                .doesNotExist();
        work = Files.createTempDirectory(Path.of("/tmp"), "jvmm-deb");
        deb = build(work.resolve("a"));
        Path again = build(work.resolve("b"));
        assertThat(Files.mismatch(deb, again))
                .as("two builds of the package differ")
                .isEqualTo(-1L);

        for (String line : run(List.of("dpkg-deb", "--contents", deb.toString()))
                .stdout()
                .lines()
                .toList()) {
            String[] fields = line.split(" +");
            Path p = Path.of(fields[fields.length - 1].replaceFirst("^\\./?", "/"));
            if (!Files.exists(p)) {
                made.add(p);
            }
        }
        assertThat(made).as("the package's own files").contains(Path.of("/usr/bin/containerd-shim-jvmm-v2"), CONFIG);
        userBefore = GoPeer.run(List.of("getent", "passwd", "jvmm-vmm"), 30).exitCode() == 0;

        installed = true;
        GoPeer.Result install = run(List.of("env", "DEBIAN_FRONTEND=noninteractive", "dpkg", "-i", deb.toString()));
        assertThat(install.stderr()).as("dpkg -i's errors").doesNotContain("failed");
    }

    @AfterAll
    static void purgeAndRemove() {
        if (installed) {
            GoPeer.run(List.of("dpkg", "--purge", "jvmm"), TIMEOUT);
        }
        if (work != null) {
            Leftovers.deleteTree(work);
        }
    }

    @Test
    @Order(1)
    void theInstalledPackageRunsAContainerAndAPodAndServesTheirMetrics() throws Exception {
        for (String cache : List.of("start.aot", "delete.aot", "shim.aot")) {
            assertThat(AOT.resolve(cache)).as("postinst trained " + cache).isNotEmptyFile();
        }
        // An upgrade (here the same version again: dpkg runs prerm upgrade, then postinst configure) keeps
        // the configuration and trains the caches again for the jars it brought.
        long trained = Files.getLastModifiedTime(AOT.resolve("shim.aot")).toMillis();
        run(List.of("env", "DEBIAN_FRONTEND=noninteractive", "dpkg", "-i", deb.toString()));
        assertThat(Files.getLastModifiedTime(AOT.resolve("shim.aot")).toMillis())
                .as("retrained")
                .isGreaterThan(trained);
        if (Files.isExecutable(Path.of("/usr/bin/systemd-analyze"))) {
            run(List.of("systemd-analyze", "verify", UNIT.toString()));
        }
        String podId = null;
        try (PrivateContainerd containerd =
                PrivateContainerd.startWithCri(List.of(Path.of("/usr/bin")), CONFIG, SNIPPET)) {
            PrivateContainerd.Result ctr = containerd.ctr(
                    null,
                    CtrArgs.array(CtrArgs.run(
                            false,
                            JvmmRuntime.RUNTIME,
                            null,
                            List.of(),
                            "deb-ctr",
                            "sh",
                            "-c",
                            "echo from the package; grep -c ^processor /proc/cpuinfo")));
            assertThat(ctr.exitCode()).as(ctr.stderr()).isZero();
            assertThat(ctr.stdout().lines().toList())
                    .as("the shipped configuration's one vCPU")
                    .containsExactly("from the package", "1");

            CriClient cri = CriClient.connect(containerd, Duration.ofSeconds(TIMEOUT));
            try {
                Pod pod = runPod(cri, containerd);
                podId = pod.id();
                ExecSyncResponse memory =
                        cri.execSync(pod.container(), 60, "sh", "-c", "awk '/MemTotal/ { print $2 }' /proc/meminfo");
                // a 512 MiB VM (the shipped configuration), less what its kernel keeps
                assertThat(Long.parseLong(memory.getStdout().toStringUtf8().strip()))
                        .isBetween(300_000L, 512L * 1024);
                assertThat(shimOf(podId))
                        .as("the pod's shim runs on the package's JRE and jars")
                        .startsWith("/usr/lib/jvmm/jre/bin/java ")
                        .contains("@/usr/lib/jvmm/shim/classpath.args");
                String metrics = monitorMetrics(podId);
                assertThat(MetricsTest.value(
                                metrics,
                                "jvmm_vm_start_seconds_count",
                                "sandbox_id=\"" + podId + "\"",
                                "pod_name=\"deb-pod\"",
                                "pod_namespace=\"default\"",
                                "namespace=\"k8s.io\""))
                        .as("the pod's VM start, labelled with the pod CRI named:%n%s", metrics)
                        .isEqualTo(1);
                cri.stopPodSandbox(podId);
                cri.removePodSandbox(podId);
            } finally {
                cri.close();
            }
        } finally {
            CriNetwork.removeBridge();
        }
        assertThat(Leftovers.processesMentioning(podId))
                .as("the pod's processes")
                .isEmpty();
    }

    @Test
    @Order(2)
    void purgingLeavesNothing() throws IOException {
        installed = false;
        run(List.of("dpkg", "--purge", "jvmm"));
        assertThat(made)
                .as("what the package installed")
                .allSatisfy(p -> assertThat(p).doesNotExist());
        assertThat(List.of(AOT.getParent(), CONFIG.getParent()))
                .as("what its scripts made")
                .allSatisfy(p -> assertThat(p).doesNotExist());
        assertThat(GoPeer.run(List.of("getent", "passwd", "jvmm-vmm"), 30).exitCode() == 0)
                .as("the VMM's user exists as it did before the package came")
                .isEqualTo(userBefore);
    }

    private record Pod(String id, String container) {}

    /** A pod of handler jvmm with one container (sleeping). */
    private static Pod runPod(CriClient cri, PrivateContainerd containerd) throws IOException {
        Path logs = Files.createTempDirectory(containerd.dir(), "logs");
        PodSandboxConfig pod = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder()
                        .setName("deb-pod")
                        .setNamespace("default")
                        .setUid(UUID.randomUUID().toString()))
                .setHostname("deb-pod")
                .setLogDirectory(logs.toString())
                .build();
        String podId = cri.runPodSandbox(RunPodSandboxRequest.newBuilder()
                        .setConfig(pod)
                        .setRuntimeHandler("jvmm")
                        .build())
                .getPodSandboxId();
        String container = cri.createContainer(CreateContainerRequest.newBuilder()
                        .setPodSandboxId(podId)
                        .setSandboxConfig(pod)
                        .setConfig(ContainerConfig.newBuilder()
                                .setMetadata(ContainerMetadata.newBuilder().setName("c"))
                                .setImage(ImageSpec.newBuilder().setImage(PrivateContainerd.IMAGE))
                                .addAllCommand(List.of("sleep", "3600"))
                                .setLogPath("c.log"))
                        .build())
                .getContainerId();
        cri.startContainer(container);
        return new Pod(podId, container);
    }

    /** The command line of the shim serving sandbox {@code id}. */
    private static String shimOf(String id) {
        return ProcessHandle.allProcesses()
                .map(p -> p.info().commandLine().orElse(""))
                .filter(c -> c.contains("io.jvmm.shim.ShimMain") && c.contains(" " + id))
                .findFirst()
                .orElse("no shim mentions " + id);
    }

    /**
     * The monitor started by the unit's own ExecStart (its address moved to a free port), scraped until it
     * serves sandbox {@code id}'s VM start.
     */
    private static String monitorMetrics(String id) throws Exception {
        String execStart = Files.readString(UNIT)
                .lines()
                .filter(l -> l.startsWith("ExecStart="))
                .findFirst()
                .orElseThrow()
                .substring("ExecStart=".length());
        List<String> command = new ArrayList<>(List.of(execStart.split(" +")));
        int listen = command.indexOf("--listen");
        assertThat(listen).as(execStart).isPositive();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        command.set(listen + 1, "127.0.0.1:" + port);
        Process monitor = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(work.resolve("monitor.log").toFile())
                .start();
        try (HttpClient http = HttpClient.newHttpClient()) {
            return Scrape.until(
                    "the monitor's series of " + id + "'s VM start",
                    () -> Scrape.get(http, "http://127.0.0.1:" + port + "/metrics"),
                    text -> MetricsTest.value(text, "jvmm_vm_start_seconds_count", "sandbox_id=\"" + id + "\"") >= 1,
                    () -> "its log: " + Files.readString(work.resolve("monitor.log")));
        } finally {
            monitor.destroy();
            if (!monitor.waitFor(10, TimeUnit.SECONDS)) {
                monitor.destroyForcibly().waitFor();
            }
        }
    }

    private static Path build(Path dir) {
        String out = run(List.of(
                        "bash",
                        GoPeer.repoRoot().resolve("packaging/deb/build-deb.sh").toString(),
                        "--output",
                        dir.toString()))
                .stdout()
                .strip();
        return Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
    }

    /** Runs {@code command}, which must succeed. */
    private static GoPeer.Result run(List<String> command) {
        GoPeer.Result r = GoPeer.run(command, TIMEOUT);
        assertThat(r.exitCode()).as("%s: %s%s", command, r.stderr(), r.stdout()).isZero();
        return r;
    }
}
