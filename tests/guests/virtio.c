// Mode "virtio": drives the first virtio-mmio device as a driver would (virtio 1.2,
// 4.2.3), expecting hull's echo test device (device ID 0xfe) at 0xd0000000, IRQ 5:
// negotiates VIRTIO_F_VERSION_1, sets up queue 0, sends one chain through it (the kick
// is a QueueNotify write, which hull-vmm turns into a KVM ioeventfd), checks the echo
// and the used-buffer interrupt status, then plays a hostile driver — a descriptor
// loop — and checks that the device answers with DEVICE_NEEDS_RESET and the
// configuration-change interrupt status, and that a reset clears it.
#include "guest.h"

#define MMIO_BASE 0xd0000000ull
#define REG_MAGIC 0x000
#define REG_VERSION 0x004
#define REG_DEVICE_ID 0x008
#define REG_DEVICE_FEATURES 0x010
#define REG_DEVICE_FEATURES_SEL 0x014
#define REG_DRIVER_FEATURES 0x020
#define REG_DRIVER_FEATURES_SEL 0x024
#define REG_QUEUE_SEL 0x030
#define REG_QUEUE_NUM_MAX 0x034
#define REG_QUEUE_NUM 0x038
#define REG_QUEUE_READY 0x044
#define REG_QUEUE_NOTIFY 0x050
#define REG_INTERRUPT_STATUS 0x060
#define REG_INTERRUPT_ACK 0x064
#define REG_STATUS 0x070
#define REG_QUEUE_DESC_LOW 0x080
#define REG_QUEUE_AVAIL_LOW 0x090
#define REG_QUEUE_USED_LOW 0x0a0

#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8
#define STATUS_NEEDS_RESET 0x40

// Free low RAM (below the MP table, above the command line), identity-mapped.
#define QUEUE_SIZE 8
#define DESC_ADDR 0x60000ull
#define AVAIL_ADDR 0x61000ull
#define USED_ADDR 0x62000ull
#define IN_ADDR 0x63000ull
#define OUT_ADDR 0x64000ull
#define WAIT_LOOPS 50000000u

static uint32_t reg_read(uint32_t offset) { return peek32(MMIO_BASE + offset); }
static void reg_write(uint32_t offset, uint32_t value) {
  *(volatile uint32_t*)phys_ptr(MMIO_BASE + offset) = value;
}
static void poke16(uint64_t addr, uint16_t v) { *(volatile uint16_t*)phys_ptr(addr) = v; }
static void poke32(uint64_t addr, uint32_t v) { *(volatile uint32_t*)phys_ptr(addr) = v; }
static void poke64(uint64_t addr, uint64_t v) { *(volatile uint64_t*)phys_ptr(addr) = v; }

static _Noreturn void fail(const char* what, uint32_t status) {
  put_str("virtio: FAILED: ");
  put_str(what);
  put_char('\n');
  exit_vm(status);
}

static void write_desc(uint16_t index, uint64_t addr, uint32_t len, uint16_t flags,
                       uint16_t next) {
  uint64_t d = DESC_ADDR + 16ull * index;
  poke64(d, addr);
  poke32(d + 8, len);
  poke16(d + 12, flags);
  poke16(d + 14, next);
}

static uint16_t avail_idx;
static void make_available(uint16_t head) {
  poke16(AVAIL_ADDR + 4 + 2 * (avail_idx % QUEUE_SIZE), head);
  __asm__ volatile("" ::: "memory");  // x86 keeps stores in order; the compiler must too
  poke16(AVAIL_ADDR + 2, ++avail_idx);
  reg_write(REG_QUEUE_NOTIFY, 0);
}

static void set_up(void) {
  if (reg_read(REG_MAGIC) != 0x74726976u) fail("magic", 60);
  if (reg_read(REG_VERSION) != 2) fail("version", 61);
  if (reg_read(REG_DEVICE_ID) != 0xfe) fail("device id", 62);
  reg_write(REG_STATUS, 0);
  reg_write(REG_STATUS, STATUS_ACKNOWLEDGE);
  reg_write(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
  reg_write(REG_DEVICE_FEATURES_SEL, 1);
  if ((reg_read(REG_DEVICE_FEATURES) & 1) == 0) fail("VIRTIO_F_VERSION_1 not offered", 63);
  reg_write(REG_DRIVER_FEATURES_SEL, 1);
  reg_write(REG_DRIVER_FEATURES, 1);  // VIRTIO_F_VERSION_1 (bit 32)
  reg_write(REG_DRIVER_FEATURES_SEL, 0);
  reg_write(REG_DRIVER_FEATURES, 0);
  reg_write(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
  if ((reg_read(REG_STATUS) & STATUS_FEATURES_OK) == 0) fail("FEATURES_OK refused", 64);
  reg_write(REG_QUEUE_SEL, 0);
  if (reg_read(REG_QUEUE_NUM_MAX) < QUEUE_SIZE) fail("queue too small", 65);
  for (uint64_t a = DESC_ADDR; a < OUT_ADDR + 0x1000; a += 8) poke64(a, 0);
  avail_idx = 0;
  reg_write(REG_QUEUE_NUM, QUEUE_SIZE);
  reg_write(REG_QUEUE_DESC_LOW, (uint32_t)DESC_ADDR);
  reg_write(REG_QUEUE_AVAIL_LOW, (uint32_t)AVAIL_ADDR);
  reg_write(REG_QUEUE_USED_LOW, (uint32_t)USED_ADDR);
  reg_write(REG_QUEUE_READY, 1);
  reg_write(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
  if ((reg_read(REG_STATUS) & STATUS_DRIVER_OK) == 0) fail("DRIVER_OK refused", 66);
}

_Noreturn void mode_virtio(void) {
  set_up();
  static const char message[] = "echo through virtio";
  uint32_t len = sizeof(message) - 1;
  for (uint32_t i = 0; i < len; i++) *(volatile char*)phys_ptr(IN_ADDR + i) = message[i];
  write_desc(0, IN_ADDR, len, 1 /* NEXT */, 1);
  write_desc(1, OUT_ADDR, len, 2 /* WRITE */, 0);
  make_available(0);
  uint32_t waited = 0;
  while (peek16(USED_ADDR + 2) == 0 && waited < WAIT_LOOPS) waited++;
  if (peek16(USED_ADDR + 2) != 1) fail("no used buffer", 67);
  if (peek32(USED_ADDR + 4) != 0 || peek32(USED_ADDR + 8) != len) fail("used element", 68);
  for (uint32_t i = 0; i < len; i++) {
    if (peek8(OUT_ADDR + i) != (uint8_t)message[i]) fail("echoed bytes differ", 69);
  }
  if ((reg_read(REG_INTERRUPT_STATUS) & 1) == 0) fail("no used-buffer interrupt status", 70);
  reg_write(REG_INTERRUPT_ACK, 1);
  put_str("virtio: echo ok\n");

  write_desc(2, IN_ADDR, 4, 1 /* NEXT */, 3);  // 2 -> 3 -> 2 -> ...
  write_desc(3, IN_ADDR, 4, 1 /* NEXT */, 2);
  make_available(2);
  waited = 0;
  while ((reg_read(REG_STATUS) & STATUS_NEEDS_RESET) == 0 && waited < WAIT_LOOPS / 100) waited++;
  if ((reg_read(REG_STATUS) & STATUS_NEEDS_RESET) == 0) fail("no DEVICE_NEEDS_RESET", 71);
  if ((reg_read(REG_INTERRUPT_STATUS) & 2) == 0) fail("no config-change interrupt status", 72);
  reg_write(REG_STATUS, 0);
  if (reg_read(REG_STATUS) != 0 || reg_read(REG_INTERRUPT_STATUS) != 0) fail("reset", 73);
  put_str("virtio: needs-reset ok\n");
  exit_vm(0);
}
