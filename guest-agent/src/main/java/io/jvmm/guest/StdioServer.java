package io.jvmm.guest;

import io.jvmm.sys.FdAcceptor;
import io.jvmm.sys.VsockListener;
import io.jvmm.sys.VsockStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Accepts the host's stdio connections on the stdio port. Each starts with one line,
 * {@code <stdin|stdout|stderr> <container> <exec|->}, after which it carries that stream's raw bytes.
 */
final class StdioServer {
    private static final AgentLog LOG = AgentLog.of(StdioServer.class);
    private static final int MAX_HEADER = 256;

    private final ContainerRegistry registry;
    private final FdAcceptor listener;

    private StdioServer(ContainerRegistry registry, FdAcceptor listener) {
        this.registry = registry;
        this.listener = listener;
    }

    static StdioServer start(ContainerRegistry registry, int port) throws IOException {
        return start(registry, VsockListener.bind(port, 128));
    }

    /** Serves the stdio connections {@code listener} hands out (a vsock port, or a port of the serial mux). */
    static StdioServer start(ContainerRegistry registry, FdAcceptor listener) {
        StdioServer server = new StdioServer(registry, listener);
        Thread.ofPlatform().name("stdio-accept").daemon(true).start(server::acceptLoop);
        return server;
    }

    private void acceptLoop() {
        while (true) {
            VsockStream stream;
            try {
                stream = listener.acceptStream();
            } catch (IOException e) {
                LOG.error("stdio accept failed: {0}", e.getMessage());
                return;
            }
            Thread.ofPlatform().name("stdio-attach").daemon(true).start(() -> attach(stream));
        }
    }

    private void attach(VsockStream stream) {
        try {
            InputStream in = stream.inputStream();
            String[] header = readHeader(in).split(" ");
            if (header.length != 3) {
                throw new IllegalArgumentException("bad stdio header");
            }
            GuestProcess process = registry.get(header[1]).process(header[2].equals("-") ? "" : header[2]);
            switch (header[0]) {
                case "stdout", "stderr" -> process.stdio.pumpOutput(header[0], stream.outputStream(), stream::close);
                case "stdin" -> process.stdio.pumpInput(in, stream::close);
                default -> throw new IllegalArgumentException("unknown stdio stream " + header[0]);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("refusing stdio connection: {0}", e.getMessage());
            stream.close();
        }
    }

    private static String readHeader(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0 || line.length() >= MAX_HEADER) {
                throw new IOException("stdio header missing or too long");
            }
            line.append((char) b);
        }
        return new String(line.toString().getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }
}
