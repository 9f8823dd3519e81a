package io.jvmm.shim;

import io.jvmm.shim.cli.BootstrapAnswer;
import io.jvmm.shim.cli.ContainerdVersionQuery;
import io.jvmm.shim.cli.GroupId;
import io.jvmm.shim.cli.RuntimeOptions;
import io.jvmm.shim.cli.ShimFlags;
import io.jvmm.shim.cli.SocketAddress;
import io.jvmm.ttrpc.InheritedListener;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code containerd-shim-jvmm-v2 start}: finds the server of the container's group (its pod) or binds the
 * group's socket and starts a server on it, writes the bundle's {@code address} file and prints the
 * bootstrap answer. The server is fully detached: a new session, no stdio of containerd's, not
 * containerd's child.
 */
final class StartAction {
    /** Connections containerd may open before the server JVM serves them (its first call, a sandbox's containers). */
    private static final int BACKLOG = 128;

    private static final int STDIN = 0;
    /** Beside the group sockets: the containerd versions already asked ({@code ContainerdVersionQuery}). */
    static final String VERSION_CACHE = "jvmm-containerd-versions";

    private static final Duration SETSID_EXIT = Duration.ofSeconds(10);

    private final ShimFlags flags;
    private final Path bundle;
    private final Path defaultSocketDir;
    private final List<String> serverCommand;

    /**
     * @param defaultSocketDir where group sockets go unless containerd names a directory
     * @param serverCommand how to run the server (this binary again, see {@link #selfCommand}); the
     *     server's flags are appended
     */
    StartAction(ShimFlags flags, Path bundle, Path defaultSocketDir, List<String> serverCommand) {
        this.flags = flags;
        this.bundle = bundle;
        this.defaultSocketDir = defaultSocketDir;
        this.serverCommand = List.copyOf(serverCommand);
    }

    void run(byte[] stdin, OutputStream out) throws IOException, InterruptedException {
        var params = BootstrapAnswer.bootstrapParams(stdin, flags.id(), flags.namespace());
        Path dir = params.filter(p -> p.hasSocketDir() && !p.getSocketDir().isEmpty())
                .map(p -> Path.of(p.getSocketDir()))
                .orElse(defaultSocketDir);
        // containerd's version decides the answer's format: asked first (on a thread of its own), read last.
        ContainerdVersionQuery version = ContainerdVersionQuery.start(
                params.isPresent() ? "" : flags.publishBinary(), defaultSocketDir.resolve(VERSION_CACHE));
        Optional<Path> configPath = RuntimeOptions.configPath(stdin);
        if (configPath.isPresent()) {
            // The server and a later delete read it from the bundle (they get no options of their own).
            Files.writeString(
                    bundle.resolve(RuntimeConfig.BUNDLE_NOTE), configPath.get().toString());
        }
        String group = GroupId.of(bundle, flags.id());
        Path socket = SocketAddress.socketPath(dir, flags.address(), flags.namespace(), group);
        Files.createDirectories(dir);
        // One start at a time per group: without it two starts could both find no server, and the second
        // would delete the socket the first has just bound and start a second server for the same group.
        try (GroupStartLock lock = GroupStartLock.acquire(lockPath(socket))) {
            if (!accepts(socket)) {
                Files.deleteIfExists(socket);
                startServer(socket, lock);
            }
        }
        String address = SocketAddress.uri(socket);
        Files.writeString(bundle.resolve("address"), address);
        byte[] answer = params.isPresent()
                ? BootstrapAnswer.forBootstrapParams(address)
                : BootstrapAnswer.forVersion(version.version(), address);
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
        if (!Files.exists(socket, LinkOption.NOFOLLOW_LINKS)
                && !Files.exists(lockPath(socket), LinkOption.NOFOLLOW_LINKS)) {
            // Its server removed both (the usual case when containerd runs delete after a shim exited): taking
            // the lock would create a lock file only to delete it, and leave it behind if this process were
            // killed in between (containerd kills a delete that takes too long). A start that creates the
            // group meanwhile keeps its files either way.
            return;
        }
        Files.createDirectories(socket.getParent());
        try (GroupStartLock lock = GroupStartLock.acquire(lockPath(socket))) {
            if (!accepts(socket)) {
                Files.deleteIfExists(socket);
                lock.deleteFile();
            }
        }
    }

    /**
     * Binds the group's socket here and hands it to a new server, as containerd's shims do: the address
     * answers as soon as this returns (containerd's first call waits in the backlog until the server JVM
     * serves it), so {@code start} costs one JVM start, not two. A start that cannot spawn its server
     * leaves no socket or lock file behind (containerd runs no delete after a failed start).
     */
    private void startServer(Path socket, GroupStartLock lock) throws IOException, InterruptedException {
        int listener = InheritedListener.open(socket, BACKLOG);
        boolean moved = false;
        try {
            // ProcessBuilder passes a child no descriptor but 0, 1 and 2: the listener travels as stdin.
            InheritedListener.moveTo(listener, STDIN);
            moved = true;
            spawnServer(socket);
        } catch (IOException | RuntimeException | InterruptedException e) {
            if (!moved) {
                InheritedListener.close(listener);
            }
            Files.deleteIfExists(socket);
            lock.deleteFile();
            throw e;
        }
        // Descriptor 0 stays open until this process exits, moments from now: closed, it would be the
        // number the next file opened here gets.
    }

    /**
     * Starts the server through {@code setsid -f}, which forks it into a session of its own and returns at
     * once; waiting for that return leaves no thread of this JVM blocked in waitpid on a server that runs
     * on (the JVM's exit waits up to 300 ms for threads in native code).
     */
    private void spawnServer(Path socket) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("setsid", "-f"));
        command.addAll(serverCommand);
        command.addAll(flags.serverArgs(socket));
        ProcessBuilder server = new ProcessBuilder(command)
                .directory(bundle.toFile())
                .redirectInput(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(bundle.resolve("shim.err").toFile());
        server.environment().put(ServerListener.FD_VARIABLE, Integer.toString(STDIN));
        Process setsid = server.start();
        if (!setsid.waitFor(SETSID_EXIT.toMillis(), TimeUnit.MILLISECONDS)) {
            setsid.destroyForcibly();
            throw new IOException("setsid did not return within " + SETSID_EXIT.toSeconds() + " s");
        }
        if (setsid.exitValue() != 0) {
            throw new IOException("setsid could not start the server (exit " + setsid.exitValue() + "): "
                    + tail(bundle.resolve("shim.err")));
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

    /** How to run this binary again: the wrapper script names itself; otherwise this JVM's command line. */
    static List<String> selfCommand() {
        String wrapper = System.getenv("JVMM_SHIM_BINARY");
        if (wrapper != null && !wrapper.isEmpty()) {
            return List.of(wrapper);
        }
        String java = ProcessHandle.current()
                .info()
                .command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
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
}
