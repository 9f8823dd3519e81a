package io.jvmm.vmm.http;

import io.jvmm.api.json.Json;
import io.jvmm.api.json.JsonObject;
import io.jvmm.vmm.VmException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A VM monitor's REST API over its unix socket, with JSON bodies: every non-2xx answer becomes a
 * {@link VmException.MonitorError} carrying the monitor's own message (Firecracker's fault_message).
 */
public final class MonitorApi {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final UnixHttpClient http;
    private final String name;

    public MonitorApi(String name, Path socket) {
        this.name = name;
        this.http = new UnixHttpClient(socket);
    }

    public JsonObject put(String path, Object body) {
        return call("PUT", path, body);
    }

    public JsonObject patch(String path, Object body) {
        return call("PATCH", path, body);
    }

    public JsonObject get(String path) {
        return call("GET", path, null);
    }

    private JsonObject call(String method, String path, Object body) {
        UnixHttpClient.Response response;
        try {
            response = http.send(method, path, body == null ? null : Json.write(body), TIMEOUT);
        } catch (IOException e) {
            throw new VmException.MonitorError(name + " API " + method + " " + path + ": " + e.getMessage(), e);
        }
        JsonObject answer = parse(response.body());
        if (!response.isSuccess()) {
            String fault = answer.text("fault_message", response.body());
            throw new VmException.MonitorError(
                    name + " API " + method + " " + path + " failed (" + response.status() + "): " + fault, null);
        }
        return answer;
    }

    /** The answer's object; an empty body is an empty one, and one that is no JSON object is the fault message. */
    private static JsonObject parse(String body) {
        if (body.isBlank()) {
            return new JsonObject();
        }
        try {
            if (Json.parse(body) instanceof JsonObject o) {
                return o;
            }
        } catch (IOException e) {
            // not JSON: the text itself says what went wrong
        }
        return new JsonObject(Map.of("fault_message", body));
    }
}
