package io.jvmm.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jvmm.task.event.TaskEvent;
import io.jvmm.task.io.StdioConfig;
import io.jvmm.ttrpc.Code;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every Task operation in every process state, through the task service, with the answer containerd's runc
 * shim gives (its words) or, where a paused VM makes it impossible, jvmm's documented refusal. "ok" means the
 * operation was carried out.
 */
class TaskStateTableTest {
    private static final byte[] RESOURCES = "{\"cpu\":{\"shares\":512}}".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path dir;

    final List<TaskEvent> events = new CopyOnWriteArrayList<>();
    final FakeSandbox sandbox = new FakeSandbox();
    final TaskService tasks = new TaskService("default", () -> sandbox, events::add);

    @AfterEach
    void close() {
        tasks.close();
    }

    /** A container with a terminal whose init is in {@code state}. */
    private void initIn(String state) throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("b"));
        Files.writeString(
                bundle.resolve("config.json"),
                "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],"
                        + "\"cwd\":\"/\",\"terminal\":true},\"root\":{\"path\":\"rootfs\"}}");
        tasks.create(new CreateTask("c", bundle, List.of(), new StdioConfig("", "", "", true), ""));
        switch (state) {
            case "created" -> {}
            case "running" -> tasks.start("c", "");
            case "paused" -> {
                tasks.start("c", "");
                tasks.pause("c");
            }
            case "stopped" -> {
                tasks.start("c", "");
                sandbox.guest.exit("c", "", 0);
                tasks.await("c", "", Optional.of(TaskServiceTest.SOON), new CompletableFuture<>());
            }
            default -> throw new IllegalArgumentException(state);
        }
    }

    private void execIn(String state) throws Exception {
        initIn("running");
        tasks.exec("c", "e", new StdioConfig("", "", "", true), TaskServiceTest.PROCESS);
        switch (state) {
            case "created" -> {}
            case "running" -> tasks.start("c", "e");
            case "stopped" -> {
                tasks.start("c", "e");
                sandbox.guest.exit("c", "e", 0);
                tasks.await("c", "e", Optional.of(TaskServiceTest.SOON), new CompletableFuture<>());
            }
            default -> throw new IllegalArgumentException(state);
        }
    }

    private Runnable initOperation(String op) {
        return switch (op) {
            case "start" -> () -> tasks.start("c", "");
            case "exec" -> () -> tasks.exec("c", "x", TaskServiceTest.NO_STDIO, TaskServiceTest.PROCESS);
            case "kill" -> () -> tasks.kill("c", "", 1, false);
            case "pause" -> () -> tasks.pause("c");
            case "resume" -> () -> tasks.resume("c");
            case "update" -> () -> tasks.update("c", RESOURCES);
            case "checkpoint" -> () -> tasks.checkpoint("c", dir.resolve("cp"), false);
            case "resize" -> () -> tasks.resizePty("c", "", 80, 24);
            case "delete" -> () -> tasks.delete("c", "");
            default -> throw new IllegalArgumentException(op);
        };
    }

    private Runnable execOperation(String op) {
        return switch (op) {
            case "start" -> () -> tasks.start("c", "e");
            case "kill" -> () -> tasks.kill("c", "e", 1, false);
            case "resize" -> () -> tasks.resizePty("c", "e", 80, 24);
            case "delete" -> () -> tasks.delete("c", "e");
            default -> throw new IllegalArgumentException(op);
        };
    }

    /** What was asked of the guest, but the exit watchers' waits. */
    private static List<String> askedOf(FakeGuest guest) {
        return guest.calls.stream().filter(c -> !c.startsWith("WaitProcess")).toList();
    }

    private static void expect(Runnable call, String answer) {
        if (answer.equals("ok")) {
            call.run();
            return;
        }
        String[] codeAndMessage = answer.split(":", 2);
        assertThatThrownBy(call::run)
                .isInstanceOf(TaskException.class)
                .hasMessage(codeAndMessage[1].strip())
                .extracting(e -> ((TaskException) e).statusCode())
                .isEqualTo(Code.valueOf(codeAndMessage[0]));
    }

    @ParameterizedTest(name = "{1} on a {0} init: {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                "created | start      | ok",
                "running | start      | FAILED_PRECONDITION: cannot start a running process",
                "paused  | start      | FAILED_PRECONDITION: cannot start a paused process",
                "stopped | start      | FAILED_PRECONDITION: cannot start a stopped process",
                "created | exec       | ok",
                "running | exec       | ok",
                "paused  | exec       | FAILED_PRECONDITION: cannot exec in a paused state",
                "stopped | exec       | FAILED_PRECONDITION: cannot exec in a stopped state",
                "created | kill       | ok",
                "running | kill       | ok",
                "paused  | kill       | ok",
                "stopped | kill       | NOT_FOUND: process already finished",
                "created | pause      | FAILED_PRECONDITION: cannot pause task in created state",
                "running | pause      | ok",
                "paused  | pause      | FAILED_PRECONDITION: cannot pause a paused container",
                "stopped | pause      | FAILED_PRECONDITION: cannot pause a stopped container",
                "created | resume     | FAILED_PRECONDITION: cannot resume task in created state",
                "running | resume     | FAILED_PRECONDITION: cannot resume a running process",
                "paused  | resume     | ok",
                "stopped | resume     | FAILED_PRECONDITION: cannot resume a stopped container",
                "created | update     | ok",
                "running | update     | ok",
                "paused  | update     | FAILED_PRECONDITION: cannot update a paused container: its VM is paused, resume it first",
                "stopped | update     | FAILED_PRECONDITION: cannot update a stopped container",
                "created | checkpoint | FAILED_PRECONDITION: cannot checkpoint a task in created state",
                "running | checkpoint | ok",
                "paused  | checkpoint | ok",
                "stopped | checkpoint | FAILED_PRECONDITION: cannot checkpoint a stopped container",
                "created | resize     | ok",
                "running | resize     | ok",
                "paused  | resize     | FAILED_PRECONDITION: cannot resize the terminal of a paused container: its VM is paused",
                "stopped | resize     | FAILED_PRECONDITION: cannot resize a stopped container",
                "created | delete     | ok",
                "running | delete     | FAILED_PRECONDITION: cannot delete a running process",
                "paused  | delete     | FAILED_PRECONDITION: cannot delete a paused process",
                "stopped | delete     | ok",
            })
    void initOperations(String state, String operation, String answer) throws Exception {
        initIn(state);
        List<String> before = askedOf(sandbox.guest);
        expect(initOperation(operation), answer);
        if (!answer.equals("ok")) {
            assertThat(askedOf(sandbox.guest))
                    .as("a refused operation reaches no guest")
                    .isEqualTo(before);
        }
    }

    @ParameterizedTest(name = "{1} on a {0} exec: {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                "created | start  | ok",
                "running | start  | FAILED_PRECONDITION: cannot start a running process",
                "stopped | start  | FAILED_PRECONDITION: cannot start a stopped process",
                "created | kill   | FAILED_PRECONDITION: process not created",
                "running | kill   | ok",
                "stopped | kill   | NOT_FOUND: process already finished",
                "created | resize | ok",
                "running | resize | ok",
                "stopped | resize | FAILED_PRECONDITION: cannot resize a stopped container",
                "created | delete | ok",
                "running | delete | FAILED_PRECONDITION: cannot delete a running process",
                "stopped | delete | ok",
            })
    void execOperations(String state, String operation, String answer) throws Exception {
        execIn(state);
        List<String> before = askedOf(sandbox.guest);
        expect(execOperation(operation), answer);
        if (!answer.equals("ok")) {
            assertThat(askedOf(sandbox.guest))
                    .as("a refused operation reaches no guest")
                    .isEqualTo(before);
        }
    }

    @ParameterizedTest(name = "{0} of an exec in a paused container: {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "start  | FAILED_PRECONDITION: cannot start an exec in a paused container",
                "resize | FAILED_PRECONDITION: cannot resize the terminal of a process in a paused container: its VM is paused",
            })
    void execsOfAPausedContainer(String operation, String answer) throws Exception {
        initIn("running");
        tasks.exec("c", "e", new StdioConfig("", "", "", true), TaskServiceTest.PROCESS);
        if (operation.equals("resize")) {
            tasks.start("c", "e");
        }
        tasks.pause("c");
        expect(execOperation(operation), answer);
    }

    @ParameterizedTest(name = "{0} of a created container's exec: {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "start | FAILED_PRECONDITION: cannot start an exec in a created container",
            })
    void execsOfACreatedContainerWaitForItsStart(String operation, String answer) throws Exception {
        initIn("created");
        tasks.exec("c", "e", TaskServiceTest.NO_STDIO, TaskServiceTest.PROCESS);
        expect(execOperation(operation), answer);
        tasks.start("c", "");
        tasks.start("c", "e");
    }

    @ParameterizedTest(name = "{0} without a terminal: {1}")
    @CsvSource(
            delimiter = '|',
            value = {"running | FAILED_PRECONDITION: process c has no terminal"})
    void resizeNeedsATerminal(String state, String answer) throws Exception {
        Path bundle = Files.createDirectories(dir.resolve("b"));
        Files.writeString(
                bundle.resolve("config.json"),
                "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sh\"],"
                        + "\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\"}}");
        tasks.create(new CreateTask("c", bundle, List.of(), TaskServiceTest.NO_STDIO, ""));
        tasks.start("c", "");
        expect(initOperation("resize"), answer);
    }
}
