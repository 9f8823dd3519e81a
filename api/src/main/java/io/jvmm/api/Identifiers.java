package io.jvmm.api;

import java.util.regex.Pattern;

/**
 * containerd's identifier rules (pkg/identifiers): letters and digits, with '.', '_' or '-' only
 * between them, at most 76 characters. Anything else, including every path-traversing id, is refused.
 */
public final class Identifiers {
    private static final int MAX_LENGTH = 76;
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*");

    private Identifiers() {}

    /** Returns the id if valid; otherwise throws IllegalArgumentException naming the problem. */
    public static String validate(String kind, String id) {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException(kind + " id must not be empty");
        }
        if (id.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(
                    kind + " id \"" + abbreviate(id) + "\" is longer than " + MAX_LENGTH + " characters");
        }
        if (!VALID.matcher(id).matches()) {
            throw new IllegalArgumentException(kind + " id \"" + abbreviate(id)
                    + "\" is invalid: use letters and digits, with '.', '_' or '-' only between them");
        }
        return id;
    }

    private static String abbreviate(String id) {
        String printable = id.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 40 ? printable.substring(0, 40) + "..." : printable;
    }
}
