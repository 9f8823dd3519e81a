package io.jvmm.task;

import io.jvmm.task.event.TaskEvent;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A test of the task service over a fresh {@link TaskFixture} per test, its parts in fields. */
abstract class TaskFixtureTest {
    @TempDir
    Path dir;

    TaskFixture f;
    TaskService tasks;
    FakeGuest guest;
    FakeSandbox sandbox;
    List<TaskEvent> events;

    @BeforeEach
    void openFixture() {
        f = new TaskFixture(dir);
        tasks = f.tasks;
        guest = f.guest;
        sandbox = f.sandbox;
        events = f.events;
    }

    /** Runs after a subclass's own {@code @AfterEach} (which may first release what the fixture waits on). */
    @AfterEach
    void closeFixture() {
        f.close();
    }
}
