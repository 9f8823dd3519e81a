/**
 * End-to-end tests that drive a real containerd, and the project's architecture rules.
 */
package io.jvmm.e2e;
