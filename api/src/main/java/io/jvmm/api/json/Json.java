package io.jvmm.api.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * JSON documents as plain values, on Jackson's streaming parser and generator alone: objects are
 * {@link JsonObject}, arrays {@link JsonArray}, numbers {@code Long}, {@code BigInteger} or {@code Double},
 * then {@code String}, {@code Boolean} and null. The shim reads and writes small documents (its
 * configuration, OCI specs, QMP messages, manifests); Jackson's data binding loads some 800 classes for
 * them, which cost a resident shim about 13 MiB and its start some 150 ms.
 */
public final class Json {
    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    private Json() {}

    /** One JSON document; anything after it, or malformed text, is an {@link IOException}. */
    public static Object parse(byte[] json) throws IOException {
        try (JsonParser p = FACTORY.createParser(json)) {
            return document(p);
        }
    }

    public static Object parse(String json) throws IOException {
        try (JsonParser p = FACTORY.createParser(json)) {
            return document(p);
        }
    }

    public static Object parse(Path file) throws IOException {
        return parse(Files.readAllBytes(file));
    }

    private static Object document(JsonParser p) throws IOException {
        JsonToken first = p.nextToken();
        if (first == null) {
            throw new IOException("no JSON document (empty input)");
        }
        Object value = value(p, first);
        if (p.nextToken() != null) {
            throw new IOException("unexpected " + p.currentToken() + " after the JSON document at "
                    + p.currentLocation().offsetDescription());
        }
        return value;
    }

    private static Object value(JsonParser p, JsonToken token) throws IOException {
        return switch (token) {
            case START_OBJECT -> object(p);
            case START_ARRAY -> array(p);
            case VALUE_STRING -> p.getText();
            case VALUE_NUMBER_INT ->
                p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                        ? p.getBigIntegerValue()
                        : (Object) p.getLongValue();
            case VALUE_NUMBER_FLOAT -> p.getDoubleValue();
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default ->
                throw new IOException(
                        "unexpected " + token + " at " + p.currentLocation().offsetDescription());
        };
    }

    private static JsonObject object(JsonParser p) throws IOException {
        JsonObject o = new JsonObject();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            String name = p.currentName();
            o.put(name, value(p, p.nextToken()));
        }
        return o;
    }

    private static JsonArray array(JsonParser p) throws IOException {
        JsonArray a = new JsonArray();
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            a.add(value(p, t));
        }
        return a;
    }

    /** Compact JSON of a value: maps, iterables, records, strings, numbers, booleans, enums, null. */
    public static String write(Object value) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            write(g, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** UTF-8 JSON of a value, indented when {@code pretty} (files people read, such as manifests). */
    public static byte[] writeBytes(Object value, boolean pretty) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            if (pretty) {
                g.useDefaultPrettyPrinter();
            }
            write(g, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void write(JsonGenerator g, Object value) throws IOException {
        switch (value) {
            case null -> g.writeNull();
            case String s -> g.writeString(s);
            case Boolean b -> g.writeBoolean(b);
            case Integer i -> g.writeNumber(i);
            case Long l -> g.writeNumber(l);
            case BigInteger b -> g.writeNumber(b);
            case BigDecimal d -> g.writeNumber(d);
            case Number n -> g.writeNumber(n.doubleValue());
            case Enum<?> e -> g.writeString(e.name());
            case Record r -> write(g, JsonRecords.toObject(r));
            case Map<?, ?> m -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    g.writeFieldName(String.valueOf(e.getKey()));
                    write(g, e.getValue());
                }
                g.writeEndObject();
            }
            case Iterable<?> it -> {
                g.writeStartArray();
                for (Object e : it) {
                    write(g, e);
                }
                g.writeEndArray();
            }
            default ->
                throw new IllegalArgumentException(
                        "no JSON form for " + value.getClass().getName());
        }
    }

    /** A value as text: a string as it is, a number or boolean printed, anything else "". */
    public static String text(Object value) {
        return switch (value) {
            case String s -> s;
            case Number n -> n.toString();
            case Boolean b -> b.toString();
            case null, default -> "";
        };
    }

    static Object deepCopy(Object value) {
        return switch (value) {
            case JsonObject o -> o.deepCopy();
            case JsonArray a -> a.deepCopy();
            case null, default -> value;
        };
    }
}
