package archfixture.task;

import com.google.protobuf.Empty;

/** Fixture violation: a protobuf message inside the task layer. */
public class UsesProtobuf {
    public Object empty() {
        return Empty.getDefaultInstance();
    }
}
