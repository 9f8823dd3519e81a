package io.jvmm.task;

import io.jvmm.task.event.EventSink;
import io.jvmm.task.event.TaskEvent;
import io.jvmm.task.process.Container;
import io.jvmm.task.process.ProcessStatus;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import java.util.function.Function;

/**
 * The Task operations that act on the whole VM, so on every container of the sandbox at once: Pause and
 * Resume (each container whose init changes gets its event) and Checkpoint (the VM is saved whole). Each
 * runs under the sandbox's monitor, then the addressed init's: the order every other operation takes them.
 */
final class WholeVm {
    private final SandboxLifecycle sandbox;
    private final Collection<Container> containers;
    private final Set<String> creating;
    private final EventSink events;
    private final Function<Container, ContainerWork> work;

    /**
     * {@code containers}: a live view of the sandbox's containers; {@code creating}: of the ids whose guest
     * Create is under way (a pause would stall it, a checkpoint would save it half made: both are refused).
     */
    WholeVm(
            SandboxLifecycle sandbox,
            Collection<Container> containers,
            Set<String> creating,
            EventSink events,
            Function<Container, ContainerWork> work) {
        this.sandbox = sandbox;
        this.containers = containers;
        this.creating = creating;
        this.events = events;
        this.work = work;
    }

    void pause(Container c) {
        synchronized (sandbox) {
            refuseWhileCreating("paused");
            c.init().apply(s -> s.pause(work.apply(c)));
            for (Container each : containers) {
                if (each != c) {
                    each.init().apply(s -> s.vmPaused());
                }
                if (each.init().status() == ProcessStatus.PAUSED) {
                    events.publish(new TaskEvent.Paused(each.id()));
                }
            }
        }
    }

    void resume(Container c) {
        synchronized (sandbox) {
            c.init().apply(s -> s.resume(work.apply(c)));
            for (Container each : containers) {
                boolean wasPaused = each == c || each.init().status() == ProcessStatus.PAUSED;
                each.init().apply(s -> s.vmResumed());
                if (wasPaused && each.init().status() == ProcessStatus.RUNNING) {
                    events.publish(new TaskEvent.Resumed(each.id()));
                }
            }
        }
    }

    /**
     * The container's VM saved whole into {@code path} (with its root disk), then running on, or with
     * {@code exit} its container killed (runc's --exit), the VM running again for that.
     */
    void checkpoint(Container c, Path path, boolean exit) {
        synchronized (sandbox) {
            refuseWhileCreating("checkpointed");
            boolean paused = c.init().status() == ProcessStatus.PAUSED;
            c.init().apply(s -> s.checkpoint(work.apply(c).checkpointInto(path), exit));
            if (paused && exit) {
                containers.forEach(each -> each.init().apply(s -> s.vmResumed()));
            }
        }
        events.publish(new TaskEvent.Checkpointed(c.id(), path.toString()));
    }

    /** Under the sandbox's monitor, so no Create reserves an id meanwhile. */
    private void refuseWhileCreating(String what) {
        if (!creating.isEmpty()) {
            throw TaskException.failedPrecondition("the VM cannot be " + what + " while container "
                    + String.join(", ", creating) + " is being created in it");
        }
    }
}
