package io.jvmm.e2e.vm;

import static org.assertj.core.api.Assertions.assertThat;

import io.jvmm.agent.client.AgentClient;
import io.jvmm.e2e.Leftovers;
import io.jvmm.e2e.VmmConfinement;
import io.jvmm.e2e.containerd.JvmmRuntime;
import io.jvmm.task.sandbox.GuestConnector;
import io.jvmm.task.sandbox.SandboxSettings;
import io.jvmm.task.sandbox.VmSize;
import io.jvmm.task.sandbox.VmTemplates;
import io.jvmm.vmm.Accel;
import io.jvmm.vmm.GuestSnapshot;
import io.jvmm.vmm.HugePages;
import io.jvmm.vmm.VmConfig;
import io.jvmm.vmm.VmmType;
import io.jvmm.vmm.qemu.QemuVm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Template memory on huge pages, with real QEMU and the kernel's hugetlbfs pool: the template's memory
 * is a hugetlbfs file its snapshot links to, a clone maps it (2 MiB pages in its mapping) while the pool
 * can hold its reservation and runs on a copy when it cannot, deleting the template gives the pages
 * back, and with no room in the pool a template is made in ordinary memory. The test makes a pool of
 * its own when the host lets it (root, a writable nr_hugepages) and puts the host's setting back after.
 * The VMs run as the VMM's unprivileged user in their jails, as installed (docs/security.md): the
 * hugetlbfs file is handed to that user, not the mount.
 */
class HugePagesTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(300);
    private static final int MIB = 256;
    private static final Path NR_HUGEPAGES = Path.of("/proc/sys/vm/nr_hugepages");
    /** The VMM's user packaging/shim/install.sh makes. */
    private static final String VMM_USER = "jvmm-vmm";

    private static Path stateRoot;
    private static Path ownMount;
    private static long originalPages = -1;
    private static HugePages pool;

    @BeforeAll
    static void aPoolWithRoomForATemplateAndAClone() throws Exception {
        GuestImage.get();
        JvmmRuntime.get(); // its installer makes the VMM's user
        stateRoot = Files.createTempDirectory(Path.of("/tmp"), "jvmm-hp");
        if (HugePages.mounted().isEmpty()) {
            ownMount = Files.createDirectories(stateRoot.resolve("hugetlbfs"));
            run("mount", "-t", "hugetlbfs", "jvmm-test", ownMount.toString());
        }
        pool = HugePages.mounted().orElse(null);
        Assumptions.assumeTrue(pool != null, "no hugetlbfs could be mounted here");
        long needed = 3L * MIB << 20;
        if (pool.freeBytes() < needed && Files.isWritable(NR_HUGEPAGES)) {
            originalPages = poolPages();
            setPoolPages(originalPages + needed / pool.pageBytes());
        }
        Assumptions.assumeTrue(
                pool.freeBytes() >= needed, "the host's huge page pool has no room and cannot be grown here");
    }

    @AfterAll
    static void putTheHostBack() throws Exception {
        if (originalPages >= 0) {
            setPoolPages(originalPages);
        }
        if (ownMount != null) {
            run("umount", ownMount.toString());
        }
        if (stateRoot != null) {
            Leftovers.deleteTree(stateRoot);
        }
    }

    @Test
    void aTemplateOnHugePagesIsMappedByItsClonesAndGivesItsPagesBackWhenDeleted() throws Exception {
        long freeBefore = pool.freeBytes();
        SandboxSettings settings = settings(true);
        GuestSnapshot template = VmTemplates.ensure(settings, new VmSize(1, MIB), Accel.TCG);
        assertThat(Files.isSymbolicLink(template.memory())).isTrue();
        assertThat(HugePages.holds(template.memory()))
                .as("the template's memory is on hugetlbfs")
                .isTrue();
        assertThat(pool.freeBytes())
                .as("the pages the template's guest touched are taken")
                .isLessThan(freeBefore);

        VmConfig config = config(settings, "clone");
        try (QemuVm clone = QemuVm.restoring(config, false, template)) {
            clone.start(TIMEOUT);
            answers(config);
            assertThat(clone.sharesSnapshotMemory()).isTrue();
            assertThat(VmmConfinement.assertConfined(stateRoot))
                    .as("confined QEMUs")
                    .isEqualTo(1);
            assertThat(guestMemoryPageKib(clone.monitorPid(), template))
                    .as("the clone's guest memory mapping")
                    .isEqualTo(2048);

            // No room left in the pool for another clone's reservation: it runs on a copy instead.
            long total = poolPages();
            long spare = pool.freeBytes() / pool.pageBytes();
            VmConfig second = config(settings, "copy");
            try {
                setPoolPages(total - spare);
                try (QemuVm copy = QemuVm.restoring(second, false, template)) {
                    copy.start(TIMEOUT);
                    answers(second);
                    assertThat(copy.sharesSnapshotMemory())
                            .as("a clone the pool cannot hold")
                            .isFalse();
                }
            } finally {
                setPoolPages(total);
            }
            assertThat(template.deleteUnlessInUse())
                    .as("a template a running VM maps is not deleted")
                    .isFalse();
        }
        Path hugeFile = Files.readSymbolicLink(template.memory());
        assertThat(template.deleteUnlessInUse()).isTrue();
        assertThat(hugeFile)
                .as("deleting the template deletes its hugetlbfs file")
                .doesNotExist();
        assertThat(pool.freeBytes()).as("and gives the pool its pages back").isEqualTo(freeBefore);
    }

    /**
     * A VM booted with huge pages asked for (issue 25): its guest memory, a memfd, comes from the pool (the
     * whole size reserved when QEMU maps it, 2 MiB pages in its mapping), it boots to its agent, and the pool
     * gets every page back when it ends; with no room in the pool it boots on ordinary memory.
     */
    @Test
    void aVmBootedOnHugePagesTakesItsMemoryFromThePoolAndGivesItBack() throws Exception {
        long freeBefore = pool.freeBytes();
        VmConfig config = config(settings(true), "booted").withHugePages(true);
        long begin = System.nanoTime();
        try (QemuVm vm = new QemuVm(config, false)) {
            vm.start(TIMEOUT);
            try (AgentClient agent = GuestConnector.connect(vm, TIMEOUT)) {
                agent.ping(Duration.ofSeconds(30));
            }
            System.out.printf("booted on huge pages: agent answered after %.2f s%n", (System.nanoTime() - begin) / 1e9);
            assertThat(vm.onHugePages()).isTrue();
            // The whole memfd is reserved as QEMU maps it (seen here: all but 4 of its 256 MiB).
            assertThat(pool.freeBytes())
                    .as("the pool, with the VM's memory reserved")
                    .isBetween(freeBefore - ((long) MIB << 20), freeBefore - ((long) MIB * 9 / 10 << 20));
            assertThat(memfdPageKib(vm.monitorPid()))
                    .as("the guest memory mapping's page size")
                    .isEqualTo(2048);
        }
        assertThat(pool.freeBytes()).as("the pool once the VM ended").isEqualTo(freeBefore);

        long total = poolPages();
        long free = pool.freeBytes() / pool.pageBytes();
        VmConfig ordinary = config(settings(true), "ordinary").withHugePages(true);
        try {
            setPoolPages(total - free);
            begin = System.nanoTime();
            try (QemuVm vm = new QemuVm(ordinary, false)) {
                vm.start(TIMEOUT);
                try (AgentClient agent = GuestConnector.connect(vm, TIMEOUT)) {
                    agent.ping(Duration.ofSeconds(30));
                }
                System.out.printf(
                        "booted on ordinary memory: agent answered after %.2f s%n", (System.nanoTime() - begin) / 1e9);
                assertThat(vm.onHugePages()).as("a VM the pool cannot hold").isFalse();
                assertThat(memfdPageKib(vm.monitorPid())).isEqualTo(4);
            }
        } finally {
            setPoolPages(total);
        }
    }

    /** KernelPageSize of QEMU's guest memory memfd mapping, from /proc/<pid>/smaps. */
    private static int memfdPageKib(long pid) throws Exception {
        boolean inMapping = false;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps"))) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                inMapping = line.contains("memfd:mem");
            } else if (inMapping && line.startsWith("KernelPageSize:")) {
                return Integer.parseInt(line.replaceAll("\\D", ""));
            }
        }
        throw new AssertionError("no memfd:mem mapping in process " + pid);
    }

    @Test
    void withNoRoomInThePoolATemplateIsMadeInOrdinaryMemory() throws Exception {
        long total = poolPages();
        long free = pool.freeBytes() / pool.pageBytes();
        SandboxSettings settings = settings(true);
        GuestSnapshot template;
        try {
            setPoolPages(total - free);
            template = VmTemplates.ensure(settings, new VmSize(2, MIB), Accel.TCG);
        } finally {
            setPoolPages(total);
        }
        try {
            assertThat(Files.isSymbolicLink(template.memory())).isFalse();
            assertThat(HugePages.holds(template.memory())).isFalse();
        } finally {
            assertThat(template.deleteUnlessInUse()).isTrue();
        }
    }

    private static SandboxSettings settings(boolean hugePages) {
        GuestImage image = GuestImage.get();
        return new SandboxSettings(
                VmmType.QEMU,
                image.kernel(),
                image.initrd(),
                Optional.of(image.runtimeDisk()),
                1,
                MIB,
                Accel.TCG,
                stateRoot,
                TIMEOUT,
                "",
                true,
                hugePages,
                Optional.empty(),
                Optional.of(VMM_USER));
    }

    private static VmConfig config(SandboxSettings settings, String name) throws Exception {
        Path dir = Files.createDirectories(stateRoot.resolve(name));
        return new VmConfig(
                        dir,
                        settings.kernel(),
                        settings.initrd(),
                        settings.runtimeDisk(),
                        Optional.empty(),
                        1,
                        MIB,
                        3,
                        Accel.TCG,
                        "")
                .withVmmUser(settings.vmmAccount());
    }

    private static void answers(VmConfig config) throws Exception {
        try (AgentClient agent = AgentClient.connect(config.vsockSocket(), TIMEOUT)) {
            agent.ping(Duration.ofSeconds(30));
        }
    }

    /**
     * KernelPageSize of the clone's mapping of the template's memory file, from /proc/<pid>/smaps, found by
     * the file's inode: in its jail QEMU sees the file bound at another path, which smaps may name.
     */
    private static int guestMemoryPageKib(long pid, GuestSnapshot template) throws Exception {
        Path target = template.memory().toRealPath();
        String inode = Files.getAttribute(target, "unix:ino").toString();
        boolean inMapping = false;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps"))) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                String[] fields = line.trim().split("\\s+");
                inMapping = fields.length >= 6 && fields[4].equals(inode);
            } else if (inMapping && line.startsWith("KernelPageSize:")) {
                return Integer.parseInt(line.replaceAll("\\D", ""));
            }
        }
        throw new AssertionError(
                "no mapping of " + target + " (inode " + inode + ") in process " + pid + "; its file mappings: "
                        + Files.readAllLines(Path.of("/proc/" + pid + "/maps")).stream()
                                .filter(l -> l.contains("/"))
                                .distinct()
                                .toList());
    }

    /**
     * nr_hugepages, read in one read(2): a sysctl file answers nothing at a nonzero offset, and
     * Files.readString's first read of a zero-size file is one byte.
     */
    private static long poolPages() throws Exception {
        return Long.parseLong(Files.readAllLines(NR_HUGEPAGES).getFirst().strip());
    }

    private static void setPoolPages(long pages) throws Exception {
        Files.writeString(NR_HUGEPAGES, Long.toString(pages));
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
    }
}
