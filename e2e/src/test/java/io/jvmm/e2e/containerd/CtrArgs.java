package io.jvmm.e2e.containerd;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The {@code ctr run} argument lists the tests build again and again, in one place. */
final class CtrArgs {
    private CtrArgs() {}

    /**
     * {@code run [-d | --rm] --snapshotter native --runtime <runtime> [--runtime-config-path <config>]
     * <options> <image> <id> <command>}: detached when {@code detached}, else removed when it ends; the
     * runtime's configuration file only when {@code config} is not null.
     */
    static List<String> run(
            boolean detached, String runtime, Path config, List<String> options, String id, String... command) {
        List<String> args = new ArrayList<>(List.of("run", detached ? "-d" : "--rm", "--snapshotter", "native"));
        args.addAll(List.of("--runtime", runtime));
        if (config != null) {
            args.addAll(List.of("--runtime-config-path", config.toString()));
        }
        args.addAll(options);
        args.addAll(List.of(PrivateContainerd.IMAGE, id));
        args.addAll(List.of(command));
        return args;
    }

    /** {@link #run} as an array, for {@link PrivateContainerd#ctr}. */
    static String[] array(List<String> args) {
        return args.toArray(String[]::new);
    }
}
