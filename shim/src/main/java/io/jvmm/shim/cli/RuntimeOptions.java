package io.jvmm.shim.cli;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.jvmm.api.containerd.runtimeoptions.v1.Options;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The runtime options containerd hands {@code start} on stdin (a protobuf Any). CRI sends
 * {@code runtimeoptions.v1.Options} for every non-runc runtime, carrying the {@code ConfigPath} of the
 * runtime's {@code options} table in containerd's config: where this runtime's configuration file is.
 */
public final class RuntimeOptions {
    static final String TYPE = "runtimeoptions.v1.Options";

    private RuntimeOptions() {}

    /** The configuration path the options name, if stdin holds runtimeoptions with one. */
    public static Optional<Path> configPath(byte[] stdin) {
        if (stdin.length == 0) {
            return Optional.empty();
        }
        try {
            Any any = Any.parseFrom(stdin);
            if (!any.getTypeUrl().equals(TYPE) && !any.getTypeUrl().endsWith("/" + TYPE)) {
                return Optional.empty();
            }
            String path = Options.parseFrom(any.getValue()).getConfigPath();
            if (path.isEmpty()) {
                return Optional.empty();
            }
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException(
                        "runtime options: ConfigPath must be absolute, not \"" + path + "\"");
            }
            return Optional.of(Path.of(path));
        } catch (InvalidProtocolBufferException e) {
            return Optional.empty();
        }
    }
}
