package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.e2e.Leftovers;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Metrics as an operator collects them (issue 26): two containers through real containerd, the shim
 * binary's {@code monitor --listen} serving every shim's series, {@code promtool check metrics} on what
 * it serves, and a real Prometheus (Debian's, unpacked by scripts/install-test-deps.sh) scraping it: its
 * query API shows each sandbox's series and the exit status one container ended with.
 */
@WithPrivateContainerd
class MetricsTest {
    private static final Path PROMETHEUS = Path.of("/var/cache/jvmm/prometheus/usr/bin");
    private static final long TIMEOUT = 240;
    private static PrivateContainerd containerd;
    private static JvmmRuntime jvmm;

    private final List<String> started = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private Path dir;

    @BeforeEach
    void workDir() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "jvmm-metrics");
    }

    /** The processes this test started, ended by their handles; its containers removed; its files deleted. */
    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : processes) {
            p.destroy();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(20, TimeUnit.SECONDS);
            }
        }
        for (String id : started.reversed()) {
            containerd.killAndRemove(id);
        }
        Leftovers.deleteTree(dir);
    }

    @Test
    void theMonitorServesEverySandboxsSeriesToARealPrometheus() throws Exception {
        run("m-run", "sleep", "1000");
        run("m-exit", "sh", "-c", "sleep 1; exit 3");
        containerd.awaitTask("m-run", "RUNNING", TIMEOUT);
        containerd.awaitTask("m-exit", "STOPPED", TIMEOUT);
        // An exec that fails with 7, counted as an exec's exit.
        assertThat(containerd
                        .ctr(null, "task", "exec", "--exec-id", "e7", "m-run", "sh", "-c", "exit 7")
                        .exitCode())
                .isEqualTo(7);

        int monitorPort = freePort();
        Process monitor = start(
                dir.resolve("monitor.log"),
                "env",
                "JVMM_CONFIG=" + jvmm.config(),
                jvmm.shim().toString(),
                "monitor",
                "--listen",
                "127.0.0.1:" + monitorPort);
        String metrics = await(
                "the monitor's /metrics with both sandboxes",
                () -> get("http://127.0.0.1:" + monitorPort + "/metrics"),
                text -> value(text, "jvmm_vm_host_memory_bytes", "kind=\"pss\"", "sandbox_id=\"m-run\"") > 0
                        && value(
                                        text,
                                        "jvmm_process_exits_total",
                                        "code=\"3\"",
                                        "process=\"init\"",
                                        "sandbox_id=\"m-exit\"")
                                == 1
                        && value(
                                        text,
                                        "jvmm_process_exits_total",
                                        "code=\"7\"",
                                        "process=\"exec\"",
                                        "sandbox_id=\"m-run\"")
                                == 1);
        System.out.println("MetricsTest: the monitor served " + metrics.lines().count() + " lines, e.g.\n"
                + metrics.lines()
                        .filter(l -> l.startsWith("jvmm_vm_host_memory_bytes") || l.startsWith("jvmm_process_exits"))
                        .reduce("", (a, b) -> a + b + "\n"));
        assertThat(value(metrics, "jvmm_shim_resident_memory_bytes", "sandbox_id=\"m-exit\""))
                .isPositive();
        assertThat(value(
                        metrics,
                        "jvmm_ttrpc_calls_seconds_count",
                        "method=\"Create\"",
                        "code=\"OK\"",
                        "sandbox_id=\"m-run\""))
                .isEqualTo(1);
        // How the VM started and the agent's round trips, and the guest's own numbers for the container.
        assertThat(value(metrics, "jvmm_vm_start_seconds_count", "how=\"boot\"", "sandbox_id=\"m-run\""))
                .isEqualTo(1);
        assertThat(value(metrics, "jvmm_vm_start_seconds_sum", "how=\"boot\"", "sandbox_id=\"m-run\""))
                .isPositive();
        assertThat(value(
                        metrics,
                        "jvmm_agent_calls_seconds_count",
                        "method=\"CreateContainer\"",
                        "result=\"ok\"",
                        "sandbox_id=\"m-run\""))
                .isEqualTo(1);
        assertThat(value(
                        metrics, "jvmm_guest_container_memory_bytes", "container_id=\"m-run\"", "sandbox_id=\"m-run\""))
                .isPositive();
        assertThat(value(metrics, "jvmm_guest_container_processes", "container_id=\"m-run\"", "sandbox_id=\"m-run\""))
                .isGreaterThanOrEqualTo(1);
        assertThat(value(metrics, "jvmm_monitor_shims")).isGreaterThanOrEqualTo(2);
        assertThat(monitor.isAlive()).isTrue();

        Path scraped = Files.writeString(dir.resolve("scraped.txt"), metrics);
        Process lint = new ProcessBuilder(PROMETHEUS.resolve("promtool").toString(), "check", "metrics")
                .redirectInput(scraped.toFile())
                .redirectErrorStream(true)
                .start();
        assertThat(lint.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String lintOutput = new String(lint.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(lint.exitValue())
                .as("promtool check metrics: %s", lintOutput)
                .isZero();
        assertThat(lintOutput).as("promtool's findings").isBlank();

        int prometheusPort = freePort();
        Path config = Files.writeString(
                dir.resolve("prometheus.yml"),
                "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: jvmm\n    static_configs:\n"
                        + "      - targets: ['127.0.0.1:" + monitorPort + "']\n");
        start(
                dir.resolve("prometheus.log"),
                PROMETHEUS.resolve("prometheus").toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("tsdb"),
                "--web.listen-address=127.0.0.1:" + prometheusPort);
        String api = "http://127.0.0.1:" + prometheusPort + "/api/v1/query?query=";
        String exits = await(
                "Prometheus' answer for the exit of m-exit",
                () -> get(api
                        + URLEncoder.encode(
                                "jvmm_process_exits_total{sandbox_id=\"m-exit\",code=\"3\"}", StandardCharsets.UTF_8)),
                text -> text.contains("\"value\":["));
        assertThat(exits).contains("\"sandbox_id\":\"m-exit\"").containsPattern("\"value\":\\[[0-9.]+,\"1\"\\]");
        String pss = get(api + URLEncoder.encode("jvmm_vm_host_memory_bytes{kind=\"pss\"}", StandardCharsets.UTF_8));
        assertThat(pss).contains("\"sandbox_id\":\"m-run\"").contains("\"sandbox_id\":\"m-exit\"");
    }

    private void run(String id, String... command) throws Exception {
        started.add(id);
        PrivateContainerd.Result r = containerd.ctr(
                null, CtrArgs.array(CtrArgs.run(true, JvmmRuntime.RUNTIME, null, List.of(), id, command)));
        assertThat(r.exitCode()).as(r.stderr()).isZero();
    }

    private Process start(Path log, String... command) throws IOException {
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        processes.add(p);
        return p;
    }

    private String get(String url) {
        return Scrape.get(http, url);
    }

    private String await(String what, Scrape.Source source, Predicate<String> done) throws Exception {
        return Scrape.until(what, source, done, () -> "logs: " + Files.readString(dir.resolve("monitor.log")));
    }

    /** The value of the first sample of {@code name} whose labels contain all of {@code labels} (-1: none). */
    static double value(String text, String name, String... labels) {
        Matcher m = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*\\})? (\\S+)$", Pattern.MULTILINE)
                .matcher(text);
        while (m.find()) {
            String set = m.group(1) == null ? "" : m.group(1);
            if (List.of(labels).stream().allMatch(set::contains)) {
                return Double.parseDouble(m.group(2));
            }
        }
        return -1;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
