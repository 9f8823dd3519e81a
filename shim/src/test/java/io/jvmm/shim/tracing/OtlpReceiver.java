package io.jvmm.shim.tracing;

import com.sun.net.httpserver.HttpServer;
import io.jvmm.api.otlp.collector.ExportTraceServiceRequest;
import io.jvmm.api.otlp.common.KeyValue;
import io.jvmm.api.otlp.trace.ResourceSpans;
import io.jvmm.api.otlp.trace.ScopeSpans;
import io.jvmm.api.otlp.trace.Span;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/** An OTLP/HTTP trace collector for tests: the JDK's HTTP server, decoding each request as OTLP's protobuf. */
public final class OtlpReceiver implements AutoCloseable {
    private final HttpServer server;
    public final List<ExportTraceServiceRequest> requests = new CopyOnWriteArrayList<>();
    public final List<String> contentTypes = new CopyOnWriteArrayList<>();

    public OtlpReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/traces", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
                requests.add(ExportTraceServiceRequest.parseFrom(body.readAllBytes()));
                exchange.sendResponseHeaders(200, -1);
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    /** The base endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT names it. */
    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public List<Span> spans() {
        return requests.stream()
                .flatMap(r -> r.getResourceSpansList().stream())
                .flatMap(rs -> rs.getScopeSpansList().stream())
                .flatMap(s -> s.getSpansList().stream())
                .toList();
    }

    public List<ResourceSpans> resources() {
        return requests.stream().flatMap(r -> r.getResourceSpansList().stream()).toList();
    }

    public static Map<String, String> attributes(List<KeyValue> attributes) {
        return attributes.stream()
                .collect(Collectors.toMap(KeyValue::getKey, kv -> kv.getValue().getStringValue()));
    }

    public static List<String> scopes(ResourceSpans rs) {
        return rs.getScopeSpansList().stream()
                .map(ScopeSpans::getScope)
                .map(s -> s.getName())
                .toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
