package archfixture.task;

/** Fixture violation: a protobuf message inside the task layer. */
public class UsesProtobuf {
    public Object empty() {
        return com.google.protobuf.Empty.getDefaultInstance();
    }
}
