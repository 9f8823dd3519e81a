package io.jvmm.vmm;

/**
 * Everything that can go wrong with a VM, each kind with its own type. They carry no status code: to
 * containerd a failing VM is the shim's own failure (UNKNOWN with this message), and the task layer turns
 * the ones that are the caller's business into its own refusals first.
 */
public abstract sealed class VmException extends RuntimeException {
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
    }

    /** The VM is not in a state where the action makes sense. */
    public static final class IllegalTransition extends VmException {
        private static final long serialVersionUID = 1L;

        public IllegalTransition(String message) {
            super(message, null);
        }
    }

    /** The monitor or a helper did not start, or died during boot. */
    public static final class BootFailed extends VmException {
        private static final long serialVersionUID = 1L;

        public BootFailed(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A deadline passed while waiting for the monitor or the guest. */
    public static final class Timeout extends VmException {
        private static final long serialVersionUID = 1L;

        public Timeout(String message) {
            super(message, null);
        }
    }

    /** The monitor refused a command or its control socket failed. */
    public static final class MonitorError extends VmException {
        private static final long serialVersionUID = 1L;

        public MonitorError(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
