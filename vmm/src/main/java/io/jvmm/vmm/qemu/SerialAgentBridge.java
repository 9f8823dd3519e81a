package io.jvmm.vmm.qemu;

import io.jvmm.mux.MuxEndpoint;
import io.jvmm.mux.StreamMux;
import io.jvmm.sys.HybridVsock;
import io.jvmm.vmm.VmException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The guest agent's ports over a virtio-serial port instead of a vsock device, served on the same hybrid
 * vsock socket ({@code CONNECT <port>\n} → {@code OK <port>\n}) so the agent client cannot tell the
 * difference. It connects to QEMU's chardev socket for the port and multiplexes every client connection
 * over it ({@link StreamMux}). A virtio-serial port needs no shared guest memory (vhost-user does) and
 * QEMU 7.2 migrates it: the channel of VMs that are saved, and of their copy-on-write clones.
 */
final class SerialAgentBridge implements Closeable {
    private static final Logger LOG = LogManager.getLogger(SerialAgentBridge.class);
    private static final Duration OPEN_TIMEOUT = Duration.ofSeconds(10);

    private final SocketChannel serial;
    private final StreamMux mux;
    private final ServerSocketChannel listener;
    private final Path hybridSocket;
    private volatile boolean closed;

    private SerialAgentBridge(SocketChannel serial, StreamMux mux, ServerSocketChannel listener, Path hybridSocket) {
        this.serial = serial;
        this.mux = mux;
        this.listener = listener;
        this.hybridSocket = hybridSocket;
    }

    /** Connects to QEMU's chardev socket {@code serialSocket} and listens on {@code hybridSocket}. */
    static SerialAgentBridge start(Path serialSocket, Path hybridSocket) {
        SocketChannel serial = null;
        ServerSocketChannel listener = null;
        try {
            serial = SocketChannel.open(StandardProtocolFamily.UNIX);
            serial.connect(UnixDomainSocketAddress.of(serialSocket));
            StreamMux mux = StreamMux.host("agent-serial", input(serial), output(serial));
            Files.deleteIfExists(hybridSocket);
            listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            listener.bind(UnixDomainSocketAddress.of(hybridSocket));
            SerialAgentBridge bridge = new SerialAgentBridge(serial, mux, listener, hybridSocket);
            Thread.ofPlatform().daemon(true).name("agent-bridge").start(bridge::acceptLoop);
            return bridge;
        } catch (IOException e) {
            closeQuietly(serial);
            closeQuietly(listener);
            throw new VmException.BootFailed(
                    "cannot bridge the agent's serial port " + serialSocket + ": " + e.getMessage(), e);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("agent bridge stops accepting: {}", e.getMessage());
                }
                return;
            }
            Thread.ofPlatform().daemon(true).name("agent-bridge-connect").start(() -> connect(client));
        }
    }

    /** One client: reads its CONNECT line, opens the stream, answers OK, then the mux carries its bytes. */
    private void connect(SocketChannel client) {
        try {
            int port = HybridVsock.parseRequest(HybridVsock.readLine(client, true));
            mux.open(
                    port,
                    MuxEndpoint.of(client),
                    OPEN_TIMEOUT,
                    () -> HybridVsock.write(client, HybridVsock.answer(port)));
        } catch (IOException | RuntimeException e) {
            LOG.debug("agent bridge refused a connection: {}", e.getMessage());
            closeQuietly(client);
        }
    }

    /** Streams over a socket channel that one thread reads while another writes (Channels' streams lock both). */
    private static InputStream input(SocketChannel channel) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return len == 0 ? 0 : channel.read(ByteBuffer.wrap(b, off, len));
            }

            @Override
            public void close() throws IOException {
                channel.close();
            }
        };
    }

    private static OutputStream output(SocketChannel channel) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
            }

            @Override
            public void close() throws IOException {
                channel.close();
            }
        };
    }

    /** Ends every connection and lets go of the port (before a snapshot: the guest keeps no stream of ours). */
    @Override
    public void close() {
        closed = true;
        closeQuietly(listener);
        mux.close();
        closeQuietly(serial);
        try {
            Files.deleteIfExists(hybridSocket);
        } catch (IOException e) {
            LOG.debug("cannot remove {}: {}", hybridSocket, e.getMessage());
        }
    }

    private static void closeQuietly(Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException e) {
                // closing
            }
        }
    }
}
