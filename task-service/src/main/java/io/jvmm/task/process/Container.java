package io.jvmm.task.process;

import io.jvmm.task.TaskException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A container of the sandbox as containerd knows it: its bundle, its init process and its execs. */
public final class Container {
    private final String id;
    private final Path bundle;
    private final TaskProcess init;
    private final Map<String, TaskProcess> execs = new ConcurrentHashMap<>();
    private final boolean restored;

    public Container(String id, Path bundle, TaskProcess init) {
        this(id, bundle, init, false);
    }

    /** {@code restored}: restored from a checkpoint, its init already runs in the guest (Start only records it). */
    public Container(String id, Path bundle, TaskProcess init, boolean restored) {
        this.id = id;
        this.bundle = bundle;
        this.init = init;
        this.restored = restored;
    }

    public boolean restored() {
        return restored;
    }

    public String id() {
        return id;
    }

    public Path bundle() {
        return bundle;
    }

    public TaskProcess init() {
        return init;
    }

    /** The init for an empty exec id, else that exec; NOT_FOUND if there is none. */
    public TaskProcess process(String execId) {
        if (execId == null || execId.isEmpty()) {
            return init;
        }
        TaskProcess p = execs.get(execId);
        if (p == null) {
            throw TaskException.notFound("exec " + execId + " not found in container " + id);
        }
        return p;
    }

    public void addExec(TaskProcess exec) {
        if (execs.putIfAbsent(exec.execId(), exec) != null) {
            throw TaskException.alreadyExists("id " + exec.execId() + ": exec already exists in container " + id);
        }
    }

    public void removeExec(String execId) {
        execs.remove(execId);
    }

    public List<TaskProcess> execs() {
        return List.copyOf(execs.values());
    }
}
