package io.jvmm.task.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * A checkpoint's manifest sealed with a key only this host's runtime holds (HMAC-SHA256), so a restore
 * trusts a manifest only if a jvmm shim wrote it: the manifest names the SHA-256 of every file, and
 * whatever else travels through containerd's image store (the VM state QEMU's migration loader parses,
 * the root disk) is checked against it before use. A checkpoint restored on another host needs the
 * same key file there (docs/security.md).
 */
public final class CheckpointSeal {
    static final String KEY_FILE = "checkpoint.key";
    private static final String MAC = "HmacSHA256";

    private final byte[] key;

    private CheckpointSeal(byte[] key) {
        this.key = key;
    }

    /** The host's seal: its key read from {@code stateRoot}, made there (owner-only) the first time. */
    public static CheckpointSeal of(Path stateRoot) throws IOException {
        Path file = StateRoot.canonical(stateRoot).resolve(KEY_FILE);
        if (!Files.exists(file)) {
            Files.createDirectories(file.getParent());
            byte[] fresh = new byte[32];
            new SecureRandom().nextBytes(fresh);
            Path tmp = Files.createTempFile(
                    file.getParent(),
                    KEY_FILE,
                    ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try {
                Files.write(tmp, fresh);
                Files.createLink(file, tmp); // fails if another shim made the key meanwhile: its key stands
            } catch (FileAlreadyExistsException e) {
                // the other shim's key is the one
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        byte[] key = Files.readAllBytes(file);
        if (key.length != 32) {
            throw new IOException("the checkpoint key " + file + " is not 32 bytes");
        }
        return new CheckpointSeal(key);
    }

    /** The seal of {@code manifest}'s exact bytes, as hex. */
    String sign(byte[] manifest) {
        try {
            Mac mac = Mac.getInstance(MAC);
            mac.init(new SecretKeySpec(key, MAC));
            return HexFormat.of().formatHex(mac.doFinal(manifest));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    /** Whether {@code seal} is this host's seal of {@code manifest} (compared in constant time). */
    boolean verify(byte[] manifest, String seal) {
        return MessageDigest.isEqual(
                sign(manifest).getBytes(StandardCharsets.US_ASCII), seal.strip().getBytes(StandardCharsets.US_ASCII));
    }
}
