package io.jvmm.task;

import io.jvmm.task.event.TaskEvent;
import io.jvmm.task.process.ExitStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/** A task service over a {@link FakeSandbox} and its {@link FakeGuest}, with bundles below {@code dir}. */
final class TaskFixture implements AutoCloseable {
    final Path dir;
    final List<TaskEvent> events = new CopyOnWriteArrayList<>();
    final FakeSandbox sandbox = new FakeSandbox();
    final FakeGuest guest = sandbox.guest;
    final TaskService tasks = new TaskService("default", () -> sandbox, events::add);

    TaskFixture(Path dir) {
        this.dir = dir;
    }

    /** A Create of {@code id} with a bundle of its own (a busybox-like spec, no stdio). */
    CreateTask request(String id) {
        try {
            Path bundle = Files.createDirectories(dir.resolve(id));
            Files.writeString(
                    bundle.resolve("config.json"),
                    "{\"ociVersion\":\"1.0.2\",\"process\":{\"args\":[\"sleep\",\"1\"],"
                            + "\"cwd\":\"/\"},\"root\":{\"path\":\"rootfs\"}}");
            return new CreateTask(id, bundle, List.of(), TaskServiceTest.NO_STDIO, "");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void createAndStart(String id) {
        tasks.create(request(id));
        tasks.start(id, "");
    }

    int awaitExit(String id, String execId) {
        return exitOf(id, execId).status();
    }

    /** The exit of {@code id}'s process {@code execId}, waited for up to {@code SOON}. */
    ExitStatus exitOf(String id, String execId) {
        return tasks.await(id, execId, Optional.of(TaskServiceTest.SOON), new CompletableFuture<>());
    }

    /** Waits (up to {@code SOON}) until the sandbox was asked to {@code call}. */
    void awaitSandboxCall(String call) throws InterruptedException {
        long deadline = System.nanoTime() + TaskServiceTest.SOON.toNanos();
        while (!sandbox.calls.contains(call) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    @Override
    public void close() {
        tasks.close();
    }
}
