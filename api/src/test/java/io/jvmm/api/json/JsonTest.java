package io.jvmm.api.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {
    private static final ObjectMapper ORACLE = new ObjectMapper();

    @Test
    void parsesEveryKindOfValueKeepingMemberOrderAndBigNumbers() throws IOException {
        Object v = Json.parse("{\"z\":1,\"a\":[true,false,null,\"s\",2.5,-7],\"big\":18446744073709551615,\"o\":{}}");
        JsonObject o = (JsonObject) v;
        assertThat(o.keySet()).containsExactly("z", "a", "big", "o");
        assertThat(o.get("z")).isEqualTo(1L);
        assertThat(o.array("a")).containsExactly(true, false, null, "s", 2.5, -7L);
        assertThat(o.get("big")).isEqualTo(new BigInteger("18446744073709551615"));
        assertThat(o.object("o")).isEmpty();
        assertThat(Json.write(o))
                .isEqualTo("{\"z\":1,\"a\":[true,false,null,\"s\",2.5,-7],\"big\":18446744073709551615,\"o\":{}}");
    }

    @Test
    void tolerantAccessorsReadAbsentOrMistypedMembersAsAbsent() throws IOException {
        JsonObject o = (JsonObject) Json.parse("{\"n\":3,\"b\":true,\"s\":\"x\",\"a\":\"no array\",\"obj\":[1]}");
        assertThat(o.text("n")).isEqualTo("3");
        assertThat(o.text("b")).isEqualTo("true");
        assertThat(o.text("missing")).isEmpty();
        assertThat(o.array("a")).isEmpty();
        assertThat(o.object("obj")).isNull();
        assertThat(o.number("s", 9)).isEqualTo(9);
        assertThat(o.number("n", 9)).isEqualTo(3);
        assertThat(o.text("n", "none")).isEqualTo("3");
        assertThat(o.text("missing", "none")).isEqualTo("none");
        assertThat(o.text("obj", "none")).as("an array is no text").isEqualTo("none");
        assertThat(o.objectOrEmpty("obj")).isEmpty();
        assertThat(o.get("obj")).as("objectOrEmpty adds nothing").isInstanceOf(JsonArray.class);
        o.with("obj").put("k", "v");
        assertThat(Json.write(o.get("obj"))).isEqualTo("{\"k\":\"v\"}");
    }

    @Test
    void aDeepCopySharesNothingMutable() throws IOException {
        JsonObject o = (JsonObject) Json.parse("{\"a\":{\"b\":[{\"c\":1}]}}");
        JsonObject copy = o.deepCopy();
        copy.object("a").array("b").objects().getFirst().put("c", 2);
        copy.object("a").put("d", true);
        assertThat(Json.write(o)).isEqualTo("{\"a\":{\"b\":[{\"c\":1}]}}");
        assertThat(Json.write(copy)).isEqualTo("{\"a\":{\"b\":[{\"c\":2}],\"d\":true}}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "{", "{\"a\":}", "[1,]", "{} {}", "{\"a\":1} x", "tru", "\"open", "{'a':1}"})
    void malformedDocumentsAreIoErrors(String text) {
        assertThatThrownBy(() -> Json.parse(text)).isInstanceOf(IOException.class);
    }

    @Test
    void nestingBeyondTheParsersLimitIsAnErrorNotAStackOverflow() {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);
        assertThatThrownBy(() -> Json.parse(deep))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("depth");
    }

    @Test
    void writesMapsListsRecordsAndEnumsAndRefusesOtherObjects() {
        record Point(int x, String label, List<Long> tags) {}
        assertThat(Json.write(Map.of("p", new Point(1, null, List.of(2L)))))
                .isEqualTo("{\"p\":{\"x\":1,\"label\":null,\"tags\":[2]}}");
        assertThat(Json.write(List.of(Thread.State.NEW, "\u00fc\"\n"))).isEqualTo("[\"NEW\",\"\u00fc\\\"\\n\"]");
        assertThatThrownBy(() -> Json.write(new Object())).isInstanceOf(IllegalArgumentException.class);
        assertThat(new String(Json.writeBytes(Map.of("a", 1), true), StandardCharsets.UTF_8))
                .contains("\n")
                .contains("\"a\" : 1");
    }

    /** The same document as Jackson's data binding reads it: the oracle for what the shim used to do. */
    @Property(tries = 300)
    void agreesWithJacksonsDataBindingOnArbitraryDocuments(@ForAll("documents") Object document) throws IOException {
        String text = Json.write(document);
        Object parsed = Json.parse(text);
        assertThat(parsed).isEqualTo(document);
        assertThat(ORACLE.readTree(Json.write(parsed))).isEqualTo(ORACLE.readTree(text));
        assertThat(ORACLE.readTree(text)).isEqualTo(ORACLE.readTree(ORACLE.writeValueAsString(ORACLE.readTree(text))));
    }

    @Provide
    Arbitrary<Object> documents() {
        return value(4);
    }

    private static Arbitrary<Object> value(int depth) {
        Arbitrary<Object> scalar = Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(12).map(s -> (Object) s),
                Arbitraries.longs().map(l -> (Object) l),
                Arbitraries.bigIntegers()
                        .between(
                                BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE),
                                BigInteger.valueOf(Long.MAX_VALUE).shiftLeft(8))
                        .map(b -> (Object) b),
                Arbitraries.doubles().between(-1e9, 1e9).map(d -> (Object) d),
                Arbitraries.of(true, false).map(b -> (Object) b),
                Arbitraries.just(null));
        if (depth == 0) {
            return scalar;
        }
        Arbitrary<Object> array = value(depth - 1).list().ofMaxSize(4).map(l -> (Object) new JsonArray(l));
        Arbitrary<Object> object = Arbitraries.maps(Arbitraries.strings().ofMaxLength(6), value(depth - 1))
                .ofMaxSize(4)
                .map(m -> (Object) new JsonObject(m));
        return Arbitraries.frequencyOf(Tuple.of(3, scalar), Tuple.of(1, array), Tuple.of(1, object));
    }
}
