package io.jvmm.vmm.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Stands in for a VM monitor's API on its unix socket: records every request, checks it against the
 * monitor's OpenAPI spec, and answers as the spec says (204, or 400 with the Error shape when the
 * request does not validate or a failure was injected for that path).
 */
final class RecordingApiServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request as received, and what the spec check found. */
    record Recorded(String method, String path, JsonNode body, List<String> errors) {}

    private final OpenApiSpec spec;
    private final ServerSocketChannel server;
    private final Path socket;
    private final List<Recorded> requests = new CopyOnWriteArrayList<>();
    private final Map<String, String> failures = new ConcurrentHashMap<>();
    private final Map<String, String> answers = new ConcurrentHashMap<>();
    private final Map<String, Consumer<JsonNode>> effects = new ConcurrentHashMap<>();

    RecordingApiServer(OpenApiSpec spec, Path socket) throws IOException {
        this.spec = spec;
        this.socket = socket;
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread.ofPlatform().daemon(true).name("recording-api").start(this::serve);
    }

    List<Recorded> requests() {
        return List.copyOf(requests);
    }

    /** The next request to {@code method path} fails with a 400 and this fault message. */
    void failNext(String method, String path, String message) {
        failures.put(method + " " + path, message);
    }

    /** A 200 answer with this JSON for {@code method path}. */
    void answer(String method, String path, String json) {
        answers.put(method + " " + path, json);
    }

    /**
     * What the real monitor does on a successful {@code method path} besides answering, for instance
     * writing the snapshot files the request names; run before the answer is sent.
     */
    void onSuccess(String method, String path, Consumer<JsonNode> effect) {
        effects.put(method + " " + path, effect);
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel client = server.accept()) {
                handle(Channels.newInputStream(client), Channels.newOutputStream(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(InputStream in, OutputStream out) throws IOException {
        String[] requestLine = line(in).split(" ");
        int length = 0;
        for (String header = line(in); !header.isEmpty(); header = line(in)) {
            if (header.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(header.substring(15).trim());
            }
        }
        byte[] body = in.readNBytes(length);
        String method = requestLine[0];
        String path = requestLine[1];
        JsonNode json = body.length == 0 ? null : JSON.readTree(body);
        List<String> errors = check(method, path, json);
        requests.add(new Recorded(method, path, json, errors));
        String injected = failures.remove(method + " " + path);
        if (!errors.isEmpty() || injected != null) {
            String message = injected != null ? injected : String.join("; ", errors);
            respond(out, 400, JSON.writeValueAsString(Map.of("fault_message", message)));
            return;
        }
        effects.getOrDefault(method + " " + path, b -> {}).accept(json);
        if (answers.containsKey(method + " " + path)) {
            respond(out, 200, answers.get(method + " " + path));
        } else {
            respond(out, 204, "");
        }
    }

    private List<String> check(String method, String path, JsonNode body) {
        var operation = spec.operation(method, path);
        if (operation.isEmpty()) {
            return List.of("no operation " + method + " " + path + " in the spec");
        }
        var schema = spec.requestSchema(operation.get());
        List<String> errors = new ArrayList<>();
        if (schema.isPresent() && body != null) {
            errors.addAll(spec.validate(schema.get(), body));
        } else if (schema.isPresent() && spec.bodyRequired(operation.get())) {
            errors.add(method + " " + path + " requires a body");
        } else if (schema.isEmpty() && body != null) {
            errors.add(method + " " + path + " takes no body");
        }
        return errors;
    }

    private static void respond(OutputStream out, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                + "\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b != '\n' && b >= 0; b = in.read()) {
            if (b != '\r') {
                line.write(b);
            }
        }
        return line.toString(StandardCharsets.US_ASCII);
    }

    @Override
    public void close() throws IOException {
        server.close();
        Files.deleteIfExists(socket);
    }
}
