/**
 * Protobuf definitions: containerd's Task, Sandbox and event APIs, and the jvmm guest agent protocol.
 */
package io.jvmm.api;
