package io.jvmm.api.json;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Records to and from JSON objects, member per component, as Jackson's data binding does for records:
 * strings, whole numbers, booleans, doubles, nested records, lists of those, and {@link JsonObject} as it
 * is. A member the record does not have is an error (a typo in a configuration file must not go
 * unnoticed); a missing one is null, or zero/false for a primitive.
 */
public final class JsonRecords {
    private JsonRecords() {}

    public static <R extends Record> R read(Object json, Class<R> type) throws JsonBindingException {
        return type.cast(readValue(json, type, type.getSimpleName()));
    }

    /** The record's components, in order, as an object (null components kept as null). */
    public static JsonObject toObject(Record record) {
        JsonObject o = new JsonObject();
        for (RecordComponent c : record.getClass().getRecordComponents()) {
            try {
                c.getAccessor().setAccessible(true);
                o.put(c.getName(), c.getAccessor().invoke(record));
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new IllegalStateException(
                        "cannot read " + c.getName() + " of "
                                + record.getClass().getName(),
                        e);
            }
        }
        return o;
    }

    private static Object readRecord(Object json, Class<?> type, String where) throws JsonBindingException {
        if (!(json instanceof JsonObject o)) {
            throw new JsonBindingException(where + ": expected an object, found " + describe(json));
        }
        RecordComponent[] components = type.getRecordComponents();
        Set<String> unknown = new TreeSet<>(o.keySet());
        Object[] args = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            unknown.remove(c.getName());
            args[i] = readValue(o.get(c.getName()), c.getGenericType(), where + "." + c.getName());
        }
        if (!unknown.isEmpty()) {
            throw new JsonBindingException(where + ": unknown member" + (unknown.size() > 1 ? "s " : " ")
                    + String.join(", ", unknown) + " (known: "
                    + String.join(
                            ", ",
                            Arrays.stream(components)
                                    .map(RecordComponent::getName)
                                    .toList()) + ")");
        }
        try {
            Constructor<?> canonical = type.getDeclaredConstructor(
                    Arrays.stream(components).map(RecordComponent::getType).toArray(Class<?>[]::new));
            canonical.setAccessible(true);
            return canonical.newInstance(args);
        } catch (InvocationTargetException e) {
            throw new JsonBindingException(where + ": " + e.getCause().getMessage());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot construct " + type.getName(), e);
        }
    }

    private static Object readValue(Object json, Type type, String where) throws JsonBindingException {
        if (type instanceof ParameterizedType p && p.getRawType() == List.class) {
            return readList(json, p.getActualTypeArguments()[0], where);
        }
        Class<?> c = (Class<?>) type;
        if (json == null) {
            return c.isPrimitive() ? defaultOf(c) : null;
        }
        if (c.isRecord()) {
            return readRecord(json, c, where);
        }
        if (c == String.class && json instanceof String s) {
            return s;
        }
        if ((c == boolean.class || c == Boolean.class) && json instanceof Boolean b) {
            return b;
        }
        if ((c == int.class || c == Integer.class) && json instanceof Long l && l == l.intValue()) {
            return l.intValue();
        }
        if ((c == long.class || c == Long.class) && json instanceof Long l) {
            return l;
        }
        if ((c == double.class || c == Double.class) && json instanceof Number n) {
            return n.doubleValue();
        }
        if (c == JsonObject.class && json instanceof JsonObject o) {
            return o;
        }
        throw new JsonBindingException(where + ": expected " + c.getSimpleName() + ", found " + describe(json));
    }

    private static List<Object> readList(Object json, Type element, String where) throws JsonBindingException {
        if (json == null) {
            return null;
        }
        if (!(json instanceof JsonArray a)) {
            throw new JsonBindingException(where + ": expected an array, found " + describe(json));
        }
        List<Object> list = new ArrayList<>(a.size());
        for (int i = 0; i < a.size(); i++) {
            list.add(readValue(a.get(i), element, where + "[" + i + "]"));
        }
        return Collections.unmodifiableList(list);
    }

    private static Object defaultOf(Class<?> primitive) {
        if (primitive == boolean.class) {
            return false;
        }
        if (primitive == int.class) {
            return 0;
        }
        if (primitive == long.class) {
            return 0L;
        }
        return 0.0;
    }

    private static String describe(Object json) {
        return switch (json) {
            case null -> "null";
            case JsonObject o -> "an object";
            case JsonArray a -> "an array";
            case String s -> "a string";
            case Boolean b -> "a boolean";
            case Long l -> "the number " + l;
            default -> "the number " + json;
        };
    }
}
