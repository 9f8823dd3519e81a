package io.jvmm.task.io;

import io.jvmm.task.TaskException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** One stdio destination as containerd writes it, parsed and checked once. */
public sealed interface IoTarget {
    /** Not connected. */
    record None() implements IoTarget {}

    /** A fifo (or other file) containerd's client opened: a plain absolute path. */
    record Fifo(Path path) implements IoTarget {}

    /** {@code file:///path}: output appended to a file the shim creates. */
    record File(Path path) implements IoTarget {}

    /** {@code binary:///path?k=v}: a logging program that reads stdout on fd 3 and stderr on fd 4. */
    record Binary(Path path, List<String> args) implements IoTarget {}

    static IoTarget parse(String value, String stream) {
        if (value == null || value.isEmpty()) {
            return new None();
        }
        if (value.startsWith("/")) {
            return new Fifo(absolute(value, stream));
        }
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw TaskException.invalidArgument(stream + " \"" + value + "\" is neither an absolute path nor a URI", e);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        return switch (scheme) {
            case "fifo" -> new Fifo(absolute(uri.getPath(), stream));
            case "file" -> new File(absolute(uri.getPath(), stream));
            case "binary" -> new Binary(absolute(uri.getPath(), stream), queryArgs(uri));
            default ->
                throw TaskException.invalidArgument(
                        stream + " \"" + value + "\": unsupported scheme (use a fifo path, file:// or binary://)");
        };
    }

    private static Path absolute(String path, String stream) {
        if (path == null || !path.startsWith("/")) {
            throw TaskException.invalidArgument(stream + " path must be absolute, not \"" + path + "\"");
        }
        Path p = Path.of(path).normalize();
        if (!p.toString()
                .equals(path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path)) {
            throw TaskException.invalidArgument(stream + " path \"" + path + "\" must not contain . or .. segments");
        }
        return p;
    }

    /** containerd passes each query key, then its value when non-empty, as arguments. */
    private static List<String> queryArgs(URI uri) {
        List<String> args = new ArrayList<>();
        String query = uri.getRawQuery();
        if (query == null || query.isEmpty()) {
            return args;
        }
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String val = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            args.add(key);
            if (!val.isEmpty()) {
                args.add(val);
            }
        }
        return args;
    }
}
