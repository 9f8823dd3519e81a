package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.e2e.Leftovers;
import io.jvmm.ttrpc.CallOptions;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The launcher answers a lone container's {@code start} without a JVM (packaging/shim/start-fast.sh): the
 * same answer, address file and listening socket handed to the server as the JVM's start makes, and the
 * JVM for everything it cannot decide for certain. Then a real containerd's {@code ctr run} takes that path.
 */
@WithPrivateContainerd
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LauncherStartTest {
    private static final String NS = "launchertest";
    private static final String FAST = "(bound by the launcher's start, without a JVM)";
    private static final String BY_START = "(bound by start)";
    private static final CallOptions CALL = CallOptions.withTimeout(Duration.ofSeconds(60));

    private static PrivateContainerd containerd;
    private static JvmmRuntime jvmm;
    private static Path dir;
    private static final List<Path> BUNDLES = new ArrayList<>();

    private record Run(int code, String out, String err) {}

    @BeforeAll
    static void setUp() throws IOException {
        dir = Files.createTempDirectory(Path.of("/tmp"), "jvmm-launcher");
    }

    @AfterAll
    static void tearDown() throws Exception {
        for (ProcessHandle p : Leftovers.processesMentioning(dir.toString())) {
            p.destroyForcibly();
            p.onExit().get(10, TimeUnit.SECONDS);
        }
        for (Path b : BUNDLES) {
            shim(b, b.getFileName().toString(), "delete", false, Map.of());
        }
        Leftovers.deleteTree(dir);
    }

    private static Path bundle(String id, String annotations) throws IOException {
        Path b = Files.createDirectories(dir.resolve(id));
        BUNDLES.add(b);
        Files.writeString(
                b.resolve("config.json"),
                "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"true\"]},\"annotations\":{" + annotations + "}}");
        return b;
    }

    /** containerd's own binary: its version is what the answer's format depends on. */
    private static String publishBinary() {
        return containerd.containerdBinary().toString();
    }

    /**
     * Runs the installed launcher as containerd does: stdin /dev/null when containerd has no options to
     * pass ({@code devNull}), a pipe otherwise.
     */
    private static Run shim(Path bundle, String id, String action, boolean devNull, Map<String, String> env)
            throws Exception {
        return shim(bundle, id, action, devNull, env, publishBinary());
    }

    private static Run shim(
            Path bundle, String id, String action, boolean devNull, Map<String, String> env, String publishBinary)
            throws Exception {
        ProcessBuilder pb = new ProcessBuilder(
                        ShimCommand.of(jvmm.shim(), NS, dir.resolve("containerd.sock"), publishBinary, id, action))
                .directory(bundle.toFile());
        pb.environment().put("TTRPC_ADDRESS", dir.resolve("none.ttrpc").toString());
        pb.environment().putAll(env);
        if (devNull) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        Process p = pb.start();
        if (!devNull) {
            p.getOutputStream().close();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out, err);
    }

    /** sha256(address/namespace/id) under /run/containerd/s, worked out independently. */
    private static Path socketOf(String id) throws Exception {
        String joined = dir.resolve("containerd.sock") + "/" + NS + "/" + id;
        return Path.of("/run/containerd/s/"
                + HexFormat.of()
                        .formatHex(
                                MessageDigest.getInstance("SHA-256").digest(joined.getBytes(StandardCharsets.UTF_8))));
    }

    private static String v3(Path socket) {
        return "{\"version\":3,\"address\":\"unix://" + socket + "\",\"protocol\":\"ttrpc\"}";
    }

    /** The server's first log line (start's redirect of its stderr: no log fifo here), once written. */
    private static String serverLog(Path bundle) throws Exception {
        Path err = bundle.resolve("shim.err");
        for (int i = 0; i < 600 && !(Files.exists(err) && Files.readString(err).contains("serving sandbox")); i++) {
            Thread.sleep(100);
        }
        return Files.readString(err);
    }

    private static void shutDown(Path socket, String id) throws Exception {
        List<ProcessHandle> servers = Leftovers.processesMentioning(socket.toString());
        ShimCommand.shutdown(socket, id, Duration.ofSeconds(60));
        for (ProcessHandle p : servers) {
            assertThat(p.onExit().get(30, TimeUnit.SECONDS).isAlive()).isFalse();
        }
        assertThat(socket).doesNotExist();
    }

    /** Runs {@code start} for {@code id}; its answer must be {@code answer} and its server's first line say {@code how}. */
    private static void startedBy(
            Path bundle, String id, boolean devNull, String publishBinary, String answer, String how) throws Exception {
        Run r = shim(bundle, id, "start", devNull, Map.of(), publishBinary);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(answer);
        assertThat(serverLog(bundle)).contains(how);
    }

    @Test
    @Order(1)
    void aLoneContainersStartIsAnsweredWithoutAJvmExactlyAsTheJvmAnswers() throws Exception {
        // The JVM's start (options on a pipe) first: it also records containerd's version, as a host's first
        // start of a containerd binary does.
        startedBy(bundle("via-jvm", ""), "via-jvm", false, publishBinary(), v3(socketOf("via-jvm")), BY_START);

        Path lone = bundle("lone", "\"other\":\"x\"");
        Run fast = shim(lone, "lone", "start", true, Map.of());
        assertThat(fast.code()).as(fast.err()).isZero();
        Path socket = socketOf("lone");
        // containerd dials once, as soon as start returns: the socket must be there and owner-only by then.
        assertThat(socket).exists();
        assertThat(Files.getPosixFilePermissions(socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(fast.out()).isEqualTo(v3(socket));
        assertThat(Files.readString(lone.resolve("address"))).isEqualTo("unix://" + socket);
        ShimCommand.connect(socket, "lone", Duration.ofSeconds(60));
        assertThat(serverLog(lone)).contains(FAST);

        shutDown(socket, "lone");
        shutDown(socketOf("via-jvm"), "via-jvm");
    }

    @Test
    @Order(2)
    void whatTheLauncherCannotDecideGoesToTheJvm() throws Exception {
        // A group's container (its start finds or starts the group's one server).
        Path grouped = bundle("grouped", "\"io.containerd.jvmm.v2.group\":\"g1\"");
        startedBy(grouped, "grouped", true, publishBinary(), v3(socketOf("g1")), BY_START);
        shutDown(socketOf("g1"), "grouped");

        // A containerd whose version nobody recorded: the JVM asks it (here it says nothing: the plain address).
        startedBy(bundle("unknown", ""), "unknown", true, "/bin/true", "unix://" + socketOf("unknown"), BY_START);
        shutDown(socketOf("unknown"), "unknown");

        // Options on a pipe (what containerd sends when a container has runtime options): the JVM reads them.
        startedBy(bundle("piped", ""), "piped", false, publishBinary(), v3(socketOf("piped")), BY_START);
        shutDown(socketOf("piped"), "piped");

        // Something at the socket's name already: the JVM looks whether it answers (it does not) and replaces it.
        Path stale = bundle("stale", "");
        Files.writeString(socketOf("stale"), "");
        startedBy(stale, "stale", true, publishBinary(), v3(socketOf("stale")), BY_START);
        ShimCommand.connect(socketOf("stale"), "stale", Duration.ofSeconds(60));
        shutDown(socketOf("stale"), "stale");
    }

    /**
     * As with the JVM's start, start answers once its server is spawned; a server that then cannot start
     * drops the connections waiting for it and removes the socket (containerd runs no delete after a start
     * whose server it never reached).
     */
    @Test
    @Order(3)
    void aServerThatCannotStartFailsTheWaitingCallAndLeavesNothing() throws Exception {
        Path broken = bundle("broken", "");
        Run r = shim(
                broken,
                "broken",
                "start",
                true,
                Map.of("JVMM_CONFIG", dir.resolve("no-such.json").toString()));
        assertThat(r.code()).as(r.err()).isZero();
        Path socket = socketOf("broken");
        assertThat(r.out()).isEqualTo(v3(socket));
        ShimCommand.assertAbandoned(socket, "broken");
        assertThat(Files.readString(broken.resolve("shim.err"))).contains("no-such.json");
    }

    @Test
    @Order(4)
    void ctrRunOfALoneContainerTakesTheLaunchersStart() throws Exception {
        String id = "fast-ctr";
        PrivateContainerd.Result run = containerd.ctr(
                null,
                CtrArgs.array(CtrArgs.run(
                        false, JvmmRuntime.RUNTIME, null, List.of(), id, "echo", "hello from a fast start")));
        assertThat(run.exitCode()).as(run.stderr()).isZero();
        assertThat(run.stdout()).contains("hello from a fast start");
        assertThat(containerd.logLinesMentioning(id)).contains(FAST);
    }
}
