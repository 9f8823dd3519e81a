package io.jvmm.mux;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The mux's logger, looked up at its first message. The guest agent serves its first answer over a mux in
 * every VM without a vsock device (a default lone container's, a template's clone), and initialising log4j
 * there cost ~0.4 s of emulated CPU before that answer (issue 24); a mux that logs nothing loads none of it.
 */
final class MuxLog {
    private MuxLog() {}

    static Logger get() {
        return Holder.LOG;
    }

    private static final class Holder {
        static final Logger LOG = LogManager.getLogger(StreamMux.class);
    }
}
