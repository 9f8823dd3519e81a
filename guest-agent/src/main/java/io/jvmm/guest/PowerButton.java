package io.jvmm.guest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Watches the ACPI power button (QEMU's system_powerdown) through its evdev device, since the guest
 * runs no acpid: a press starts the same orderly power-off as the agent's PowerOff call.
 */
final class PowerButton {
    private static final int EVENT_SIZE = 24; // struct input_event on 64-bit: timeval, type, code, value
    private static final int EV_KEY = 1;
    private static final int KEY_POWER = 116;

    private PowerButton() {}

    static void watch(Runnable onPress) {
        Optional<Path> device = find();
        if (device.isEmpty()) {
            System.err.println("jvmm-agent: no power button input device; system_powerdown will be ignored");
            return;
        }
        Thread.ofPlatform().name("power-button").daemon(true).start(() -> read(device.get(), onPress));
    }

    private static Optional<Path> find() {
        try (Stream<Path> inputs = Files.list(Path.of("/sys/class/input"))) {
            return inputs.filter(p -> p.getFileName().toString().startsWith("event"))
                    .filter(p -> nameOf(p).equals("Power Button"))
                    .map(p -> Path.of("/dev/input").resolve(p.getFileName()))
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String nameOf(Path event) {
        try {
            return Files.readString(event.resolve("device/name")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private static void read(Path device, Runnable onPress) {
        try (InputStream in = Files.newInputStream(device)) {
            byte[] raw = new byte[EVENT_SIZE];
            while (in.readNBytes(raw, 0, EVENT_SIZE) == EVENT_SIZE) {
                ByteBuffer event = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
                int type = event.getShort(16) & 0xffff;
                int code = event.getShort(18) & 0xffff;
                int value = event.getInt(20);
                if (type == EV_KEY && code == KEY_POWER && value == 1) {
                    System.out.println("jvmm-agent: power button pressed, powering off");
                    onPress.run();
                    return;
                }
            }
        } catch (IOException e) {
            System.err.println("jvmm-agent: power button watch ended: " + e.getMessage());
        }
    }
}
