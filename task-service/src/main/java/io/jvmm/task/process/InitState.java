package io.jvmm.task.process;

import io.jvmm.task.TaskException;

/**
 * A container's init process in one of its states, answering every Task operation the way containerd's
 * runc shim does ({@code process/init_state.go}): the work where the state allows it, else the runc shim's
 * refusal (FAILED_PRECONDITION with its words). Each operation returns the state the process is in after
 * it; only {@link InitProcess} keeps the current one. Deliberate differences from runc, where the VM
 * makes them necessary, are marked here and listed in docs/architecture.md.
 */
public sealed interface InitState {
    /** What an init's operations do once its state allows them: the guest's and the VM's part. */
    interface Work {
        void start();

        void exec(ExecProcess exec);

        void signal(int signal, boolean all);

        void pauseVm();

        void resumeVm();

        void update(byte[] resourcesJson);

        /** Saves the VM into the checkpoint; {@code paused}: the task was paused before (it stays so unless {@code exit}). */
        void checkpoint(boolean paused, boolean exit);

        void resize(int width, int height);

        /** Removes the container; {@code started}: its init ran (else the never-started init is ended first). */
        void delete(boolean started);
    }

    ProcessStatus status();

    default InitState start(Work w) {
        throw refuse("cannot start a " + status().adjective() + " process");
    }

    default InitState exec(Work w, ExecProcess exec) {
        throw refuse("cannot exec in a " + status().adjective() + " state");
    }

    default InitState kill(Work w, int signal, boolean all) {
        w.signal(signal, all);
        return this;
    }

    default InitState pause(Work w) {
        throw refuse("cannot pause a " + status().adjective() + " container");
    }

    default InitState resume(Work w) {
        throw refuse("cannot resume a " + status().adjective() + " container");
    }

    default InitState update(Work w, byte[] resourcesJson) {
        w.update(resourcesJson);
        return this;
    }

    default InitState checkpoint(Work w, boolean exit) {
        throw refuse("cannot checkpoint a " + status().adjective() + " container");
    }

    default InitState resize(Work w, int width, int height) {
        w.resize(width, height);
        return this;
    }

    default InitState delete(Work w) {
        throw refuse("cannot delete a " + status().adjective() + " process");
    }

    /** The VM was paused for another container of the sandbox: a running init is paused with it. */
    default InitState vmPaused() {
        return this;
    }

    /** The VM runs again. */
    default InitState vmResumed() {
        return this;
    }

    /** The process exited (seen by the exit watcher). */
    default InitState exited() {
        return new Stopped();
    }

    private static TaskException refuse(String message) {
        return TaskException.failedPrecondition(message);
    }

    /**
     * Not started yet, either way (runc's createdState and createdCheckpointState): Pause, Resume and
     * Checkpoint are refused in runc's words, and Delete removes it (the guest ends its process).
     */
    sealed interface NotStarted extends InitState {
        @Override
        default ProcessStatus status() {
            return ProcessStatus.CREATED;
        }

        @Override
        default InitState pause(Work w) {
            throw refuse("cannot pause task in created state");
        }

        @Override
        default InitState resume(Work w) {
            throw refuse("cannot resume task in created state");
        }

        @Override
        default InitState checkpoint(Work w, boolean exit) {
            throw refuse("cannot checkpoint a task in created state");
        }

        @Override
        default InitState delete(Work w) {
            w.delete(false);
            return new Deleted();
        }
    }

    /** Created in the guest, waiting for Start. */
    record Created() implements NotStarted {
        @Override
        public InitState start(Work w) {
            w.start();
            return new Running();
        }

        @Override
        public InitState exec(Work w, ExecProcess exec) {
            w.exec(exec);
            return this;
        }
    }

    /**
     * Restored from a checkpoint: it already runs in the guest, so Start only records it (runc's
     * {@code createdCheckpointState}, which likewise refuses Exec until then).
     */
    record CreatedFromCheckpoint() implements NotStarted {
        @Override
        public InitState start(Work w) {
            return new Running();
        }
    }

    record Running() implements InitState {
        @Override
        public ProcessStatus status() {
            return ProcessStatus.RUNNING;
        }

        @Override
        public InitState exec(Work w, ExecProcess exec) {
            w.exec(exec);
            return this;
        }

        @Override
        public InitState pause(Work w) {
            w.pauseVm();
            return new Paused();
        }

        @Override
        public InitState resume(Work w) {
            throw refuse("cannot resume a running process");
        }

        @Override
        public InitState checkpoint(Work w, boolean exit) {
            w.checkpoint(false, exit);
            return this;
        }

        @Override
        public InitState vmPaused() {
            return new Paused();
        }
    }

    /**
     * Paused with its whole VM. Differences from runc, whose paused container is a frozen cgroup on a live
     * host: Update and ResizePty are refused, because the guest that would apply them does not run.
     */
    record Paused() implements InitState {
        @Override
        public ProcessStatus status() {
            return ProcessStatus.PAUSED;
        }

        @Override
        public InitState pause(Work w) {
            throw refuse("cannot pause a paused container");
        }

        @Override
        public InitState resume(Work w) {
            w.resumeVm();
            return new Running();
        }

        @Override
        public InitState update(Work w, byte[] resourcesJson) {
            throw refuse("cannot update a paused container: its VM is paused, resume it first");
        }

        @Override
        public InitState checkpoint(Work w, boolean exit) {
            w.checkpoint(true, exit);
            return exit ? new Running() : this;
        }

        @Override
        public InitState resize(Work w, int width, int height) {
            throw refuse("cannot resize the terminal of a paused container: its VM is paused");
        }

        @Override
        public InitState vmResumed() {
            return new Running();
        }
    }

    record Stopped() implements InitState {
        @Override
        public ProcessStatus status() {
            return ProcessStatus.STOPPED;
        }

        /** containerd treats NOT_FOUND from Kill as done (runc: "process already finished"). */
        @Override
        public InitState kill(Work w, int signal, boolean all) {
            throw TaskException.notFound("process already finished");
        }

        @Override
        public InitState update(Work w, byte[] resourcesJson) {
            throw refuse("cannot update a stopped container");
        }

        @Override
        public InitState resize(Work w, int width, int height) {
            throw refuse("cannot resize a stopped container");
        }

        @Override
        public InitState delete(Work w) {
            w.delete(true);
            return new Deleted();
        }

        @Override
        public InitState exited() {
            return this;
        }
    }

    record Deleted() implements InitState {
        @Override
        public ProcessStatus status() {
            return ProcessStatus.DELETED;
        }

        @Override
        public InitState kill(Work w, int signal, boolean all) {
            throw TaskException.notFound("process already finished");
        }

        @Override
        public InitState update(Work w, byte[] resourcesJson) {
            throw refuse("cannot update a deleted container");
        }

        @Override
        public InitState resize(Work w, int width, int height) {
            throw refuse("cannot resize a deleted container");
        }

        @Override
        public InitState exited() {
            return this;
        }
    }
}
