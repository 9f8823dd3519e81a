/**
 * The agent that runs inside the VM and serves the host over vsock.
 */
package io.jvmm.guest;
