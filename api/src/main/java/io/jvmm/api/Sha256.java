package io.jvmm.api;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * SHA-256 as lower-case hex, the one helper for the shim's socket names (as containerd derives them),
 * short directory names under the state root, and the hashes that snapshot and checkpoint manifests name.
 */
public final class Sha256 {
    private Sha256() {}

    /** The hash of {@code text} in UTF-8. */
    public static String hex(String text) {
        return HexFormat.of().formatHex(CompactSha256.digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** The first {@code bytes} bytes of {@link #hex(String)}'s hash ({@code 2 * bytes} digits): short names. */
    public static String shortHex(String text, int bytes) {
        return HexFormat.of().formatHex(CompactSha256.digest(text.getBytes(StandardCharsets.UTF_8)), 0, bytes);
    }

    /** The hash of the files' contents one after the other, read in 64 KiB pieces. */
    public static String ofFiles(List<Path> files) throws IOException {
        MessageDigest digest = digest();
        byte[] buffer = new byte[1 << 16];
        for (Path file : files) {
            try (InputStream in = Files.newInputStream(file)) {
                for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                    digest.update(buffer, 0, n);
                }
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
