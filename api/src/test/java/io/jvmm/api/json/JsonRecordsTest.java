package io.jvmm.api.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonRecordsTest {
    record Process(long pid, long startMillis) {}

    record Sandbox(
            long shimPid, List<Process> processes, String cgroup, Integer vcpus, boolean templates, JsonObject extra) {}

    record Checked(String name) {
        Checked {
            if (name != null && name.isBlank()) {
                throw new IllegalArgumentException("name is blank");
            }
        }
    }

    @Test
    void readsWhatItWroteNestedRecordsAndListsIncluded() throws IOException {
        Sandbox s = new Sandbox(
                42,
                List.of(new Process(7, 1700000000000L), new Process(8, 0)),
                "/jvmm/x",
                2,
                true,
                new JsonObject(Map.of("k", "v")));
        String text = Json.write(s);
        assertThat(text)
                .isEqualTo(
                        "{\"shimPid\":42,\"processes\":[{\"pid\":7,\"startMillis\":1700000000000},{\"pid\":8,\"startMillis\":0}],"
                                + "\"cgroup\":\"/jvmm/x\",\"vcpus\":2,\"templates\":true,\"extra\":{\"k\":\"v\"}}");
        assertThat(JsonRecords.read(Json.parse(text), Sandbox.class)).isEqualTo(s);
    }

    @Test
    void missingMembersAreNullOrZero() throws IOException {
        Sandbox s = JsonRecords.read(Json.parse("{\"shimPid\":1}"), Sandbox.class);
        assertThat(s).isEqualTo(new Sandbox(1, null, null, null, false, null));
    }

    @Test
    void anUnknownMemberIsAnErrorThatNamesItAndTheKnownOnes() {
        assertThatThrownBy(() -> JsonRecords.read(Json.parse("{\"shimPid\":1,\"vcpu\":2}"), Sandbox.class))
                .isInstanceOf(JsonBindingException.class)
                .hasMessage(
                        "Sandbox: unknown member vcpu (known: shimPid, processes, cgroup, vcpus, templates, extra)");
    }

    @Test
    void aMistypedMemberIsAnErrorThatSaysWhere() {
        assertThatThrownBy(() -> JsonRecords.read(Json.parse("{\"processes\":[{\"pid\":\"7\"}]}"), Sandbox.class))
                .isInstanceOf(JsonBindingException.class)
                .hasMessage("Sandbox.processes[0].pid: expected long, found a string");
        assertThatThrownBy(() -> JsonRecords.read(Json.parse("{\"vcpus\":4294967296}"), Sandbox.class))
                .isInstanceOf(JsonBindingException.class)
                .hasMessage("Sandbox.vcpus: expected Integer, found the number 4294967296");
        assertThatThrownBy(() -> JsonRecords.read(Json.parse("[]"), Sandbox.class))
                .isInstanceOf(JsonBindingException.class)
                .hasMessage("Sandbox: expected an object, found an array");
    }

    @Test
    void aRecordThatRefusesItsValuesGivesItsOwnReason() {
        assertThatThrownBy(() -> JsonRecords.read(Json.parse("{\"name\":\" \"}"), Checked.class))
                .isInstanceOf(JsonBindingException.class)
                .hasMessage("Checked: name is blank");
    }
}
