package io.jvmm.api.json;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A JSON object as {@link Json#parse} gives it: its members in document order. The accessors read a
 * document the way a tolerant reader does (a missing or mistyped member is "absent"), so callers check
 * what they require and pass on the rest untouched.
 */
public final class JsonObject extends LinkedHashMap<String, Object> {
    public JsonObject() {}

    public JsonObject(Map<String, ?> members) {
        super(members);
    }

    /** The member as text: a string as it is, a number or boolean printed, anything else (or none) "". */
    public String text(String name) {
        return text(name, "");
    }

    /** The same, with {@code absent} when the member is missing, null, an object or an array. */
    public String text(String name, String absent) {
        Object value = get(name);
        return value instanceof String || value instanceof Number || value instanceof Boolean
                ? Json.text(value)
                : absent;
    }

    /** The member if it is a number (truncated to a whole one), else {@code absent}. */
    public long number(String name, long absent) {
        return get(name) instanceof Number n ? n.longValue() : absent;
    }

    /** The member if it is an object, else null. */
    public JsonObject object(String name) {
        return get(name) instanceof JsonObject o ? o : null;
    }

    /** The member if it is an object, else an empty one (not added), so it can be read either way. */
    public JsonObject objectOrEmpty(String name) {
        return get(name) instanceof JsonObject o ? o : new JsonObject();
    }

    /** The member if it is an array, else an empty one (not added), so it can be iterated either way. */
    public JsonArray array(String name) {
        return get(name) instanceof JsonArray a ? a : new JsonArray();
    }

    /** The member object, made (and added) empty when there is none or it is not an object. */
    public JsonObject with(String name) {
        if (get(name) instanceof JsonObject o) {
            return o;
        }
        JsonObject made = new JsonObject();
        put(name, made);
        return made;
    }

    /** A copy sharing nothing mutable with this one. */
    public JsonObject deepCopy() {
        JsonObject copy = new JsonObject();
        forEach((k, v) -> copy.put(k, Json.deepCopy(v)));
        return copy;
    }
}
