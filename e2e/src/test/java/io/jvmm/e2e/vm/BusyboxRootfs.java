package io.jvmm.e2e.vm;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A container root file system with nothing but busybox-static in it, made offline from the Debian package. */
public final class BusyboxRootfs {
    private static final List<String> APPLETS = List.of(
            "sh",
            "echo",
            "cat",
            "sleep",
            "yes",
            "head",
            "dd",
            "sha256sum",
            "ls",
            "ps",
            "kill",
            "true",
            "false",
            "hostname",
            "wc",
            "seq",
            "tr",
            "env",
            "id",
            "stty",
            "tty");

    private BusyboxRootfs() {}

    public static Path create(Path dir) throws IOException {
        Path unpacked = Files.createTempDirectory("jvmm-busybox");
        try {
            GuestImage.run(List.of("dpkg", "-x", GuestImage.busyboxDeb().toString(), unpacked.toString()));
            Path bin = Files.createDirectories(dir.resolve("bin"));
            Files.copy(unpacked.resolve("bin/busybox"), bin.resolve("busybox"));
            for (String applet : APPLETS) {
                Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
            }
            for (String d : List.of("proc", "sys", "dev", "tmp", "etc")) {
                Files.createDirectories(dir.resolve(d));
            }
            Files.writeString(dir.resolve("etc/passwd"), "root:x:0:0:root:/:/bin/sh\n");
            return dir;
        } finally {
            GuestImage.run(List.of("rm", "-rf", unpacked.toString()));
        }
    }
}
