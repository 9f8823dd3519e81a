package io.jvmm.task.sandbox;

import io.jvmm.agent.client.AgentClient;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.qemu.QemuVm;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * Saved, agent-ready guests that sandboxes restore instead of booting (QEMU): one per guest image
 * (kernel, initrd, runtime disk with the agent), VM size and accelerator, in
 * {@code <stateRoot>/t/<key>/guest.vmstate}. The first sandbox that needs one makes it, under a lock so
 * concurrent shims make it once; the file appears only complete ({@link QemuVm#saveSnapshot} writes a
 * temporary file, fsyncs and renames it).
 */
public final class VmTemplates {
    private static final Logger LOG = LogManager.getLogger(VmTemplates.class);
    static final String FILE = "guest.vmstate";

    private VmTemplates() {
    }

    /** The template for this image, size and accelerator, made now if there is none. */
    public static Path ensure(SandboxSettings settings, VmSize size, Accel accel) throws IOException {
        Path dir = settings.stateRoot().resolve("t").resolve(key(settings, size, accel));
        Path file = dir.resolve(FILE);
        if (Files.isRegularFile(file)) {
            return file;
        }
        Files.createDirectories(dir);
        try (FileChannel channel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = channel.lock()) {
            if (!Files.isRegularFile(file)) {
                make(settings, size, accel, dir, file);
            }
        }
        return file;
    }

    private static void make(SandboxSettings settings, VmSize size, Accel accel, Path dir, Path file) throws IOException {
        long begin = System.nanoTime();
        Path work = dir.resolve("vm");
        VmConfig config = new VmConfig(work, settings.kernel(), settings.initrd(), settings.runtimeDisk(), Optional.empty(),
                size.vcpus(), size.memoryMib(), 3, accel, settings.extraKernelArgs());
        QemuVm vm = new QemuVm(config, accel == Accel.KVM, QemuVm.DeviceSetup.SNAPSHOTTABLE);
        try {
            vm.start(settings.bootTimeout());
            try (AgentClient agent = GuestConnector.connect(vm, settings.bootTimeout())) {
                agent.ping(Duration.ofSeconds(10));
                agent.syncAndShrink();
            }
            vm.saveSnapshot(file, settings.bootTimeout());
            LOG.info("made VM template {} ({} vCPU, {} MiB, {}) in {} ms", file, size.vcpus(), size.memoryMib(), accel,
                    (System.nanoTime() - begin) / 1_000_000);
        } finally {
            vm.close();
            VmSandbox.deleteTree(work);
        }
    }

    /** Identifies a template: the image files (path, size, modification time: they are content-named), size, accelerator. */
    static String key(SandboxSettings settings, VmSize size, Accel accel) throws IOException {
        StringBuilder id = new StringBuilder();
        for (Path p : new Path[] {settings.kernel(), settings.initrd(), settings.runtimeDisk().orElse(null)}) {
            if (p != null) {
                id.append(p).append(':').append(Files.size(p)).append(':').append(Files.getLastModifiedTime(p).toMillis()).append('\n');
            }
        }
        id.append(size.vcpus()).append('/').append(size.memoryMib()).append('/').append(accel).append('/').append(settings.extraKernelArgs());
        return VmSandbox.shortHash(id.toString());
    }
}
