package io.jvmm.api.json;

import java.io.IOException;

/** A JSON document that does not fit the record it was read into; the message names the member. */
public final class JsonBindingException extends IOException {
    public JsonBindingException(String message) {
        super(message);
    }
}
