package io.jvmm.vmm.qemu;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A QMP monitor on a unix socket for tests: greets as QEMU 7.2 does, accepts capabilities, and answers
 * every other command line with what {@code answer} gives ({@code $ID} replaced by the command's id;
 * {@code null} hangs up). Every line received is kept.
 */
final class ScriptedMonitor implements AutoCloseable {
    final List<String> received = new CopyOnWriteArrayList<>();
    final Path socket;
    private final ServerSocketChannel listener;
    private final Thread thread;

    ScriptedMonitor(Path socket, Function<String, List<String>> answer) throws IOException {
        this.socket = socket;
        listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(socket));
        thread = Thread.ofPlatform().daemon(true).start(() -> serve(answer));
    }

    /** A monitor that answers every command with an empty return. */
    static ScriptedMonitor acceptingAll(Path socket) throws IOException {
        return new ScriptedMonitor(socket, line -> List.of("{\"return\": {}, \"id\": $ID}"));
    }

    private void serve(Function<String, List<String>> answer) {
        try (SocketChannel ch = listener.accept();
                BufferedReader in = new BufferedReader(
                        new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8))) {
            OutputStream out = Channels.newOutputStream(ch);
            send(
                    out,
                    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 19, \"minor\": 2, \"major\": 7}}, \"capabilities\": [\"oob\"]}}");
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                received.add(line);
                List<String> replies = line.contains("qmp_capabilities")
                        ? List.of("{\"return\": {}, \"id\": " + id(line) + "}")
                        : answer.apply(line);
                if (replies == null) {
                    return; // hang up
                }
                for (String reply : replies) {
                    send(out, reply.replace("$ID", id(line)));
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    /** The commands received after the capabilities handshake, as {@code execute} names. */
    List<String> commands() {
        return received.stream()
                .skip(1)
                .map(l -> l.replaceAll(".*\"execute\":\"([^\"]+)\".*", "$1"))
                .toList();
    }

    private static String id(String line) {
        return line.replaceAll(".*\"id\":(\\d+).*", "$1");
    }

    private static void send(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Stops listening and waits for the serving thread to end. */
    @Override
    public void close() throws IOException {
        listener.close();
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            throw new IllegalStateException("the scripted monitor did not stop");
        }
    }
}
