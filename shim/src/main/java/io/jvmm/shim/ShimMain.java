package io.jvmm.shim;

import io.jvmm.api.Identifiers;
import io.jvmm.shim.cli.ShimFlags;
import io.jvmm.shim.cli.SocketAddress;
import io.jvmm.shim.metrics.MonitorCommand;
import io.jvmm.task.sandbox.StateRoot;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.apache.logging.log4j.LogManager;

/**
 * {@code containerd-shim-jvmm-v2}: {@code -v}, {@code start}, {@code delete}, or (no action) the
 * long-running server, exactly as containerd invokes its shims. The working directory is the bundle.
 * No logger is touched before the server has pointed logging at the bundle's log fifo.
 */
public final class ShimMain {
    public static final String VERSION = "0.1.0";
    public static final String RUNTIME = "io.containerd.jvmm.v2";

    private ShimMain() {}

    public static void main(String[] args) {
        System.exit(run(List.of(args)));
    }

    static int run(List<String> args) {
        PrintStream err = System.err;
        if (!args.isEmpty() && args.getFirst().equals("templates")) {
            return templates(args.subList(1, args.size()), System.out, err);
        }
        if (!args.isEmpty() && args.getFirst().equals("monitor")) {
            return monitor(args.subList(1, args.size()), System.out, err);
        }
        ShimFlags flags;
        try {
            flags = ShimFlags.parse(args);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            return 2;
        }
        if (flags.version()) {
            System.out.println("containerd-shim-jvmm-v2:\n  Version:  " + VERSION + "\n  Runtime:  " + RUNTIME);
            return 0;
        }
        if (flags.info()) {
            err.println("-info is not supported by " + RUNTIME);
            return 1;
        }
        Path bundle = flags.bundle().orElse(Path.of("").toAbsolutePath());
        try {
            return switch (flags.action()) {
                case "start" -> {
                    requireIdentity(flags);
                    new StartAction(flags, bundle, SocketAddress.DEFAULT_DIR, StartAction.selfCommand())
                            .run(System.in.readAllBytes(), System.out);
                    yield 0;
                }
                case "delete" -> {
                    requireIdentity(flags);
                    new DeleteAction(flags, bundle, RuntimeConfig.load(RuntimeConfig.location(bundle))).run(System.out);
                    yield 0;
                }
                case "" -> serve(flags, bundle);
                // Not containerd actions: the AOT training runs of packaging/shim/install.sh, one cache each
                // for start and delete (JVMs that must come and go fast) and for the server.
                case "aot-training-start" -> ShimTraining.start();
                case "aot-training-serve" -> ShimTraining.serve(RuntimeConfig.location());
                case "aot-training-delete" -> ShimTraining.delete(RuntimeConfig.location());
                default -> {
                    err.println("unknown action " + flags.action() + " (expected start or delete)");
                    yield 2;
                }
            };
        } catch (IOException | RuntimeException e) {
            err.println(RUNTIME + " " + flags.action() + ": " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    /** The operators' command over the template registry (not a containerd action). */
    static int templates(List<String> args, PrintStream out, PrintStream err) {
        try {
            RuntimeConfig config = RuntimeConfig.load(RuntimeConfig.location());
            return new TemplatesCommand(config.stateRootPath(), config.templateLimits(), config::settings, out, err)
                    .run(args);
        } catch (IOException | RuntimeException e) {
            err.println(RUNTIME + " templates: " + e.getMessage());
            return 1;
        }
    }

    /** The operators' metrics endpoint for every shim of the host (not a containerd action). */
    static int monitor(List<String> args, PrintStream out, PrintStream err) {
        try {
            RuntimeConfig config = RuntimeConfig.load(RuntimeConfig.location());
            return new MonitorCommand(StateRoot.canonical(config.stateRootPath())).run(args, out, err);
        } catch (IOException | RuntimeException e) {
            err.println(RUNTIME + " monitor: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
    }

    private static int serve(ShimFlags flags, Path bundle) throws IOException, InterruptedException {
        requireIdentity(flags);
        ShimLogging.init(bundle, flags.debug());
        Path socket = flags.socket().orElseThrow(() -> new IllegalArgumentException("the server needs -socket"));
        ServerListener listener = ServerListener.fromEnvironment(socket);
        try {
            Path configFile = RuntimeConfig.location(bundle);
            RuntimeConfig config = RuntimeConfig.load(configFile);
            new ShimServer(flags, bundle, listener, config.settings(), configFile.toAbsolutePath(), config.metricsOn())
                    .serve();
            return 0;
        } catch (IOException | RuntimeException e) {
            // start has already answered containerd: its log (the bundle's fifo) is where this shows.
            LogManager.getLogger(ShimMain.class).error("the shim server cannot start: {}", e.getMessage());
            try {
                listener.abandon();
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private static void requireIdentity(ShimFlags flags) {
        if (flags.namespace().isEmpty()
                || flags.id().isEmpty()
                || flags.address().isEmpty()) {
            throw new IllegalArgumentException("-namespace, -id and -address are required");
        }
        Identifiers.validate("namespace", flags.namespace());
        Identifiers.validate("container", flags.id());
    }
}
