package io.jvmm.guest;

import io.jvmm.mux.StreamMux;
import io.jvmm.ttrpc.ServiceDefinition;
import io.jvmm.ttrpc.plain.PlainServer;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The agent's ports over the virtio-serial port {@value #NAME}, when the VM has one (VMs that are saved
 * as templates, and their clones, have no vsock device): the same control service and stdio server as on
 * vsock, reached through the host's stream mux.
 */
final class SerialAgentPort {
    static final String NAME = "jvmm.agent";
    private static final Path PORTS = Path.of("/sys/class/virtio-ports");

    private SerialAgentPort() {}

    /** The device of the port named {@value #NAME} ({@code /dev/vportNpM}), if the VM has it. */
    static Optional<Path> find() throws IOException {
        if (!Files.isDirectory(PORTS)) {
            return Optional.empty();
        }
        try (Stream<Path> ports = Files.list(PORTS)) {
            return ports.filter(p -> named(p, NAME))
                    .map(p -> Path.of("/dev").resolve(p.getFileName()))
                    .findFirst();
        }
    }

    private static boolean named(Path port, String name) {
        try {
            return Files.readString(port.resolve("name")).strip().equals(name);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Serves {@code service} and stdio on the port's mux; returns the control server. The device is opened once for reading and
     * writing (virtio-serial lets one opener in at a time).
     */
    static PlainServer serve(
            Path device,
            ServiceDefinition service,
            ContainerRegistry registry,
            int controlPort,
            int stdioPort,
            HostileGuest hostile)
            throws IOException {
        RandomAccessFile file = new RandomAccessFile(device.toFile(), "rw");
        FileOutputStream pipe = new FileOutputStream(file.getFD());
        hostile.muxPipe(pipe);
        StreamMux mux = StreamMux.guest("agent-serial", new FileInputStream(file.getFD()), pipe);
        PlainServer server = PlainServer.serve(mux.listen(controlPort), "serial port " + device, List.of(service));
        StdioServer.start(registry, mux.listen(stdioPort));
        return server;
    }
}
