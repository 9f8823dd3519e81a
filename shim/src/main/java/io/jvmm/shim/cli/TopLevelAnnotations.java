package io.jvmm.shim.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The string members of an OCI spec's top-level {@code annotations} object, read by a scanner that knows
 * only what JSON's grammar needs to find them: every other member is skipped over (strings with their
 * escapes, nesting counted, no values built). {@code start} reads nothing else of the spec, and Jackson's
 * parser cost it 9-18 ms of set-up (docs/benchmarks.md). A document this cannot follow, or one larger than
 * {@link #MAX_BYTES}, is an {@link IOException}; the server later parses the whole spec strictly.
 */
public final class TopLevelAnnotations {
    /** Specs are kilobytes; one far larger is not read at all. */
    static final int MAX_BYTES = 4 << 20;

    private final byte[] json;
    private int at;

    private TopLevelAnnotations(byte[] json) {
        this.json = json;
    }

    public static Map<String, String> of(Path spec) throws IOException {
        if (Files.size(spec) > MAX_BYTES) {
            throw new IOException("the spec is larger than " + MAX_BYTES + " bytes");
        }
        return new TopLevelAnnotations(Files.readAllBytes(spec)).read();
    }

    static Map<String, String> of(byte[] json) throws IOException {
        return new TopLevelAnnotations(json).read();
    }

    private Map<String, String> read() throws IOException {
        Map<String, String> found = new HashMap<>();
        expect('{');
        if (peek() == '}') {
            at++;
            return end(found);
        }
        while (true) {
            String member = string();
            expect(':');
            if (member.equals("annotations") && peek() == '{') {
                annotations(found);
            } else {
                skipValue();
            }
            if (next() == '}') {
                return end(found);
            }
            require(json[at - 1] == ',', "',' or '}'");
        }
    }

    private Map<String, String> end(Map<String, String> found) throws IOException {
        skipSpace();
        require(at == json.length, "the end of the document");
        return found;
    }

    private void annotations(Map<String, String> found) throws IOException {
        expect('{');
        if (peek() == '}') {
            at++;
            return;
        }
        while (true) {
            String key = string();
            expect(':');
            if (peek() == '"') {
                found.put(key, string());
            } else {
                skipValue();
            }
            if (next() == '}') {
                return;
            }
            require(json[at - 1] == ',', "',' or '}'");
        }
    }

    /** A value of any kind, passed over: brackets counted outside strings until the outermost closes. */
    private void skipValue() throws IOException {
        byte first = peek();
        if (first == '"') {
            string();
            return;
        }
        if (first != '{' && first != '[') {
            int begin = at;
            while (at < json.length && "+-.0123456789eEtrufalsn".indexOf(json[at]) >= 0) {
                at++;
            }
            require(at > begin, "a value");
            return;
        }
        int depth = 0;
        do {
            require(at < json.length, "the value's end");
            byte b = json[at];
            if (b == '"') {
                string();
                continue;
            }
            if (b == '{' || b == '[') {
                depth++;
            } else if (b == '}' || b == ']') {
                depth--;
            }
            at++;
        } while (depth > 0);
    }

    private String string() throws IOException {
        expect('"');
        StringBuilder s = new StringBuilder();
        int runStart = at;
        while (true) {
            require(at < json.length, "the string's end");
            byte b = json[at];
            if (b == '"') {
                s.append(new String(json, runStart, at - runStart, StandardCharsets.UTF_8));
                at++;
                return s.toString();
            }
            if (b != '\\') {
                require((b & 0xff) >= 0x20, "no control character in a string");
                at++;
                continue;
            }
            s.append(new String(json, runStart, at - runStart, StandardCharsets.UTF_8));
            require(at + 1 < json.length, "an escape");
            byte e = json[at + 1];
            at += 2;
            switch (e) {
                case '"', '\\', '/' -> s.append((char) e);
                case 'b' -> s.append('\b');
                case 'f' -> s.append('\f');
                case 'n' -> s.append('\n');
                case 'r' -> s.append('\r');
                case 't' -> s.append('\t');
                case 'u' -> {
                    require(at + 4 <= json.length, "four hex digits");
                    try {
                        s.append((char) Integer.parseInt(new String(json, at, 4, StandardCharsets.US_ASCII), 16));
                    } catch (NumberFormatException x) {
                        throw new IOException("bad \\u escape at byte " + at);
                    }
                    at += 4;
                }
                default -> throw new IOException("bad escape at byte " + (at - 1));
            }
            runStart = at;
        }
    }

    private void expect(char c) throws IOException {
        require(next() == c, "'" + c + "'");
    }

    /** The next byte after white space, consumed. */
    private byte next() throws IOException {
        byte b = peek();
        at++;
        return b;
    }

    /** The next byte after white space, not consumed. */
    private byte peek() throws IOException {
        skipSpace();
        require(at < json.length, "more of the document");
        return json[at];
    }

    private void skipSpace() {
        while (at < json.length && (json[at] == ' ' || json[at] == '\n' || json[at] == '\r' || json[at] == '\t')) {
            at++;
        }
    }

    private void require(boolean ok, String what) throws IOException {
        if (!ok) {
            throw new IOException("the spec is not the JSON expected: " + what + " at byte " + at);
        }
    }
}
