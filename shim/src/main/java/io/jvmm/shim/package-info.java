/**
 * The containerd-shim-jvmm-v2 binary: start, delete and the long-running server.
 */
package io.jvmm.shim;
