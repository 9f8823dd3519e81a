package io.jvmm.task.guest;

import io.jvmm.agent.client.StdioStream;
import io.jvmm.task.TaskException;
import io.jvmm.task.io.StdioConfig;
import io.jvmm.task.process.ExitStatus;
import io.jvmm.ttrpc.Code;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * The guest agent as the task service needs it, in domain terms: the seam between the task layer and the
 * agent protocol ({@link AgentGuest} over the real connection, fakes in unit tests). Every call may fail
 * with a {@link io.jvmm.task.TaskException} whose code the host chose from the guest's ({@link GuestErrors}),
 * or with UNAVAILABLE when the agent is gone.
 */
public interface GuestAgent {
    /** Creates the container (its init waiting for start); answers the init's pid in the guest. */
    int createContainer(String id, byte[] specJson, StdioConfig stdio, RootDisk disk);

    /**
     * {@link #createContainer}, undone in the guest when it fails in any way but "exists": a create that
     * timed out here may still finish there, and a retry would then be refused as a duplicate.
     */
    default int createContainerOrUndo(String id, byte[] specJson, StdioConfig stdio, RootDisk disk) {
        try {
            return createContainer(id, specJson, stdio, disk);
        } catch (TaskException e) {
            if (e.statusCode() != Code.ALREADY_EXISTS) {
                try {
                    deleteContainer(id);
                } catch (RuntimeException undo) {
                    e.addSuppressed(undo);
                }
            }
            throw e;
        }
    }

    void startContainer(String id);

    /** Runs an exec; answers its pid in the guest. */
    int exec(String id, String execId, byte[] processJson, StdioConfig stdio);

    void signal(String id, String execId, int signal, boolean all);

    /** The process's exit once it has exited and its output is drained; DEADLINE_EXCEEDED if it still runs. */
    ExitStatus waitProcess(String id, String execId, Duration timeout);

    void resizePty(String id, String execId, int width, int height);

    /** The container's processes in the guest (their guest pids). */
    List<Integer> listProcesses(String id);

    ContainerStats stats(String id);

    /** The same, waiting {@code timeout} at most (DEADLINE_EXCEEDED then). */
    ContainerStats stats(String id, Duration timeout);

    void updateContainer(String id, byte[] resourcesJson);

    /** Removes the container and everything of it; NOT_FOUND when the guest has no such container. */
    void deleteContainer(String id);

    /** Forgets an exited exec (its id may be used again). */
    void deleteProcess(String id, String execId);

    /** Opens one stdio stream of a process (exec id empty for the init). */
    StdioStream openStdio(StdioStream.Kind kind, String id, String execId) throws IOException;

    /** Calls {@code listener} with the container id of every OOM kill, for as long as the connection lives. */
    void onOom(Consumer<String> listener);
}
