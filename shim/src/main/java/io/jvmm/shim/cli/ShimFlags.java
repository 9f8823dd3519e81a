package io.jvmm.shim.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The command line containerd gives a shim ({@code -namespace ns -address a -publish-binary b -id x
 * [-bundle dir] [-debug] [start|delete]}), parsed the way Go's flag package does: one or two dashes,
 * {@code -flag value} or {@code -flag=value}, flags before the action.
 */
public record ShimFlags(
        String namespace,
        String address,
        String publishBinary,
        String id,
        Optional<Path> bundle,
        boolean debug,
        boolean version,
        boolean info,
        Optional<Path> socket,
        String action) {

    public static ShimFlags parse(List<String> args) {
        String namespace = "";
        String address = "";
        String publishBinary = "";
        String id = "";
        Path bundle = null;
        Path socket = null;
        boolean debug = false;
        boolean version = false;
        boolean info = false;
        int i = 0;
        while (i < args.size()
                && args.get(i).startsWith("-")
                && !args.get(i).equals("-")
                && !args.get(i).equals("--")) {
            String arg = args.get(i).replaceFirst("^--?", "");
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            String inline = arg.contains("=") ? arg.substring(arg.indexOf('=') + 1) : null;
            switch (name) {
                case "debug" -> debug = inline == null || Boolean.parseBoolean(inline);
                case "v", "version" -> version = true;
                case "info" -> info = true;
                case "namespace", "address", "publish-binary", "id", "bundle", "socket", "debug-socket" -> {
                    String value = inline;
                    if (value == null) {
                        if (i + 1 >= args.size()) {
                            throw new IllegalArgumentException("flag needs an argument: -" + name);
                        }
                        value = args.get(++i);
                    }
                    switch (name) {
                        case "namespace" -> namespace = value;
                        case "address" -> address = value;
                        case "publish-binary" -> publishBinary = value;
                        case "id" -> id = value;
                        case "bundle" -> bundle = Path.of(value);
                        case "socket" -> socket = Path.of(value.replaceFirst("^unix://", ""));
                        default -> {} // -debug-socket: jvmm serves no separate debug socket
                    }
                }
                default -> throw new IllegalArgumentException("flag provided but not defined: -" + name);
            }
            i++;
        }
        if (i < args.size() && args.get(i).equals("--")) {
            i++;
        }
        String action = i < args.size() ? args.get(i) : "";
        if (i + 1 < args.size()) {
            throw new IllegalArgumentException(
                    "unexpected arguments after " + action + ": " + args.subList(i + 1, args.size()));
        }
        return new ShimFlags(
                namespace,
                address,
                publishBinary,
                id,
                Optional.ofNullable(bundle),
                debug,
                version,
                info,
                Optional.ofNullable(socket),
                action);
    }

    /** The flags the long-running server is started with (the action dropped, the socket fixed). */
    public List<String> serverArgs(Path socketPath) {
        List<String> args = new ArrayList<>(List.of(
                "-namespace",
                namespace,
                "-id",
                id,
                "-address",
                address,
                "-publish-binary",
                publishBinary,
                "-socket",
                socketPath.toString()));
        if (debug) {
            args.add("-debug");
        }
        return args;
    }
}
