package io.jvmm.task.process;

import io.jvmm.task.TaskException;

/**
 * An exec process in one of its states, answering its operations as containerd's runc shim does
 * ({@code process/exec_state.go}). An exec has no paused state of its own: while its container's VM is
 * paused it reports PAUSED (as runc's exec reports its container's pause) and stays running here.
 */
public sealed interface ExecState {
    /** What an exec's operations do once its state allows them. */
    interface Work {
        void start();

        void signal(int signal, boolean all);

        void resize(int width, int height);

        /** The guest forgets the exec; {@code started}: it ran there (else there is nothing to forget). */
        void delete(boolean started);
    }

    ProcessStatus status();

    default ExecState start(Work w) {
        throw TaskException.failedPrecondition("cannot start a " + status().adjective() + " process");
    }

    default ExecState kill(Work w, int signal, boolean all) {
        w.signal(signal, all);
        return this;
    }

    default ExecState resize(Work w, int width, int height) {
        w.resize(width, height);
        return this;
    }

    default ExecState delete(Work w) {
        throw TaskException.failedPrecondition("cannot delete a " + status().adjective() + " process");
    }

    default ExecState exited() {
        return new Stopped();
    }

    record Created() implements ExecState {
        @Override
        public ProcessStatus status() {
            return ProcessStatus.CREATED;
        }

        @Override
        public ExecState start(Work w) {
            w.start();
            return new Running();
        }

        /** Nothing runs yet to receive it (runc's exec answers the same). */
        @Override
        public ExecState kill(Work w, int signal, boolean all) {
            throw TaskException.failedPrecondition("process not created");
        }

        @Override
        public ExecState delete(Work w) {
            w.delete(false);
            return new Deleted();
        }
    }

    record Running() implements ExecState {
        @Override
        public ProcessStatus status() {
            return ProcessStatus.RUNNING;
        }
    }

    record Stopped() implements ExecState {
        @Override
        public ProcessStatus status() {
            return ProcessStatus.STOPPED;
        }

        @Override
        public ExecState kill(Work w, int signal, boolean all) {
            throw TaskException.notFound("process already finished");
        }

        @Override
        public ExecState resize(Work w, int width, int height) {
            throw TaskException.failedPrecondition("cannot resize a stopped container");
        }

        @Override
        public ExecState delete(Work w) {
            w.delete(true);
            return new Deleted();
        }

        @Override
        public ExecState exited() {
            return this;
        }
    }

    record Deleted() implements ExecState {
        @Override
        public ProcessStatus status() {
            return ProcessStatus.DELETED;
        }

        @Override
        public ExecState kill(Work w, int signal, boolean all) {
            throw TaskException.notFound("process already finished");
        }

        @Override
        public ExecState resize(Work w, int width, int height) {
            throw TaskException.failedPrecondition("cannot resize a deleted process");
        }

        @Override
        public ExecState exited() {
            return this;
        }
    }
}
