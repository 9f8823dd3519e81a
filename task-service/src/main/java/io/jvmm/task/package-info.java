/**
 * containerd's Task and Sandbox services and their state machines.
 */
package io.jvmm.task;
