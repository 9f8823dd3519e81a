package io.jvmm.vmm.qemu;

/**
 * How devices reach QEMU: all on the command line; added over QMP to a paused VM (-S) before cont; or
 * the snapshot layout, where only what QEMU can migrate is on the command line (the agent's channel is
 * a virtio-serial port) and the share and card are plugged over QMP (see {@link QemuVm#saveSnapshot} and
 * {@link QemuVm#restoring}).
 */
public enum DeviceSetup {
    COMMAND_LINE,
    QMP,
    SNAPSHOTTABLE
}
