package io.jvmm.vmm.contract;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A monitor's API description (Swagger 2 for Firecracker, OpenAPI 3 for Cloud Hypervisor), used to
 * check every request a driver sends: the operation must exist, and its body must satisfy the schema.
 * Stricter than the spec in one way: properties the schema does not declare are errors, because a
 * monitor would silently ignore a misspelt field.
 */
final class OpenApiSpec {
    private final JsonNode root;
    private final String basePath;

    private OpenApiSpec(JsonNode root, String basePath) {
        this.root = root;
        this.basePath = basePath;
    }

    /** A spec vendored in this module's test resources ({@code vmm-api/}, as the monitors publish them). */
    static OpenApiSpec load(String file, String basePath) throws IOException {
        try (var in = OpenApiSpec.class.getResourceAsStream("/vmm-api/" + file)) {
            if (in == null) {
                throw new IOException("no vmm-api/" + file + " among the test resources");
            }
            return new OpenApiSpec(new ObjectMapper(new YAMLFactory()).readTree(in), basePath);
        }
    }

    /** The operation for a request, if the spec has one. */
    Optional<JsonNode> operation(String method, String path) {
        String relative = path.startsWith(basePath) ? path.substring(basePath.length()) : path;
        Iterator<Map.Entry<String, JsonNode>> paths = root.path("paths").fields();
        while (paths.hasNext()) {
            Map.Entry<String, JsonNode> entry = paths.next();
            if (matches(entry.getKey(), relative)) {
                JsonNode op = entry.getValue().get(method.toLowerCase(Locale.ROOT));
                return Optional.ofNullable(op);
            }
        }
        return Optional.empty();
    }

    private static boolean matches(String template, String path) {
        String regex = template.replaceAll("\\{[^/]+}", "[^/]+").replace(".", "\\.");
        return path.matches(regex);
    }

    /** The request body schema of an operation: Swagger 2 body parameter or OpenAPI 3 requestBody. */
    Optional<JsonNode> requestSchema(JsonNode operation) {
        for (JsonNode p : operation.path("parameters")) {
            if (p.path("in").asText().equals("body")) {
                return Optional.of(p.get("schema"));
            }
        }
        JsonNode schema = operation
                .path("requestBody")
                .path("content")
                .path("application/json")
                .path("schema");
        return schema.isMissingNode() ? Optional.empty() : Optional.of(schema);
    }

    boolean bodyRequired(JsonNode operation) {
        for (JsonNode p : operation.path("parameters")) {
            if (p.path("in").asText().equals("body")) {
                return p.path("required").asBoolean(false);
            }
        }
        return operation.path("requestBody").path("required").asBoolean(false);
    }

    /** The errors of {@code value} against {@code schema}; empty when it validates. */
    List<String> validate(JsonNode schema, JsonNode value) {
        List<String> errors = new ArrayList<>();
        check(resolve(schema), value, "$", errors);
        return errors;
    }

    private JsonNode resolve(JsonNode schema) {
        JsonNode current = schema;
        while (current.has("$ref")) {
            JsonNode target = root;
            for (String part : current.get("$ref").asText().substring(2).split("/")) {
                target = target.path(part);
            }
            if (target.isMissingNode()) {
                throw new IllegalStateException(
                        "unresolved $ref " + current.get("$ref").asText());
            }
            current = target;
        }
        return current;
    }

    private void check(JsonNode schema, JsonNode value, String at, List<String> errors) {
        String type = schema.path("type").asText(schema.has("properties") ? "object" : "");
        switch (type) {
            case "object" -> checkObject(schema, value, at, errors);
            case "array" -> {
                if (!value.isArray()) {
                    errors.add(at + ": expected an array");
                    return;
                }
                for (int i = 0; i < value.size(); i++) {
                    check(resolve(schema.path("items")), value.get(i), at + "[" + i + "]", errors);
                }
            }
            case "string" -> {
                if (!value.isTextual()) {
                    errors.add(at + ": expected a string");
                }
            }
            case "integer" -> {
                if (!value.isIntegralNumber()) {
                    errors.add(at + ": expected an integer");
                } else {
                    checkRange(schema, value, at, errors);
                }
            }
            case "number" -> {
                if (!value.isNumber()) {
                    errors.add(at + ": expected a number");
                }
            }
            case "boolean" -> {
                if (!value.isBoolean()) {
                    errors.add(at + ": expected a boolean");
                }
            }
            default -> {}
        }
        if (schema.has("enum")) {
            boolean found = false;
            for (JsonNode allowed : schema.get("enum")) {
                found |= allowed.asText().equals(value.asText());
            }
            if (!found) {
                errors.add(at + ": " + value + " is not one of " + schema.get("enum"));
            }
        }
    }

    private void checkObject(JsonNode schema, JsonNode value, String at, List<String> errors) {
        if (!value.isObject()) {
            errors.add(at + ": expected an object");
            return;
        }
        for (JsonNode required : schema.path("required")) {
            if (!value.has(required.asText())) {
                errors.add(at + ": missing required property " + required.asText());
            }
        }
        JsonNode properties = schema.path("properties");
        value.fields().forEachRemaining(field -> {
            JsonNode propertySchema = properties.get(field.getKey());
            if (propertySchema == null) {
                errors.add(at + ": property " + field.getKey() + " is not in the schema");
            } else {
                check(resolve(propertySchema), field.getValue(), at + "." + field.getKey(), errors);
            }
        });
    }

    private static void checkRange(JsonNode schema, JsonNode value, String at, List<String> errors) {
        if (schema.has("minimum") && value.asLong() < schema.get("minimum").asLong()) {
            errors.add(at + ": " + value + " is below the minimum " + schema.get("minimum"));
        }
        if (schema.has("maximum") && value.asLong() > schema.get("maximum").asLong()) {
            errors.add(at + ": " + value + " is above the maximum " + schema.get("maximum"));
        }
    }
}
