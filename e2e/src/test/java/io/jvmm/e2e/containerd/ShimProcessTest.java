package io.jvmm.e2e.containerd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.jvmm.api.containerd.bootstrap.BootstrapParams;
import io.jvmm.api.containerd.bootstrap.BootstrapResult;
import io.jvmm.api.containerd.cgroups.v2.Metrics;
import io.jvmm.api.containerd.events.TaskExit;
import io.jvmm.api.containerd.events.ttrpc.ForwardRequest;
import io.jvmm.api.containerd.task.Status;
import io.jvmm.api.containerd.task.v3.CheckpointTaskRequest;
import io.jvmm.api.containerd.task.v3.CreateTaskRequest;
import io.jvmm.api.containerd.task.v3.CreateTaskResponse;
import io.jvmm.api.containerd.task.v3.DeleteRequest;
import io.jvmm.api.containerd.task.v3.DeleteResponse;
import io.jvmm.api.containerd.task.v3.ExecProcessRequest;
import io.jvmm.api.containerd.task.v3.KillRequest;
import io.jvmm.api.containerd.task.v3.PidsRequest;
import io.jvmm.api.containerd.task.v3.PidsResponse;
import io.jvmm.api.containerd.task.v3.ShutdownRequest;
import io.jvmm.api.containerd.task.v3.StartRequest;
import io.jvmm.api.containerd.task.v3.StartResponse;
import io.jvmm.api.containerd.task.v3.StateRequest;
import io.jvmm.api.containerd.task.v3.StateResponse;
import io.jvmm.api.containerd.task.v3.StatsRequest;
import io.jvmm.api.containerd.task.v3.StatsResponse;
import io.jvmm.api.containerd.task.v3.UpdateTaskRequest;
import io.jvmm.api.containerd.task.v3.WaitRequest;
import io.jvmm.api.containerd.task.v3.WaitResponse;
import io.jvmm.api.containerd.types.Envelope;
import io.jvmm.e2e.Leftovers;
import io.jvmm.e2e.vm.BusyboxRootfs;
import io.jvmm.e2e.vm.OciSpec;
import io.jvmm.ttrpc.CallOptions;
import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.TtrpcClient;
import io.jvmm.ttrpc.TtrpcException;
import io.jvmm.ttrpc.TtrpcServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The installed shim binary as a real process, driven the way containerd drives it (start, ttrpc Task
 * calls, delete) without containerd in between, so that each protocol detail can be checked: the
 * bootstrap formats, the server's reuse per group, every error status, the events' order and names.
 * A recording ttrpc server stands in for containerd's events service.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShimProcessTest {
    private static final String NS = "shimtest";
    private static final String ID = "s1";
    private static final String V3 = "containerd.task.v3.Task";
    private static final String V2 = "containerd.task.v2.Task";
    private static final CallOptions CALL = CallOptions.withTimeout(Duration.ofSeconds(300));
    private static final List<Envelope> EVENTS = new CopyOnWriteArrayList<>();

    private static Path dir;
    private static Path bundle;
    /** Every bundle made, so that tear-down runs {@code delete} for each group (its socket and start lock go). */
    private static final List<Path> BUNDLES = new CopyOnWriteArrayList<>();

    private static TtrpcServer events;
    private static JvmmRuntime jvmm;
    private static String address;
    private static TtrpcClient shim;

    @BeforeAll
    static void setUp() throws Exception {
        jvmm = JvmmRuntime.get();
        dir = Files.createTempDirectory(Path.of("/tmp"), "jvmm-shimtest");
        events = TtrpcServer.builder()
                .addService(ServiceDefinition.builder("containerd.services.events.ttrpc.v1.Events")
                        .unary("Forward", ForwardRequest.parser(), (ctx, r) -> {
                            EVENTS.add(r.getEnvelope());
                            return Empty.getDefaultInstance();
                        })
                        .build())
                .bind(dir.resolve("ttrpc.sock"));
        bundle = bundle("bundle", Map.of());
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (shim != null) {
            shim.close();
        }
        for (ProcessHandle p : Leftovers.processesMentioning(dir.toString())) {
            p.destroyForcibly();
            p.onExit().get(10, TimeUnit.SECONDS);
        }
        if (events != null) {
            events.close();
        }
        for (Path b : BUNDLES) {
            runShim(b, new byte[0], "delete");
        }
        Leftovers.deleteTree(dir);
    }

    private static Path bundle(String name, Map<String, String> annotations) throws IOException {
        Path b = Files.createDirectories(dir.resolve(name));
        BUNDLES.add(b);
        BusyboxRootfs.create(b.resolve("rootfs"));
        ObjectMapper json = new ObjectMapper();
        var spec = (ObjectNode) json.readTree(
                OciSpec.config(ID, "rootfs", List.of("sh", "-c", "echo hello from s1; sleep 1000 & wait $!")));
        annotations.forEach((k, v) -> spec.with("annotations").put(k, v));
        Files.write(b.resolve("config.json"), json.writeValueAsBytes(spec));
        return b;
    }

    private record Run(int code, byte[] stdout, String stderr) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    /** Where containerd's shims put a group's socket: /run/containerd/s/sha256(address/namespace/group), worked out independently. */
    private static Path groupSocket(String group) throws NoSuchAlgorithmException {
        return Path.of("/run/containerd/s/"
                + HexFormat.of()
                        .formatHex(MessageDigest.getInstance("SHA-256")
                                .digest((dir.resolve("containerd.sock") + "/" + NS + "/" + group)
                                        .getBytes(StandardCharsets.UTF_8))));
    }

    /** The group's start lock file beside its socket. */
    private static Path startLock(Path socket) {
        return socket.resolveSibling(socket.getFileName() + ".lock");
    }

    private static Run runShim(Path cwd, byte[] stdin, String action) throws Exception {
        return runShim(
                cwd,
                stdin,
                action,
                PrivateContainerd.PREFIX.resolve("containerd").toString(),
                ID);
    }

    private static Run runShim(Path cwd, byte[] stdin, String action, String publishBinary, String id)
            throws Exception {
        return runShim(cwd, stdin, action, publishBinary, id, Map.of());
    }

    private static Run runShim(
            Path cwd, byte[] stdin, String action, String publishBinary, String id, Map<String, String> env)
            throws Exception {
        ProcessBuilder pb = new ProcessBuilder(
                        ShimCommand.of(jvmm.shim(), NS, dir.resolve("containerd.sock"), publishBinary, id, action))
                .directory(cwd.toFile());
        pb.environment().put("TTRPC_ADDRESS", dir.resolve("ttrpc.sock").toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().write(stdin);
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out, err);
    }

    private static <R extends Message> R call(String method, Message req, Parser<R> parser) {
        return shim.unary(V3, method, req, parser, CALL);
    }

    private static Code codeOf(Runnable call) {
        try {
            call.run();
            return Code.OK;
        } catch (TtrpcException e) {
            return e.code();
        }
    }

    @Test
    @Order(1)
    void startPrintsTheVersion3BootstrapForContainerd2AndWritesTheAddressFile() throws Exception {
        Run r = runShim(bundle, new byte[0], "start");
        assertThat(r.code()).as(r.stderr()).isZero();
        String expectedSocket = groupSocket(ID).toString();
        assertThat(r.out())
                .isEqualTo("{\"version\":3,\"address\":\"unix://" + expectedSocket + "\",\"protocol\":\"ttrpc\"}");
        address = "unix://" + expectedSocket;
        assertThat(Files.readString(bundle.resolve("address"))).isEqualTo(address);
        shim = TtrpcClient.connect(Path.of(expectedSocket));
    }

    @Test
    @Order(2)
    void aContainerOfTheSameGroupReusesTheRunningServerWhateverTheAnswerFormat() throws Exception {
        Path other = bundle("other", Map.of("io.kubernetes.cri.sandbox-id", ID));
        long serversBefore = Leftovers.processesMentioning(
                        dir.resolve("containerd.sock").toString())
                .size();

        Run plain = runShim(other, new byte[0], "start", "/bin/true", "c2");
        assertThat(plain.code()).as(plain.stderr()).isZero();
        assertThat(plain.out())
                .as("unknown containerd version: the plain address")
                .isEqualTo(address);

        byte[] params = BootstrapParams.newBuilder()
                .setInstanceId("c2")
                .setNamespace(NS)
                .setContainerdVersion("2.3.0")
                .build()
                .toByteArray();
        Run proto = runShim(other, params, "start", "/bin/true", "c2");
        assertThat(proto.code()).as(proto.stderr()).isZero();
        BootstrapResult result = BootstrapResult.parseFrom(proto.stdout());
        assertThat(result.getVersion()).isEqualTo(3);
        assertThat(result.getAddress()).isEqualTo(address);
        assertThat(result.getProtocol()).isEqualTo("ttrpc");

        assertThat(Leftovers.processesMentioning(dir.resolve("containerd.sock").toString()))
                .hasSize((int) serversBefore);
    }

    @Test
    @Order(2)
    void concurrentStartsOfOneGroupMakeOneServer() throws Exception {
        int starts = 4;
        List<Path> bundles = new ArrayList<>();
        for (int i = 0; i < starts; i++) {
            bundles.add(bundle("race" + i, Map.of("io.containerd.jvmm.v2.group", "race")));
        }
        List<Future<Run>> runs = new ArrayList<>();
        try (var pool = Executors.newFixedThreadPool(starts)) {
            for (int i = 0; i < starts; i++) {
                Path b = bundles.get(i);
                String id = "race" + i;
                runs.add(pool.submit(() -> runShim(b, new byte[0], "start", "/bin/true", id)));
            }
        }
        Set<String> addresses = new HashSet<>();
        for (var f : runs) {
            Run r = f.get();
            assertThat(r.code()).as(r.stderr()).isZero();
            addresses.add(r.out());
        }
        assertThat(addresses).hasSize(1);
        Path socket = Path.of(addresses.iterator().next().replaceFirst("^unix://", ""));
        assertThat(Leftovers.processesMentioning(socket.toString()))
                .as("servers for group race")
                .hasSize(1);
        try (TtrpcClient race = TtrpcClient.connect(socket)) {
            race.unary(
                    V3, "Shutdown", ShutdownRequest.newBuilder().setId("race0").build(), Empty.parser(), CALL);
        }
        for (int i = 0;
                i < 300 && !Leftovers.processesMentioning(socket.toString()).isEmpty();
                i++) {
            Thread.sleep(100);
        }
        assertThat(Leftovers.processesMentioning(socket.toString()))
                .as("the race group's server exited")
                .isEmpty();
        assertThat(socket).doesNotExist();
        assertThat(startLock(socket)).doesNotExist();
    }

    /**
     * As with containerd's own shims, start answers once its server is spawned, not once it serves; a
     * server that then cannot start says why, drops the connections waiting for it and removes the
     * group's socket and start lock itself (containerd runs delete only for a shim it reached).
     */
    @Test
    @Order(2)
    void aServerThatCannotStartSaysWhyAndLeavesNoSocketOrLock() throws Exception {
        Path broken = bundle("broken", Map.of("io.containerd.jvmm.v2.group", "broken"));
        Run r = runShim(
                broken,
                new byte[0],
                "start",
                "/bin/true",
                "broken",
                Map.of("JVMM_CONFIG", dir.resolve("no-such.json").toString()));
        assertThat(r.code()).as(r.stderr()).isZero();
        Path socket = groupSocket("broken");
        assertThat(r.out()).isEqualTo("unix://" + socket);
        // Connected at once, the call waits in the backlog and fails when the server exits (connecting
        // after it exited fails outright); it never succeeds.
        ShimCommand.assertAbandoned(socket, "broken");
        assertThat(Files.readString(broken.resolve("shim.err"))).contains("no-such.json");
    }

    @Test
    @Order(3)
    void badRequestsGetClearStatusesWithoutAVm() throws Exception {
        assertThat(codeOf(() ->
                        call("State", StateRequest.newBuilder().setId("nope").build(), StateResponse.parser())))
                .isEqualTo(Code.NOT_FOUND);
        assertThat(codeOf(() -> call(
                        "Kill",
                        KillRequest.newBuilder().setId("nope").setSignal(9).build(),
                        Empty.parser())))
                .isEqualTo(Code.NOT_FOUND);
        assertThat(codeOf(() -> call("Create", create("../evil").build(), CreateTaskResponse.parser())))
                .isEqualTo(Code.INVALID_ARGUMENT);
        assertThat(codeOf(() -> call(
                        "Create",
                        create("x1")
                                .setBundle(dir.resolve("missing").toString())
                                .build(),
                        CreateTaskResponse.parser())))
                .isEqualTo(Code.INVALID_ARGUMENT);
        assertThat(codeOf(() -> call(
                        "Create",
                        create("x2")
                                .setOptions(Any.newBuilder().setTypeUrl("example.Unknown"))
                                .build(),
                        CreateTaskResponse.parser())))
                .isEqualTo(Code.INVALID_ARGUMENT);
        assertThat(codeOf(() ->
                        call("Create", create("x3").setStdout("ftp://host/x").build(), CreateTaskResponse.parser())))
                .isEqualTo(Code.INVALID_ARGUMENT);
        assertThat(codeOf(() -> call(
                        "Checkpoint",
                        CheckpointTaskRequest.newBuilder().setId(ID).build(),
                        Empty.parser())))
                .as("no checkpoint path")
                .isEqualTo(Code.INVALID_ARGUMENT);
        assertThat(codeOf(() -> call(
                        "Checkpoint",
                        CheckpointTaskRequest.newBuilder()
                                .setId(ID)
                                .setPath("/tmp/ck")
                                .setOptions(Any.newBuilder().setTypeUrl("example.Unknown"))
                                .build(),
                        Empty.parser())))
                .isEqualTo(Code.INVALID_ARGUMENT);
        assertThat(codeOf(() -> call(
                        "Checkpoint",
                        CheckpointTaskRequest.newBuilder()
                                .setId("no-such-task")
                                .setPath("/tmp/ck")
                                .build(),
                        Empty.parser())))
                .isEqualTo(Code.NOT_FOUND);
        // A checkpoint directory that is not a jvmm checkpoint (runc's CRIU images, or nothing) is refused
        // before any VM starts.
        assertThat(codeOf(() -> call(
                        "Create", create("x4").setCheckpoint(dir.toString()).build(), CreateTaskResponse.parser())))
                .isEqualTo(Code.INVALID_ARGUMENT);
        assertThatThrownBy(() -> shim.unary(V3, "NoSuchMethod", Empty.getDefaultInstance(), Empty.parser(), CALL))
                .isInstanceOf(TtrpcException.class)
                .extracting(e -> ((TtrpcException) e).code())
                .isEqualTo(Code.UNIMPLEMENTED);
        assertThat(EVENTS).isEmpty();
    }

    private static CreateTaskRequest.Builder create(String id) {
        return CreateTaskRequest.newBuilder()
                .setId(id)
                .setBundle(bundle.toString())
                .setStdout("file://" + dir.resolve("out-" + id + ".log"));
    }

    @Test
    @Order(4)
    void aTaskGoesThroughItsLifeWithStateChecksAndOrderedEvents() throws Exception {
        int pid =
                call("Create", create(ID).build(), CreateTaskResponse.parser()).getPid();
        assertThat(pid).isPositive();
        // The pid is the VMM's (a host process of this task), never a guest pid (docs/security.md, Pids).
        assertThat(ProcessHandle.of(pid).flatMap(h -> h.info().command()))
                .as("the process of pid %d", pid)
                .hasValueSatisfying(command -> assertThat(command).contains("qemu-system"));
        assertThat(codeOf(() -> call("Create", create(ID).build(), CreateTaskResponse.parser())))
                .isEqualTo(Code.ALREADY_EXISTS);
        StateResponse created =
                call("State", StateRequest.newBuilder().setId(ID).build(), StateResponse.parser());
        assertThat(created.getStatus()).isEqualTo(Status.CREATED);
        assertThat(created.getPid()).isEqualTo(pid);
        assertThat(created.getBundle()).isEqualTo(bundle.toString());

        assertThat(call("Start", StartRequest.newBuilder().setId(ID).build(), StartResponse.parser())
                        .getPid())
                .isEqualTo(pid);
        assertThatThrownBy(
                        () -> call("Start", StartRequest.newBuilder().setId(ID).build(), StartResponse.parser()))
                .isInstanceOf(TtrpcException.class)
                .hasMessageContaining("cannot start a running process")
                .extracting(e -> ((TtrpcException) e).code())
                .isEqualTo(Code.FAILED_PRECONDITION);
        assertThat(shim.unary(V2, "State", StateRequest.newBuilder().setId(ID).build(), StateResponse.parser(), CALL)
                        .getStatus())
                .as("the same task through Task v2")
                .isEqualTo(Status.RUNNING);

        Any process = Any.newBuilder()
                .setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/Process")
                .setValue(ByteString.copyFrom(OciSpec.processJson(List.of("sh", "-c", "echo exec ran; exit 4"))))
                .build();
        ExecProcessRequest exec = ExecProcessRequest.newBuilder()
                .setId(ID)
                .setExecId("e1")
                .setSpec(process)
                .setStdout("file://" + dir.resolve("out-e1.log"))
                .build();
        call("Exec", exec, Empty.parser());
        assertThat(codeOf(() -> call("Exec", exec, Empty.parser()))).isEqualTo(Code.ALREADY_EXISTS);
        call("Start", StartRequest.newBuilder().setId(ID).setExecId("e1").build(), StartResponse.parser());
        WaitResponse execExit =
                call("Wait", WaitRequest.newBuilder().setId(ID).setExecId("e1").build(), WaitResponse.parser());
        assertThat(execExit.getExitStatus()).isEqualTo(4);
        assertThat(Files.readString(dir.resolve("out-e1.log"))).isEqualTo("exec ran\n");
        call("Delete", DeleteRequest.newBuilder().setId(ID).setExecId("e1").build(), DeleteResponse.parser());
        assertThat(codeOf(() -> call(
                        "State",
                        StateRequest.newBuilder().setId(ID).setExecId("e1").build(),
                        StateResponse.parser())))
                .isEqualTo(Code.NOT_FOUND);

        // binary:// logging: the program reads stdout on fd 3 and stderr on fd 4, and closes fd 5 when ready.
        Path logger = dir.resolve("logger.sh");
        Files.writeString(
                logger,
                "#!/bin/sh\necho \"$CONTAINER_NAMESPACE/$CONTAINER_ID\" > \"$1.env\"\n"
                        + "cat <&3 > \"$1\" & cat <&4 > \"$2\" & exec 5>&-\nwait\n");
        logger.toFile().setExecutable(true);
        String binary = "binary://" + logger + "?" + dir.resolve("b-out") + "&" + dir.resolve("b-err");
        Any both = Any.newBuilder()
                .setTypeUrl(process.getTypeUrl())
                .setValue(ByteString.copyFrom(OciSpec.processJson(List.of("sh", "-c", "echo out3; echo err3 >&2"))))
                .build();
        call(
                "Exec",
                ExecProcessRequest.newBuilder()
                        .setId(ID)
                        .setExecId("e3")
                        .setSpec(both)
                        .setStdout(binary)
                        .setStderr(binary)
                        .build(),
                Empty.parser());
        call("Start", StartRequest.newBuilder().setId(ID).setExecId("e3").build(), StartResponse.parser());
        assertThat(call(
                                "Wait",
                                WaitRequest.newBuilder()
                                        .setId(ID)
                                        .setExecId("e3")
                                        .build(),
                                WaitResponse.parser())
                        .getExitStatus())
                .isZero();
        call("Delete", DeleteRequest.newBuilder().setId(ID).setExecId("e3").build(), DeleteResponse.parser());
        assertThat(Files.readString(dir.resolve("b-out"))).isEqualTo("out3\n");
        assertThat(Files.readString(dir.resolve("b-err"))).isEqualTo("err3\n");
        assertThat(Files.readString(dir.resolve("b-out.env"))).isEqualTo(NS + "/" + ID + "\n");

        // Update applies LinuxResources in the guest; Stats reads them back as cgroup v2 metrics.
        Any resources = Any.newBuilder()
                .setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/LinuxResources")
                .setValue(ByteString.copyFromUtf8("{\"memory\":{\"limit\":67108864}}"))
                .build();
        call(
                "Update",
                UpdateTaskRequest.newBuilder().setId(ID).setResources(resources).build(),
                Empty.parser());
        StatsResponse stats = call("Stats", StatsRequest.newBuilder().setId(ID).build(), StatsResponse.parser());
        assertThat(stats.getStats().getTypeUrl()).isEqualTo("io.containerd.cgroups.v2.Metrics");
        Metrics metrics = Metrics.parseFrom(stats.getStats().getValue());
        assertThat(metrics.getMemory().getUsageLimit()).isEqualTo(67108864L);
        assertThat(metrics.getMemory().getUsage()).isPositive();
        assertThat(metrics.getPids().getCurrent()).isEqualTo(2);
        assertThat(codeOf(() -> call(
                        "Update",
                        UpdateTaskRequest.newBuilder()
                                .setId(ID)
                                .setResources(Any.newBuilder().setValue(ByteString.copyFromUtf8("{not json")))
                                .build(),
                        Empty.parser())))
                .isEqualTo(Code.INVALID_ARGUMENT);

        PidsResponse pids = call("Pids", PidsRequest.newBuilder().setId(ID).build(), PidsResponse.parser());
        assertThat(pids.getProcessesList()).extracting(p -> p.getPid()).containsExactly(pid);
        assertThat(codeOf(() -> call(
                        "Kill", KillRequest.newBuilder().setId(ID).setSignal(0).build(), Empty.parser())))
                .isEqualTo(Code.INVALID_ARGUMENT);
        assertThatThrownBy(() ->
                        call("Delete", DeleteRequest.newBuilder().setId(ID).build(), DeleteResponse.parser()))
                .hasMessageContaining("cannot delete a running process");

        call("Kill", KillRequest.newBuilder().setId(ID).setSignal(9).build(), Empty.parser());
        WaitResponse exit = call("Wait", WaitRequest.newBuilder().setId(ID).build(), WaitResponse.parser());
        assertThat(exit.getExitStatus()).isEqualTo(137);
        assertThat(codeOf(() -> call(
                        "Kill", KillRequest.newBuilder().setId(ID).setSignal(9).build(), Empty.parser())))
                .as("process already finished")
                .isEqualTo(Code.NOT_FOUND);
        StateResponse stopped =
                call("State", StateRequest.newBuilder().setId(ID).build(), StateResponse.parser());
        assertThat(stopped.getStatus()).isEqualTo(Status.STOPPED);
        assertThat(stopped.getExitStatus()).isEqualTo(137);
        assertThat(Files.readString(dir.resolve("out-" + ID + ".log"))).isEqualTo("hello from s1\n");

        DeleteResponse deleted =
                call("Delete", DeleteRequest.newBuilder().setId(ID).build(), DeleteResponse.parser());
        assertThat(deleted.getExitStatus()).isEqualTo(137);
        assertThat(deleted.getPid()).isEqualTo(pid);

        awaitEvents(10);
        assertThat(EVENTS)
                .extracting(Envelope::getTopic)
                .containsExactly(
                        "/tasks/create",
                        "/tasks/start",
                        "/tasks/exec-added",
                        "/tasks/exec-started",
                        "/tasks/exit",
                        "/tasks/exec-added",
                        "/tasks/exec-started",
                        "/tasks/exit",
                        "/tasks/exit",
                        "/tasks/delete");
        assertThat(EVENTS)
                .extracting(e -> e.getEvent().getTypeUrl())
                .containsExactly(
                        "containerd.events.TaskCreate",
                        "containerd.events.TaskStart",
                        "containerd.events.TaskExecAdded",
                        "containerd.events.TaskExecStarted",
                        "containerd.events.TaskExit",
                        "containerd.events.TaskExecAdded",
                        "containerd.events.TaskExecStarted",
                        "containerd.events.TaskExit",
                        "containerd.events.TaskExit",
                        "containerd.events.TaskDelete");
        assertThat(EVENTS).extracting(Envelope::getNamespace).containsOnly(NS);
        TaskExit execEvent = TaskExit.parseFrom(EVENTS.get(4).getEvent().getValue());
        TaskExit initEvent = TaskExit.parseFrom(EVENTS.get(8).getEvent().getValue());
        assertThat(execEvent.getId()).isEqualTo("e1");
        assertThat(execEvent.getExitStatus()).isEqualTo(4);
        assertThat(initEvent.getId()).isEqualTo(ID);
        assertThat(initEvent.getPid()).isEqualTo(pid);
        assertThat(initEvent.getExitStatus()).isEqualTo(137);
    }

    private static void awaitEvents(int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (EVENTS.size() < count && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    @Test
    @Order(5)
    void shutdownWithNoTaskLeftEndsTheServerAndDeleteCleansUpIdempotently() throws Exception {
        Path socket = Path.of(address.substring("unix://".length()));
        List<ProcessHandle> servers = new ArrayList<>(
                Leftovers.processesMentioning(dir.resolve("containerd.sock").toString()));
        assertThat(servers).hasSize(1);
        shim.unary(V3, "Shutdown", ShutdownRequest.newBuilder().setId(ID).build(), Empty.parser(), CALL);
        assertThat(servers.get(0).onExit().get(30, TimeUnit.SECONDS).isAlive()).isFalse();
        assertThat(socket).doesNotExist();
        assertThat(Leftovers.processesMentioning(jvmm.stateRoot().toString())).isEmpty();

        for (int i = 0; i < 2; i++) {
            Run delete = runShim(bundle, new byte[0], "delete");
            assertThat(delete.code()).as(delete.stderr()).isZero();
            DeleteResponse answer = DeleteResponse.parseFrom(delete.stdout());
            assertThat(answer.getExitStatus()).isEqualTo(137);
            assertThat(answer.getExitedAt().getSeconds()).isPositive();
        }
        assertThat(jvmm.leftoverSandboxes()).isEmpty();
    }

    /**
     * The launcher answers delete without a JVM only for a live server of this bundle: a pid in shim.pid
     * that is some other process (a reused pid) leaves the work to the JVM's delete.
     */
    @Test
    @Order(6)
    void aDeleteWhoseShimPidNamesAnotherProcessIsLeftToTheJvm() throws Exception {
        Path own = bundle("reused-pid", Map.of());
        Files.writeString(
                own.resolve("shim.pid"), Long.toString(ProcessHandle.current().pid()));
        Run delete = runShim(own, new byte[0], "delete", "/bin/true", "reused-pid");
        assertThat(delete.code()).as(delete.stderr()).isZero();
        assertThat(delete.stderr()).doesNotContain("still runs");
        assertThat(DeleteResponse.parseFrom(delete.stdout()).getExitStatus()).isEqualTo(137);
    }

    /**
     * containerd 2.3 may give {@code start} a socket directory (BootstrapParams.socket_dir) and gives
     * {@code delete} none. A delete while the group's server runs must find the socket where start put it and
     * leave the live server alone (looking only in /run/containerd/s, it took the server for dead and tore
     * its sandbox down); once the server is gone, delete removes the socket and lock there.
     */
    @Test
    @Order(7)
    void aDeleteFindsTheSocketWhereAStartGivenASocketDirectoryPutItAndSparesALiveServer() throws Exception {
        // Short: the socket's path (this directory, then 64 hex digits) must fit a sockaddr_un.
        Path socketDir = Files.createTempDirectory(Path.of("/tmp"), "sd");
        Path own = bundle("sockdir", Map.of());
        try {
            byte[] params = BootstrapParams.newBuilder()
                    .setInstanceId("sd1")
                    .setNamespace(NS)
                    .setContainerdVersion("2.3.0")
                    .setSocketDir(socketDir.toString())
                    .build()
                    .toByteArray();
            Run start = runShim(own, params, "start", "/bin/true", "sd1");
            assertThat(start.code()).as(start.stderr()).isZero();
            String answered = BootstrapResult.parseFrom(start.stdout()).getAddress();
            assertThat(answered).startsWith("unix://" + socketDir + "/");
            Path socket = Path.of(answered.substring("unix://".length()));
            List<ProcessHandle> servers = Leftovers.processesMentioning(socket.toString());
            assertThat(servers).as("the group's server").hasSize(1);

            try (TtrpcClient client = TtrpcClient.connect(socket)) {
                // A created task: its VM runs and its sandbox has state on the host.
                client.unary(
                        V3,
                        "Create",
                        CreateTaskRequest.newBuilder()
                                .setId("sd1")
                                .setBundle(own.toString())
                                .build(),
                        CreateTaskResponse.parser(),
                        CALL);
                List<Path> sandboxes = jvmm.leftoverSandboxes();
                assertThat(sandboxes).as("the sandbox's state").isNotEmpty();

                Run whileAlive = runShim(own, new byte[0], "delete", "/bin/true", "sd1");
                assertThat(whileAlive.code()).as(whileAlive.stderr()).isZero();
                // Answered by the launcher without a JVM (packaging/shim/delete-fast.sh), as the JVM would.
                assertThat(whileAlive.stderr())
                        .contains("shim server " + servers.getFirst().pid() + " still runs");
                DeleteResponse fast = DeleteResponse.parseFrom(whileAlive.stdout());
                assertThat(fast.getExitStatus()).isEqualTo(137);
                assertThat(Math.abs(
                                fast.getExitedAt().getSeconds() - Instant.now().getEpochSecond()))
                        .as("exited_at against now, in seconds")
                        .isLessThan(60);

                assertThat(servers.getFirst().isAlive())
                        .as("the live server after a delete")
                        .isTrue();
                assertThat(jvmm.leftoverSandboxes())
                        .as("the live sandbox's state after a delete")
                        .isEqualTo(sandboxes);
                StateResponse state = client.unary(
                        V3, "State", StateRequest.newBuilder().setId("sd1").build(), StateResponse.parser(), CALL);
                assertThat(state.getStatus()).isEqualTo(Status.CREATED);
                client.unary(
                        V3, "Delete", DeleteRequest.newBuilder().setId("sd1").build(), DeleteResponse.parser(), CALL);
                client.unary(
                        V3,
                        "Shutdown",
                        ShutdownRequest.newBuilder().setId("sd1").build(),
                        Empty.parser(),
                        CALL);
            }
            assertThat(servers.getFirst().onExit().get(30, TimeUnit.SECONDS).isAlive())
                    .isFalse();

            Run afterwards = runShim(own, new byte[0], "delete", "/bin/true", "sd1");
            assertThat(afterwards.code()).as(afterwards.stderr()).isZero();
            try (var left = Files.list(socketDir)) {
                // The directory's guard file stays, as in /run/containerd/s (GroupStartLock).
                assertThat(left.map(f -> f.getFileName().toString()).toList())
                        .as("the socket directory once the server is gone")
                        .containsExactly("jvmm-start.guard");
            }
        } finally {
            // A failure above leaves the server and its sandbox: the server goes, and delete then removes
            // what it left (mounts, state), as containerd's delete does after a shim died.
            for (ProcessHandle server : Leftovers.processesMentioning(socketDir.toString())) {
                server.destroyForcibly();
                server.onExit().get(30, TimeUnit.SECONDS);
            }
            runShim(own, new byte[0], "delete", "/bin/true", "sd1");
            Leftovers.deleteTree(socketDir);
        }
    }
}
