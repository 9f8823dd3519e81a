/**
 * VM monitors (QEMU over QMP; Firecracker and Cloud Hypervisor over their HTTP APIs) and the VM lifecycle.
 */
package io.jvmm.vmm;
