// Mode "hostile": what a compromised guest kernel would do to its VMM, so a test can
// check that hull-vmm survives it, stays confined, and answers with errors a driver
// can see (DEVICE_NEEDS_RESET, failed requests) instead of crashing:
//   1. wild MMIO: reads and writes of every width at random addresses of the MMIO gap
//      and at random registers of the virtio-mmio windows, random values;
//   2. port I/O of every width on random ports;
//   3. malformed virtqueues against each virtio device, round after round: descriptor
//      loops, buffers outside guest memory, `next` and head indices beyond the queue,
//      an available index far ahead of the ring, chains whose lengths overflow, an
//      indirect table the driver never negotiated, zero-length buffers; after each, the
//      device is polled for NEEDS_RESET or a used buffer, then reset;
//   4. if there is a virtio-rng device, one ordinary request, to show it still works.
// Left alone: the exit port, the i8042 command port and the reset ports (they end the
// VM by design), COM1 (the report goes there), and the in-kernel IOAPIC/LAPIC range.
// Report (one key=value line each): hostile.mmio=N hostile.pio=N, per device
// hostile.dev.I=0xADDR,TYPE,needs_reset=A,used=B,silent=C, hostile.rng_after=ok|failed|none,
// then hostile.alive=1. Exit port, status 0; with hulltest.hostile.spin=1 it spins
// instead, so a test can inspect the VMM after the attack. hulltest.hostile.ops=N
// (default 4000) wild accesses of each kind, hulltest.hostile.rounds=N (default 4).
#include "guest.h"
#include "virtio_driver.h"

#define QUEUE_SIZE 8
#define QUEUE_ADDR 0x60000ull  // up to three queues of three pages each
#define BUF_ADDR 0x69000ull
#define MMIO_GAP_START 0xd0000000ull
#define KVM_APIC_START 0xfec00000ull  // IOAPIC, LAPIC: in-kernel, not hull-vmm's
#define MAX_DEVICES 8
#define POLLS 20000u
#define VIRTQ_DESC_F_INDIRECT 4
#define CASES 8

static uint64_t random_state = 0x9e3779b97f4a7c15ull;

static uint64_t next_random(void) {
  uint64_t x = random_state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  return random_state = x;
}

static void mmio_access(uint64_t addr, uint64_t value, bool write) {
  switch (next_random() & 3) {
    case 0:
      if (write) *(volatile uint8_t*)phys_ptr(addr) = (uint8_t)value;
      else (void)*(volatile uint8_t*)phys_ptr(addr);
      break;
    case 1:
      if (write) *(volatile uint16_t*)phys_ptr(addr & ~1ull) = (uint16_t)value;
      else (void)*(volatile uint16_t*)phys_ptr(addr & ~1ull);
      break;
    case 2:
      if (write) *(volatile uint32_t*)phys_ptr(addr & ~3ull) = (uint32_t)value;
      else (void)*(volatile uint32_t*)phys_ptr(addr & ~3ull);
      break;
    default:
      if (write) *(volatile uint64_t*)phys_ptr(addr & ~7ull) = value;
      else (void)*(volatile uint64_t*)phys_ptr(addr & ~7ull);
      break;
  }
}

static uint64_t wild_mmio(uint64_t ops) {
  for (uint64_t i = 0; i < ops; i++) {
    uint64_t r = next_random();
    uint64_t addr = (r & 1) ? MMIO_GAP_START + (next_random() % (KVM_APIC_START - MMIO_GAP_START))
                            : MMIO_GAP_START + (next_random() % MAX_DEVICES) * 0x1000 +
                                  (next_random() % 0x200);
    mmio_access(addr, next_random(), (r & 2) != 0);
  }
  return ops;
}

static bool port_left_alone(uint16_t port) {
  return (port >= EXIT_PORT && port < EXIT_PORT + 4) || port == I8042_COMMAND_PORT ||
         (port >= COM1_BASE && port < COM1_BASE + 8) || port == 0x92 || port == 0xcf9;
}

static uint64_t wild_pio(uint64_t ops) {
  uint64_t done = 0;
  for (uint64_t i = 0; i < ops; i++) {
    uint16_t port = (uint16_t)next_random();
    if (port_left_alone(port) || port_left_alone((uint16_t)(port + 3))) continue;
    uint32_t value = (uint32_t)next_random();
    switch (next_random() % 6) {
      case 0: outb(port, (uint8_t)value); break;
      case 1: __asm__ volatile("outw %0, %1" : : "a"((uint16_t)value), "Nd"(port)); break;
      case 2: outl(port, value); break;
      case 3: (void)inb(port); break;
      case 4: { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); break; }
      default: { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); break; }
    }
    done++;
  }
  return done;
}

struct tally {
  uint32_t needs_reset, used, silent;
};

// Queues a device has (every one is set up, as a driver must before DRIVER_OK), and the
// one the device consumes on a kick (transmit for net and vsock).
static uint16_t queue_count(uint32_t type) { return type == 1 ? 2 : type == 19 ? 3 : 1; }
static uint16_t kicked_queue(uint32_t type) { return (type == 1 || type == 19) ? 1 : 0; }

// One malformed submission of kind `c` on `vq`.
static void submit_malformed(struct virtq* vq, int c, bool writable) {
  uint16_t w = writable ? VIRTQ_DESC_F_WRITE : 0;
  switch (c) {
    case 0:  // a loop: 2 -> 3 -> 2 -> ...
      virtq_write_desc(vq, 2, BUF_ADDR, 16, VIRTQ_DESC_F_NEXT | w, 3);
      virtq_write_desc(vq, 3, BUF_ADDR, 16, VIRTQ_DESC_F_NEXT | w, 2);
      virtq_make_available(vq, 2);
      break;
    case 1:  // a buffer far outside guest memory
      virtq_write_desc(vq, 0, 0xfff0000000ull, 4096, w, 0);
      virtq_make_available(vq, 0);
      break;
    case 2:  // next beyond the queue
      virtq_write_desc(vq, 0, BUF_ADDR, 16, VIRTQ_DESC_F_NEXT | w, 200);
      virtq_make_available(vq, 0);
      break;
    case 3:  // a head beyond the queue
      virtq_make_available(vq, 300);
      break;
    case 4:  // the available index a thousand entries ahead of the ring
      virtq_write_desc(vq, 0, BUF_ADDR, 16, w, 0);
      *(volatile uint16_t*)phys_ptr(vq->avail + 2) = (uint16_t)(vq->avail_idx + 1000);
      virtio_write(vq->dev, VIRTIO_MMIO_QUEUE_NOTIFY, vq->index);
      break;
    case 5:  // every descriptor chained, lengths summing past 2^32
      for (uint16_t i = 0; i < QUEUE_SIZE; i++) {
        virtq_write_desc(vq, i, BUF_ADDR, 0xffffffffu, i + 1 < QUEUE_SIZE ? VIRTQ_DESC_F_NEXT | w : w,
                         (uint16_t)(i + 1));
      }
      virtq_make_available(vq, 0);
      break;
    case 6:  // an indirect table (not negotiated) of 4096 entries, and an address that wraps
      virtq_write_desc(vq, 0, BUF_ADDR, 16 * 4096, VIRTQ_DESC_F_INDIRECT, 0);
      virtq_make_available(vq, 0);
      virtq_write_desc(vq, 1, 0xffffffffffffff00ull, 0x200, w, 0);
      virtq_make_available(vq, 1);
      break;
    default:  // zero-length buffers
      virtq_write_desc(vq, 0, BUF_ADDR, 0, VIRTQ_DESC_F_NEXT, 1);
      virtq_write_desc(vq, 1, BUF_ADDR, 0, VIRTQ_DESC_F_WRITE, 0);
      virtq_make_available(vq, 0);
      break;
  }
}

static void attack_device(struct virtio_dev* dev, uint32_t type, uint64_t rounds, struct tally* t) {
  for (uint64_t round = 0; round < rounds; round++) {
    for (int c = 0; c < CASES; c++) {
      struct virtq queues[3];
      bool ready = virtio_negotiate(dev, 0, 0) == 0;
      for (uint16_t q = 0; ready && q < queue_count(type); q++) {
        ready = virtq_setup(&queues[q], dev, q, QUEUE_SIZE, QUEUE_ADDR + q * 0x3000ull) == 0;
      }
      if (!ready || virtio_driver_ok(dev) != 0) {
        t->needs_reset++;  // refused set-up counts as the device saying no
        virtio_reset(dev);
        continue;
      }
      struct virtq* vq = &queues[kicked_queue(type)];
      submit_malformed(vq, c, (round & 1) != 0);
      uint32_t polls = 0;
      for (; polls < POLLS; polls++) {
        if (virtio_read(dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET) {
          t->needs_reset++;
          break;
        }
        if (peek16(vq->used + 2) != 0) {
          t->used++;
          break;
        }
      }
      if (polls == POLLS) t->silent++;
      virtio_reset(dev);
    }
  }
}

static const char* rng_still_works(const struct cmdline* cmdline) {
  struct virtio_dev dev;
  if (!virtio_find(cmdline, 4, 0, &dev)) return "none";
  struct virtq vq;
  if (virtio_negotiate(&dev, 0, 0) || virtq_setup(&vq, &dev, 0, QUEUE_SIZE, QUEUE_ADDR) ||
      virtio_driver_ok(&dev)) {
    return "failed";
  }
  struct virtq_buf buf = {BUF_ADDR, 16, true};
  uint32_t id, len;
  virtq_submit(&vq, &buf, 1);
  bool ok = virtq_wait_used(&vq, &id, &len) && len == 16;
  virtio_reset(&dev);
  return ok ? "ok" : "failed";
}

_Noreturn void mode_hostile(const struct cmdline* cmdline) {
  uint64_t ops = 4000, rounds = 4, spin = 0;
  cmdline_decimal(cmdline, "hulltest.hostile.ops", &ops);
  cmdline_decimal(cmdline, "hulltest.hostile.rounds", &rounds);
  cmdline_decimal(cmdline, "hulltest.hostile.spin", &spin);
  put_kv_dec("hostile.mmio", wild_mmio(ops));
  put_kv_dec("hostile.pio", wild_pio(ops));
  static const uint32_t kTypes[] = {1, 2, 4, 19};  // net, blk, rng, vsock
  uint32_t index = 0;
  for (uint32_t k = 0; k < sizeof(kTypes) / sizeof(kTypes[0]); k++) {
    struct virtio_dev dev;
    for (uint32_t n = 0; virtio_find(cmdline, kTypes[k], n, &dev); n++) {
      struct tally t = {0, 0, 0};
      attack_device(&dev, kTypes[k], rounds, &t);
      put_str("hostile.dev.");
      put_dec(index++);
      put_char('=');
      put_hex(dev.base);
      put_char(',');
      put_dec(kTypes[k]);
      put_str(",needs_reset=");
      put_dec(t.needs_reset);
      put_str(",used=");
      put_dec(t.used);
      put_str(",silent=");
      put_dec(t.silent);
      put_char('\n');
    }
  }
  put_kv_str("hostile.rng_after", rng_still_works(cmdline));
  put_kv_dec("hostile.alive", 1);
  if (spin) {
    for (;;) __asm__ volatile("cli; hlt");
  }
  exit_vm(0);
}
