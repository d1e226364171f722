// Mode "rng": finds the virtio-rng device (device ID 4, VIRTIO_ID_RNG) among the
// virtio-mmio devices hull-vmm announces on the kernel command line
// (virtio_mmio.device=4K@0xADDR:IRQ), drives it as a driver would (virtio 1.2, 4.2.3
// and 5.4): negotiates VIRTIO_F_VERSION_1, sets up queue 0, posts a 64-byte writable
// buffer, kicks, waits for the used ring, then does it again and compares.
// Report lines: rng.device=ADDR (or rng.device=none), rng.bytes=N, rng.nonzero=0|1,
// rng.differ=0|1.
#include "guest.h"

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
#define REG_STATUS 0x070
#define REG_QUEUE_DESC_LOW 0x080
#define REG_QUEUE_AVAIL_LOW 0x090
#define REG_QUEUE_USED_LOW 0x0a0

#define STATUS_ACKNOWLEDGE 1
#define STATUS_DRIVER 2
#define STATUS_DRIVER_OK 4
#define STATUS_FEATURES_OK 8

#define VIRTIO_ID_RNG 4
#define MAX_DEVICES 19

// Free low RAM (below the MP table, above the command line), identity-mapped.
#define QUEUE_SIZE 8
#define DESC_ADDR 0x60000ull
#define AVAIL_ADDR 0x61000ull
#define USED_ADDR 0x62000ull
#define BUF_ADDR 0x63000ull  // request i writes to BUF_ADDR + 0x100 * i
#define REQUEST_LEN 64
#define WAIT_LOOPS 50000000u

static uint64_t base;

static uint32_t reg_read(uint32_t offset) { return peek32(base + offset); }
static void reg_write(uint32_t offset, uint32_t value) {
  *(volatile uint32_t*)phys_ptr(base + offset) = value;
}
static void poke16(uint64_t addr, uint16_t v) { *(volatile uint16_t*)phys_ptr(addr) = v; }
static void poke32(uint64_t addr, uint32_t v) { *(volatile uint32_t*)phys_ptr(addr) = v; }
static void poke64(uint64_t addr, uint64_t v) { *(volatile uint64_t*)phys_ptr(addr) = v; }

static _Noreturn void fail(const char* what, uint32_t status) {
  put_str("rng: FAILED: ");
  put_str(what);
  put_char('\n');
  exit_vm(status);
}

static bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n'; }

// Parses "<size>@0x<hex>:<irq>" at [value, value + len); 0 when it is not that.
static uint64_t device_address(uint64_t value, uint32_t len) {
  uint32_t i = 0;
  while (i < len && peek8(value + i) != '@') i++;
  if (i + 2 >= len || peek8(value + i + 1) != '0' || peek8(value + i + 2) != 'x') return 0;
  uint64_t addr = 0;
  for (i += 3; i < len && peek8(value + i) != ':'; i++) {
    uint8_t c = peek8(value + i);
    uint64_t digit;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    else return 0;
    if (addr >> 60) return 0;
    addr = addr << 4 | digit;
  }
  return addr;
}

// The first announced virtio-mmio device whose DeviceID is VIRTIO_ID_RNG; 0 if none.
static uint64_t find_rng(const struct cmdline* cmdline) {
  static const char kKey[] = "virtio_mmio.device=";
  const uint32_t key_len = sizeof(kKey) - 1;
  int seen = 0;
  uint32_t i = 0;
  while (i < cmdline->len && seen < MAX_DEVICES) {
    while (i < cmdline->len && is_space(peek8(cmdline->addr + i))) i++;
    uint32_t start = i;
    while (i < cmdline->len && !is_space(peek8(cmdline->addr + i))) i++;
    uint32_t k = 0;
    while (k < key_len && start + k < i && peek8(cmdline->addr + start + k) == (uint8_t)kKey[k]) k++;
    if (k != key_len) continue;
    seen++;
    uint64_t addr = device_address(cmdline->addr + start + k, i - (start + k));
    if (addr == 0 || !phys_mapped(addr, 0x1000)) continue;
    base = addr;
    if (reg_read(REG_MAGIC) == 0x74726976u && reg_read(REG_DEVICE_ID) == VIRTIO_ID_RNG) return addr;
  }
  return 0;
}

static void set_up(void) {
  if (reg_read(REG_VERSION) != 2) fail("version", 81);
  reg_write(REG_STATUS, 0);
  reg_write(REG_STATUS, STATUS_ACKNOWLEDGE);
  reg_write(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
  reg_write(REG_DEVICE_FEATURES_SEL, 1);
  if ((reg_read(REG_DEVICE_FEATURES) & 1) == 0) fail("VIRTIO_F_VERSION_1 not offered", 82);
  reg_write(REG_DRIVER_FEATURES_SEL, 1);
  reg_write(REG_DRIVER_FEATURES, 1);  // VIRTIO_F_VERSION_1 (bit 32)
  reg_write(REG_DRIVER_FEATURES_SEL, 0);
  reg_write(REG_DRIVER_FEATURES, 0);
  reg_write(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
  if ((reg_read(REG_STATUS) & STATUS_FEATURES_OK) == 0) fail("FEATURES_OK refused", 83);
  reg_write(REG_QUEUE_SEL, 0);
  if (reg_read(REG_QUEUE_NUM_MAX) < QUEUE_SIZE) fail("queue too small", 84);
  for (uint64_t a = DESC_ADDR; a < BUF_ADDR + 0x1000; a += 8) poke64(a, 0);
  reg_write(REG_QUEUE_NUM, QUEUE_SIZE);
  reg_write(REG_QUEUE_DESC_LOW, (uint32_t)DESC_ADDR);
  reg_write(REG_QUEUE_AVAIL_LOW, (uint32_t)AVAIL_ADDR);
  reg_write(REG_QUEUE_USED_LOW, (uint32_t)USED_ADDR);
  reg_write(REG_QUEUE_READY, 1);
  reg_write(REG_STATUS, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
  if ((reg_read(REG_STATUS) & STATUS_DRIVER_OK) == 0) fail("DRIVER_OK refused", 85);
}

// Request `n` (0, 1, ...): descriptor n, one writable buffer; returns the used length.
static uint32_t request(uint16_t n) {
  uint64_t d = DESC_ADDR + 16ull * n;
  poke64(d, BUF_ADDR + 0x100ull * n);
  poke32(d + 8, REQUEST_LEN);
  poke16(d + 12, 2 /* WRITE */);
  poke16(d + 14, 0);
  poke16(AVAIL_ADDR + 4 + 2 * (n % QUEUE_SIZE), n);
  __asm__ volatile("" ::: "memory");  // x86 keeps stores in order; the compiler must too
  poke16(AVAIL_ADDR + 2, (uint16_t)(n + 1));
  reg_write(REG_QUEUE_NOTIFY, 0);
  uint32_t waited = 0;
  while (peek16(USED_ADDR + 2) != n + 1 && waited < WAIT_LOOPS) waited++;
  if (peek16(USED_ADDR + 2) != n + 1) fail("no used buffer", 86);
  uint64_t elem = USED_ADDR + 4 + 8ull * (n % QUEUE_SIZE);
  if (peek32(elem) != n) fail("used element id", 87);
  return peek32(elem + 4);
}

_Noreturn void mode_rng(const struct cmdline* cmdline) {
  uint64_t addr = find_rng(cmdline);
  if (addr == 0) {
    put_kv_str("rng.device", "none");
    exit_vm(0);
  }
  put_kv_hex("rng.device", addr);
  set_up();
  uint32_t len = request(0);
  put_kv_dec("rng.bytes", len);
  if (len > REQUEST_LEN) fail("used length above the buffer", 88);
  bool nonzero = false;
  for (uint32_t i = 0; i < len; i++) nonzero |= peek8(BUF_ADDR + i) != 0;
  put_kv_dec("rng.nonzero", nonzero);
  uint32_t len2 = request(1);
  bool differ = len2 != len;
  for (uint32_t i = 0; i < len && i < len2; i++) {
    differ |= peek8(BUF_ADDR + i) != peek8(BUF_ADDR + 0x100 + i);
  }
  put_kv_dec("rng.differ", differ);
  exit_vm(0);
}
