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
    private final InitProcess init;
    private final Map<String, ExecProcess> execs = new ConcurrentHashMap<>();
    private volatile boolean beingDeleted;

    public Container(String id, Path bundle, InitProcess init) {
        this.id = id;
        this.bundle = bundle;
        this.init = init;
    }

    public String id() {
        return id;
    }

    public Path bundle() {
        return bundle;
    }

    public InitProcess init() {
        return init;
    }

    /** The init for an empty exec id, else that exec; NOT_FOUND if there is none. */
    public TaskProcess process(String execId) {
        if (execId == null || execId.isEmpty()) {
            return init;
        }
        return exec(execId);
    }

    /** That exec; NOT_FOUND if there is none. */
    public ExecProcess exec(String execId) {
        ExecProcess p = execs.get(execId);
        if (p == null) {
            throw TaskException.notFound("exec " + execId + " not found in container " + id);
        }
        return p;
    }

    public void addExec(ExecProcess exec) {
        if (execs.putIfAbsent(exec.execId(), exec) != null) {
            throw TaskException.alreadyExists("id " + exec.execId() + ": exec already exists in container " + id);
        }
    }

    public void removeExec(String execId) {
        execs.remove(execId);
    }

    /** Its state allowed a Delete, which is under way: containerd is done with it. */
    public void markBeingDeleted() {
        beingDeleted = true;
    }

    public boolean isBeingDeleted() {
        return beingDeleted;
    }

    public List<ExecProcess> execs() {
        return List.copyOf(execs.values());
    }
}
