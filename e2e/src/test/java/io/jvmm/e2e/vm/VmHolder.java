package io.jvmm.e2e.vm;

/**
 * A stand-in for a shim process: starts a VM, prints "STARTED <qemu pid>" and waits to be killed.
 * {@link ShimDeathTest} kills it with SIGKILL and checks that the VM's processes die with it.
 */
public final class VmHolder {
    private VmHolder() {}

    public static void main(String[] args) throws Exception {
        TestVm t = TestVm.create(GuestImage.get().kernel(), GuestImage.get().initrd(), "");
        t.vm.start(TestVm.BOOT_TIMEOUT);
        System.out.println("STARTED " + t.vm.monitorPid() + " " + t.stateDir + " " + t.shareDir);
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
