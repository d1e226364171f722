// Mode "rng": finds the virtio-rng device (device ID 4, VIRTIO_ID_RNG) among the
// virtio-mmio devices hull-vmm announces on the kernel command line
// (virtio_mmio.device=4K@0xADDR:IRQ), drives it as a driver would (virtio 1.2, 4.2.3
// and 5.4) through virtio_driver.h: negotiates VIRTIO_F_VERSION_1, sets up queue 0,
// posts a 64-byte writable buffer, kicks, waits for the used ring, then does it again
// and compares.
// Report lines: rng.device=ADDR (or rng.device=none), rng.bytes=N, rng.nonzero=0|1,
// rng.differ=0|1.
#include "guest.h"
#include "virtio_driver.h"

#define VIRTIO_ID_RNG 4

// Free low RAM (below the MP table, above the command line), identity-mapped.
#define QUEUE_SIZE 8
#define QUEUE_ADDR 0x60000ull  // three pages
#define BUF_ADDR 0x63000ull    // request i writes to BUF_ADDR + 0x100 * i
#define REQUEST_LEN 64

static _Noreturn void fail(const char* what, uint32_t status) {
  put_str("rng: FAILED: ");
  put_str(what);
  put_char('\n');
  exit_vm(status);
}

// Request `n` (0, 1, ...): one writable buffer; returns the used length.
static uint32_t request(struct virtq* vq, uint16_t n) {
  struct virtq_buf buf = {BUF_ADDR + 0x100ull * n, REQUEST_LEN, true};
  uint16_t head = virtq_submit(vq, &buf, 1);
  uint32_t id, len;
  if (!virtq_wait_used(vq, &id, &len)) fail("no used buffer", 86);
  if (id != head) fail("used element id", 87);
  return len;
}

_Noreturn void mode_rng(const struct cmdline* cmdline) {
  struct virtio_dev dev;
  if (!virtio_find(cmdline, VIRTIO_ID_RNG, 0, &dev)) {
    put_kv_str("rng.device", "none");
    exit_vm(0);
  }
  put_kv_hex("rng.device", dev.base);
  const char* error = virtio_negotiate(&dev, 0, 0);
  if (error) fail(error, 82);
  struct virtq vq;
  if ((error = virtq_setup(&vq, &dev, 0, QUEUE_SIZE, QUEUE_ADDR))) fail(error, 84);
  for (uint64_t a = BUF_ADDR; a < BUF_ADDR + 0x1000; a += 8) *(volatile uint64_t*)phys_ptr(a) = 0;
  if ((error = virtio_driver_ok(&dev))) fail(error, 85);
  uint32_t len = request(&vq, 0);
  put_kv_dec("rng.bytes", len);
  if (len > REQUEST_LEN) fail("used length above the buffer", 88);
  bool nonzero = false;
  for (uint32_t i = 0; i < len; i++) nonzero |= peek8(BUF_ADDR + i) != 0;
  put_kv_dec("rng.nonzero", nonzero);
  uint32_t len2 = request(&vq, 1);
  bool differ = len2 != len;
  for (uint32_t i = 0; i < len && i < len2; i++) {
    differ |= peek8(BUF_ADDR + i) != peek8(BUF_ADDR + 0x100 + i);
  }
  put_kv_dec("rng.differ", differ);
  exit_vm(0);
}
