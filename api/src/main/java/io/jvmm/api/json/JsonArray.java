package io.jvmm.api.json;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** A JSON array as {@link Json#parse} gives it. */
public final class JsonArray extends ArrayList<Object> {
    public JsonArray() {}

    public JsonArray(Collection<?> elements) {
        super(elements);
    }

    /** The elements that are objects, in order (others skipped). */
    public List<JsonObject> objects() {
        List<JsonObject> objects = new ArrayList<>();
        for (Object e : this) {
            if (e instanceof JsonObject o) {
                objects.add(o);
            }
        }
        return objects;
    }

    /** Every element as {@link Json#text} reads it. */
    public List<String> texts() {
        return stream().map(Json::text).toList();
    }

    JsonArray deepCopy() {
        JsonArray copy = new JsonArray();
        forEach(e -> copy.add(Json.deepCopy(e)));
        return copy;
    }
}
