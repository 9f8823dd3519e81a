package io.jvmm.e2e.vm;

import io.jvmm.ttrpc.testing.GoPeer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The guest kernel, initrd and runtime disk, built by packaging/guest from Debian packages (cached). */
public record GuestImage(Path kernel, Path initrd, Path runtimeDisk) {
    private static GuestImage built;

    public static synchronized GuestImage get() {
        if (built == null) {
            Path root = GoPeer.repoRoot();
            Path initrdDir = Path.of(run(List.of(
                    "bash", root.resolve("packaging/guest/build-initrd.sh").toString())));
            Path runtime = Path.of(run(List.of(
                    "bash",
                    root.resolve("packaging/guest/build-runtime.sh").toString(),
                    root.resolve("guest-agent/target").toString())));
            built = new GuestImage(initrdDir.resolve("vmlinuz"), initrdDir.resolve("initrd.img"), runtime);
        }
        return built;
    }

    /** The busybox-static package the image builder downloaded, for container root file systems. */
    static Path busyboxDeb() throws IOException {
        try (var files = Files.list(Path.of("/var/cache/jvmm/guest/debs"))) {
            return files.filter(p -> p.getFileName().toString().startsWith("busybox-static_"))
                    .findFirst()
                    .orElseThrow(() -> new IOException("busybox-static package not in /var/cache/jvmm/guest/debs"));
        }
    }

    static String run(List<String> command) {
        GoPeer.Result result = GoPeer.run(command, 600);
        if (result.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + result.stderr());
        }
        String[] lines = result.stdout().strip().split("\n");
        return lines[lines.length - 1];
    }
}
