package io.jvmm.shim.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import io.jvmm.api.containerd.bootstrap.BootstrapParams;
import io.jvmm.api.containerd.bootstrap.BootstrapResult;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code start} prints, in the richest form the calling containerd accepts (nothing in the
 * environment says which version calls: MAX_SHIM_VERSION is 2 everywhere). containerd 2.3+ sends a
 * BootstrapParams protobuf on stdin and gets a BootstrapResult back; otherwise the version comes from
 * {@code <publish-binary> --version}: 2.x gets JSON version 3 (Task v3), 1.7 JSON version 2, older or
 * unknown the plain address every version reads.
 */
public final class BootstrapAnswer {
    private static final Pattern VERSION = Pattern.compile("\\bv?(\\d+)\\.(\\d+)\\.\\d+");

    private BootstrapAnswer() {}

    /** The containerd version, when stdin is the 2.3+ bootstrap message for this shim. */
    public static Optional<BootstrapParams> bootstrapParams(byte[] stdin, String id, String namespace) {
        if (stdin.length == 0) {
            return Optional.empty();
        }
        try {
            BootstrapParams p = BootstrapParams.parseFrom(stdin);
            return p.getInstanceId().equals(id) && p.getNamespace().equals(namespace)
                    ? Optional.of(p)
                    : Optional.empty();
        } catch (InvalidProtocolBufferException e) {
            return Optional.empty();
        }
    }

    public static byte[] forBootstrapParams(String address) {
        return BootstrapResult.newBuilder()
                .setVersion(3)
                .setAddress(address)
                .setProtocol("ttrpc")
                .build()
                .toByteArray();
    }

    /** The answer for a containerd of {@code major.minor} (empty when unknown). */
    public static byte[] forVersion(Optional<int[]> version, String address) {
        if (version.isEmpty()) {
            return address.getBytes(StandardCharsets.UTF_8);
        }
        int major = version.get()[0];
        int minor = version.get()[1];
        if (major >= 2) {
            return json(3, address);
        }
        if (major == 1 && minor >= 7) {
            return json(2, address);
        }
        return address.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] json(int version, String address) {
        return ("{\"version\":" + version + ",\"address\":\""
                        + address.replace("\\", "\\\\").replace("\"", "\\\"") + "\",\"protocol\":\"ttrpc\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    public static Optional<int[]> parseVersion(String versionOutput) {
        String[] words = versionOutput.strip().split("\\s+");
        // "containerd <package> <version> <revision>": the version is the third word.
        String candidate = words.length >= 3 ? words[2] : versionOutput;
        Matcher m = VERSION.matcher(candidate);
        if (!m.find()) {
            return Optional.empty();
        }
        return Optional.of(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
    }
}
