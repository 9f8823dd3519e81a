/**
 * The host side of the guest agent protocol, over hybrid or plain vsock.
 */
package io.jvmm.agent.client;
