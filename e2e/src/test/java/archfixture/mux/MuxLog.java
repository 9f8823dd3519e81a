package archfixture.mux;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/** Fixture: the one mux class allowed to reach log4j, at its first message. */
final class MuxLog {
    private MuxLog() {}

    static Logger get() {
        return Holder.LOG;
    }

    private static final class Holder {
        static final Logger LOG = LogManager.getLogger(MuxLog.class);
    }
}
