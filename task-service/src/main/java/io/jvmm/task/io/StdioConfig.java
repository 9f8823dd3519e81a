package io.jvmm.task.io;

/**
 * Where a process's stdio goes on the host, as containerd names it: a fifo path, {@code file:///path},
 * {@code binary:///path?args}, or empty for none. With a terminal, stdout carries the terminal and
 * stderr is unused.
 */
public record StdioConfig(String stdin, String stdout, String stderr, boolean terminal) {
    public StdioConfig {
        stdin = stdin == null ? "" : stdin;
        stdout = stdout == null ? "" : stdout;
        stderr = stderr == null ? "" : stderr;
        IoTarget.parse(stdin, "stdin");
        IoTarget.parse(stdout, "stdout");
        IoTarget.parse(stderr, "stderr");
    }

    public boolean hasStdin() {
        return !stdin.isEmpty();
    }

    public boolean hasStdout() {
        return !stdout.isEmpty();
    }

    public boolean hasStderr() {
        return !terminal && !stderr.isEmpty();
    }
}
