package io.jvmm.shim;

import io.jvmm.shim.cli.BootstrapAnswer;
import io.jvmm.shim.cli.RuntimeOptions;
import java.util.Optional;
import io.jvmm.shim.cli.GroupId;
import io.jvmm.shim.cli.ShimFlags;
import io.jvmm.shim.cli.SocketAddress;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code containerd-shim-jvmm-v2 start}: finds or starts the server of the container's group (its pod),
 * waits until it accepts connections, writes the bundle's {@code address} file and prints the bootstrap
 * answer. The server is fully detached: a new session, no inherited stdio, not containerd's child.
 */
final class StartAction {
    /**
     * A server JVM listens within a second on an idle host; twenty starting at once beside as many
     * emulated guests on two cores take far longer, and containerd puts no deadline on {@code start}.
     */
    private static final Duration SERVER_READY = Duration.ofSeconds(120);

    private final ShimFlags flags;
    private final Path bundle;

    StartAction(ShimFlags flags, Path bundle) {
        this.flags = flags;
        this.bundle = bundle;
    }

    void run(byte[] stdin, OutputStream out) throws IOException, InterruptedException {
        var params = BootstrapAnswer.bootstrapParams(stdin, flags.id(), flags.namespace());
        Path dir = params.filter(p -> p.hasSocketDir() && !p.getSocketDir().isEmpty())
                .map(p -> Path.of(p.getSocketDir())).orElse(SocketAddress.DEFAULT_DIR);
        Optional<Path> configPath = RuntimeOptions.configPath(stdin);
        if (configPath.isPresent()) {
            // The server and a later delete read it from the bundle (they get no options of their own).
            Files.writeString(bundle.resolve(RuntimeConfig.BUNDLE_NOTE), configPath.get().toString());
        }
        String group = GroupId.of(bundle, flags.id());
        Path socket = SocketAddress.socketPath(dir, flags.address(), flags.namespace(), group);
        Files.createDirectories(dir);
        // One start at a time per group: without it a second start could delete the socket the first one's
        // server has just bound (as stale) and start a second server for the same group.
        try (GroupStartLock lock = GroupStartLock.acquire(lockPath(socket))) {
            if (!accepts(socket)) {
                Files.deleteIfExists(socket);
                startAndAwaitServer(socket, lock);
            }
        }
        String address = SocketAddress.uri(socket);
        Files.writeString(bundle.resolve("address"), address);
        byte[] answer = params.isPresent() ? BootstrapAnswer.forBootstrapParams(address)
                : BootstrapAnswer.forVersion(BootstrapAnswer.containerdVersion(flags.publishBinary()), address);
        out.write(answer);
        out.flush();
    }

    /** The lock file of a group's socket (removed by {@code delete} with the socket). */
    static Path lockPath(Path socket) {
        return socket.resolveSibling(socket.getFileName() + ".lock");
    }

    /**
     * Removes a group's socket and start lock file once no server answers there, under the group's lock as
     * a start would take it, so a start that brought the group back meanwhile keeps both. Used by the
     * server as it exits and by {@code delete}.
     */
    static void removeGroupFiles(Path socket) throws IOException {
        Files.createDirectories(socket.getParent());
        try (GroupStartLock lock = GroupStartLock.acquire(lockPath(socket))) {
            if (!accepts(socket)) {
                Files.deleteIfExists(socket);
                lock.deleteFile();
            }
        }
    }

    /** A server that never came up leaves no lock file behind (containerd runs no delete after a failed start). */
    private void startAndAwaitServer(Path socket, GroupStartLock lock) throws IOException, InterruptedException {
        try {
            startServer(socket);
        } catch (IOException | RuntimeException e) {
            if (!accepts(socket)) {
                lock.deleteFile();
            }
            throw e;
        }
    }

    private void startServer(Path socket) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("setsid"));
        command.addAll(selfCommand());
        command.addAll(flags.serverArgs(socket));
        Path err = bundle.resolve("shim.err");
        Process server = new ProcessBuilder(command).directory(bundle.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(err.toFile())
                .start();
        long deadline = System.nanoTime() + SERVER_READY.toNanos();
        while (!accepts(socket)) {
            if (!server.isAlive()) {
                // Two starts for one group can race; the loser's server finds the socket taken and exits.
                if (accepts(socket)) {
                    return;
                }
                throw new IOException("the shim server exited with " + server.exitValue() + ": " + tail(err));
            }
            if (System.nanoTime() > deadline) {
                server.destroyForcibly();
                throw new IOException("the shim server did not listen on " + socket + " within " + SERVER_READY.toSeconds() + " s");
            }
            Thread.sleep(5);
        }
    }

    /** How to run this binary again: the wrapper script names itself; otherwise this JVM's command line. */
    private static List<String> selfCommand() {
        String wrapper = System.getenv("JVMM_SHIM_BINARY");
        if (wrapper != null && !wrapper.isEmpty()) {
            return List.of(wrapper);
        }
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return List.of(java, "-cp", System.getProperty("java.class.path"), ShimMain.class.getName());
    }

    static boolean accepts(Path socket) {
        if (!Files.exists(socket)) {
            return false;
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String tail(Path file) {
        try {
            String text = Files.readString(file).strip();
            return text.length() > 2000 ? text.substring(text.length() - 2000) : text;
        } catch (IOException e) {
            return "(no output)";
        }
    }
}
