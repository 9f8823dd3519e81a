package io.jvmm.task.sandbox;

/**
 * What a sandbox will hold, known when its VM starts: it decides how containers' roots reach its VM
 * ({@link RootTransport}).
 */
public enum SandboxKind {
    /** One container that needs nothing from the host but its root. */
    LONE_ROOT_ONLY,
    /** One container that bind-mounts host paths, or the first of a group (others join its VM). */
    LONE,
    /** A pod: containers come and go, their binds are known only as each is created. */
    POD
}
