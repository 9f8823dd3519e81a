package io.jvmm.vmm;

import io.jvmm.ttrpc.Code;
import io.jvmm.ttrpc.StatusCarrier;

/** Everything that can go wrong with a VM, each kind with its own type and status code. */
public abstract sealed class VmException extends RuntimeException implements StatusCarrier {
    private static final long serialVersionUID = 1L;

    VmException(String message, Throwable cause) {
        super(message, cause);
    }

    /** The configuration cannot describe a VM (missing kernel, bad sizes, ...). */
    public static final class InvalidConfig extends VmException {
        private static final long serialVersionUID = 1L;

        public InvalidConfig(String message) {
            super(message, null);
        }

        @Override
        public Code statusCode() {
            return Code.INVALID_ARGUMENT;
        }
    }

    /**
     * A snapshot that does not fit the VM it would be restored into (size, kernel, image, format), or whose
     * files are not the ones its manifest describes: refused before any process is started.
     */
    public static final class SnapshotMismatch extends VmException {
        private static final long serialVersionUID = 1L;

        public SnapshotMismatch(String message) {
            super(message, null);
        }

        @Override
        public Code statusCode() {
            return Code.FAILED_PRECONDITION;
        }
    }

    /** The VM is not in a state where the action makes sense. */
    public static final class IllegalTransition extends VmException {
        private static final long serialVersionUID = 1L;

        public IllegalTransition(String message) {
            super(message, null);
        }

        @Override
        public Code statusCode() {
            return Code.FAILED_PRECONDITION;
        }
    }

    /** The monitor or a helper did not start, or died during boot. */
    public static final class BootFailed extends VmException {
        private static final long serialVersionUID = 1L;

        public BootFailed(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public Code statusCode() {
            return Code.INTERNAL;
        }
    }

    /** A deadline passed while waiting for the monitor or the guest. */
    public static final class Timeout extends VmException {
        private static final long serialVersionUID = 1L;

        public Timeout(String message) {
            super(message, null);
        }

        @Override
        public Code statusCode() {
            return Code.DEADLINE_EXCEEDED;
        }
    }

    /** The monitor refused a command or its control socket failed. */
    public static final class MonitorError extends VmException {
        private static final long serialVersionUID = 1L;

        public MonitorError(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public Code statusCode() {
            return Code.INTERNAL;
        }
    }
}
