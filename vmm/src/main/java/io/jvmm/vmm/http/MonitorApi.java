package io.jvmm.vmm.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvmm.vmm.VmException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A VM monitor's REST API over its unix socket, with JSON bodies: every non-2xx answer becomes a
 * {@link VmException.MonitorError} carrying the monitor's own message (Firecracker's fault_message).
 */
public final class MonitorApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final UnixHttpClient http;
    private final String name;

    public MonitorApi(String name, Path socket) {
        this.name = name;
        this.http = new UnixHttpClient(socket);
    }

    public JsonNode put(String path, Object body) {
        return call("PUT", path, body);
    }

    public JsonNode patch(String path, Object body) {
        return call("PATCH", path, body);
    }

    public JsonNode get(String path) {
        return call("GET", path, null);
    }

    private JsonNode call(String method, String path, Object body) {
        UnixHttpClient.Response response;
        try {
            response = http.send(method, path, body == null ? null : JSON.writeValueAsString(body), TIMEOUT);
        } catch (IOException e) {
            throw new VmException.MonitorError(name + " API " + method + " " + path + ": " + e.getMessage(), e);
        }
        JsonNode answer = parse(response.body());
        if (!response.isSuccess()) {
            String fault = answer.path("fault_message").asText(response.body());
            throw new VmException.MonitorError(name + " API " + method + " " + path + " failed (" + response.status() + "): " + fault, null);
        }
        return answer;
    }

    private static JsonNode parse(String body) {
        if (body.isBlank()) {
            return JSON.createObjectNode();
        }
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.createObjectNode().put("fault_message", body);
        }
    }
}
