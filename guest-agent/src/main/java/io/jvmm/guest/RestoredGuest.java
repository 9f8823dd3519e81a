package io.jvmm.guest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What init does at boot and a guest restored from a snapshot must do when the host asks, because the
 * devices arrive after the restore: mount the virtiofs share, configure the pod's network card.
 * busybox's mount and ip do the work (as they do for init).
 */
final class RestoredGuest {
    static final Path SHARE = Path.of("/run/jvmm/share");
    /** As for a container disk: plenty for a loaded, emulated guest; only a device that never comes waits this long. */
    private static final long DEVICE_WAIT_MS = 120_000;

    private RestoredGuest() {}

    /** Mounts the share with {@code tag} (its device was just plugged: retried until it is there). */
    static void mountShare(String tag) throws IOException {
        if (!tag.matches("[A-Za-z0-9_.-]{1,36}")) {
            throw Refusal.invalidArgument("share tag \"" + tag + "\" is not a valid virtiofs tag");
        }
        Files.createDirectories(SHARE);
        if (Files.readString(Path.of("/proc/self/mounts")).contains(" " + SHARE + " virtiofs ")) {
            return;
        }
        long deadline = System.currentTimeMillis() + DEVICE_WAIT_MS;
        while (true) {
            try {
                run(List.of("mount", "-t", "virtiofs", tag, SHARE.toString()));
                return;
            } catch (IOException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
                pause();
            }
        }
    }

    /** Configures eth0 from "<address/prefix>,<gateway or empty>,<mtu>", once the card has appeared. */
    static void configureNetwork(String network) throws IOException {
        String[] parts = network.split(",", -1);
        if (parts.length != 3
                || !parts[0].matches("[0-9.]+/[0-9]{1,2}")
                || !parts[1].matches("[0-9.]*")
                || !parts[2].matches("[0-9]{3,5}")) {
            throw Refusal.invalidArgument("network \"" + network + "\" is not <address/prefix>,<gateway>,<mtu>");
        }
        long deadline = System.currentTimeMillis() + DEVICE_WAIT_MS;
        while (!Files.exists(Path.of("/sys/class/net/eth0"))) {
            if (System.currentTimeMillis() > deadline) {
                throw new IOException("no eth0 appeared within " + DEVICE_WAIT_MS + " ms");
            }
            pause();
        }
        run(List.of("ip", "link", "set", "eth0", "mtu", parts[2], "up"));
        run(List.of("ip", "addr", "add", parts[0], "dev", "eth0"));
        if (!parts[1].isEmpty()) {
            run(List.of("ip", "route", "add", "default", "via", parts[1]));
        }
    }

    private static void pause() throws IOException {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Runs a busybox command, bounded in time; its output is the error message when it fails. */
    static void run(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " timed out");
            }
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
