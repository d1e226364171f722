// Mode "virtio": drives the first virtio-mmio device as a driver would (virtio 1.2,
// 4.2.3) through virtio_driver.h, expecting hull's echo test device (device ID 0xfe) at
// 0xd0000000, IRQ 5: negotiates VIRTIO_F_VERSION_1, sets up queue 0, sends one chain
// through it (the kick is a QueueNotify write, which hull-vmm turns into a KVM
// ioeventfd), checks the echo and the used-buffer interrupt status, then plays a
// hostile driver — a descriptor loop — and checks that the device answers with
// DEVICE_NEEDS_RESET and the configuration-change interrupt status, and that a reset
// clears it.
#include "guest.h"
#include "virtio_driver.h"

#define MMIO_BASE 0xd0000000ull
#define ECHO_DEVICE_ID 0xfe

// Free low RAM (below the MP table, above the command line), identity-mapped.
#define QUEUE_SIZE 8
#define QUEUE_ADDR 0x60000ull  // three pages
#define IN_ADDR 0x63000ull
#define OUT_ADDR 0x64000ull

static _Noreturn void fail(const char* what, uint32_t status) {
  put_str("virtio: FAILED: ");
  put_str(what);
  put_char('\n');
  exit_vm(status);
}

_Noreturn void mode_virtio(void) {
  struct virtio_dev dev = {MMIO_BASE};
  if (virtio_read(&dev, VIRTIO_MMIO_MAGIC) != 0x74726976u) fail("magic", 60);
  if (virtio_read(&dev, VIRTIO_MMIO_DEVICE_ID) != ECHO_DEVICE_ID) fail("device id", 62);
  const char* error = virtio_negotiate(&dev, 0, 0);
  if (error) fail(error, 64);
  struct virtq vq;
  if ((error = virtq_setup(&vq, &dev, 0, QUEUE_SIZE, QUEUE_ADDR))) fail(error, 65);
  for (uint64_t a = IN_ADDR; a < OUT_ADDR + 0x1000; a += 8) *(volatile uint64_t*)phys_ptr(a) = 0;
  if ((error = virtio_driver_ok(&dev))) fail(error, 66);

  static const char message[] = "echo through virtio";
  uint32_t len = sizeof(message) - 1;
  for (uint32_t i = 0; i < len; i++) *(volatile char*)phys_ptr(IN_ADDR + i) = message[i];
  struct virtq_buf bufs[2] = {{IN_ADDR, len, false}, {OUT_ADDR, len, true}};
  uint16_t head = virtq_submit(&vq, bufs, 2);
  uint32_t id, used_len;
  if (!virtq_wait_used(&vq, &id, &used_len)) fail("no used buffer", 67);
  if (id != head || used_len != len) fail("used element", 68);
  for (uint32_t i = 0; i < len; i++) {
    if (peek8(OUT_ADDR + i) != (uint8_t)message[i]) fail("echoed bytes differ", 69);
  }
  // The device updates the used ring before it raises the interrupt, so the status bit
  // may lag the used index by a moment.
  uint32_t waited = 0;
  while ((virtio_read(&dev, VIRTIO_MMIO_INTERRUPT_STATUS) & 1) == 0 &&
         waited < VIRTIO_WAIT_LOOPS / 100) {
    waited++;
  }
  if ((virtio_read(&dev, VIRTIO_MMIO_INTERRUPT_STATUS) & 1) == 0) {
    fail("no used-buffer interrupt status", 70);
  }
  virtio_write(&dev, VIRTIO_MMIO_INTERRUPT_ACK, 1);
  put_str("virtio: echo ok\n");

  virtq_write_desc(&vq, 2, IN_ADDR, 4, VIRTQ_DESC_F_NEXT, 3);  // 2 -> 3 -> 2 -> ...
  virtq_write_desc(&vq, 3, IN_ADDR, 4, VIRTQ_DESC_F_NEXT, 2);
  virtq_make_available(&vq, 2);
  waited = 0;
  while ((virtio_read(&dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET) == 0 &&
         waited < VIRTIO_WAIT_LOOPS / 100) {
    waited++;
  }
  if ((virtio_read(&dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET) == 0) {
    fail("no DEVICE_NEEDS_RESET", 71);
  }
  if ((virtio_read(&dev, VIRTIO_MMIO_INTERRUPT_STATUS) & 2) == 0) {
    fail("no config-change interrupt status", 72);
  }
  virtio_reset(&dev);
  if (virtio_read(&dev, VIRTIO_MMIO_STATUS) != 0 ||
      virtio_read(&dev, VIRTIO_MMIO_INTERRUPT_STATUS) != 0) {
    fail("reset", 73);
  }
  put_str("virtio: needs-reset ok\n");
  exit_vm(0);
}
