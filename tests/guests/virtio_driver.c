// See virtio_driver.h.
#include "virtio_driver.h"

#define MAX_DEVICES 19

uint32_t virtio_read(const struct virtio_dev* dev, uint32_t offset) {
  return peek32(dev->base + offset);
}
void virtio_write(const struct virtio_dev* dev, uint32_t offset, uint32_t value) {
  *(volatile uint32_t*)phys_ptr(dev->base + offset) = value;
}
uint8_t virtio_config8(const struct virtio_dev* dev, uint32_t offset) {
  return peek8(dev->base + VIRTIO_MMIO_CONFIG + offset);
}
uint32_t virtio_config32(const struct virtio_dev* dev, uint32_t offset) {
  return peek32(dev->base + VIRTIO_MMIO_CONFIG + offset);
}
uint64_t virtio_config64(const struct virtio_dev* dev, uint32_t offset) {
  // Two 32-bit reads: the transport accepts 1..8 bytes, but 32 bits is what every
  // driver uses.
  return virtio_config32(dev, offset) | (uint64_t)virtio_config32(dev, offset + 4) << 32;
}

static void poke16(uint64_t addr, uint16_t v) { *(volatile uint16_t*)phys_ptr(addr) = v; }
static void poke32(uint64_t addr, uint32_t v) { *(volatile uint32_t*)phys_ptr(addr) = v; }
static void poke64(uint64_t addr, uint64_t v) { *(volatile uint64_t*)phys_ptr(addr) = v; }

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

bool virtio_find(const struct cmdline* cmdline, uint32_t type, uint32_t n,
                 struct virtio_dev* dev) {
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
    struct virtio_dev candidate = {addr};
    if (virtio_read(&candidate, VIRTIO_MMIO_MAGIC) != 0x74726976u ||
        virtio_read(&candidate, VIRTIO_MMIO_DEVICE_ID) != type) {
      continue;
    }
    if (n-- == 0) {
      *dev = candidate;
      return true;
    }
  }
  return false;
}

void virtio_reset(struct virtio_dev* dev) { virtio_write(dev, VIRTIO_MMIO_STATUS, 0); }

const char* virtio_negotiate(struct virtio_dev* dev, uint64_t wanted, uint64_t* accepted) {
  if (virtio_read(dev, VIRTIO_MMIO_VERSION) != 2) return "version";
  virtio_reset(dev);
  virtio_write(dev, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
  virtio_write(dev, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
  uint64_t offered = 0;
  for (uint32_t sel = 0; sel < 2; sel++) {
    virtio_write(dev, VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
    offered |= (uint64_t)virtio_read(dev, VIRTIO_MMIO_DEVICE_FEATURES) << (32 * sel);
  }
  const uint64_t kVersion1 = 1ull << VIRTIO_F_VERSION_1_BIT;
  if ((offered & kVersion1) == 0) return "VERSION_1 not offered";
  uint64_t features = (offered & wanted) | kVersion1;
  for (uint32_t sel = 0; sel < 2; sel++) {
    virtio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
    virtio_write(dev, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> (32 * sel)));
  }
  virtio_write(dev, VIRTIO_MMIO_STATUS,
               VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
  if ((virtio_read(dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) == 0) {
    return "FEATURES_OK refused";
  }
  if (accepted) *accepted = features;
  return 0;
}

const char* virtq_setup(struct virtq* vq, struct virtio_dev* dev, uint16_t index,
                        uint16_t size, uint64_t mem) {
  if (size == 0 || size > VIRTQ_MAX_SIZE || (size & (size - 1)) != 0) return "queue size";
  virtio_write(dev, VIRTIO_MMIO_QUEUE_SEL, index);
  if (virtio_read(dev, VIRTIO_MMIO_QUEUE_NUM_MAX) < size) return "queue too small";
  for (uint64_t a = mem; a < mem + 0x3000; a += 8) poke64(a, 0);
  vq->dev = dev;
  vq->index = index;
  vq->size = size;
  vq->desc = mem;
  vq->avail = mem + 0x1000;
  vq->used = mem + 0x2000;
  vq->next_desc = 0;
  vq->avail_idx = 0;
  vq->used_seen = 0;
  virtio_write(dev, VIRTIO_MMIO_QUEUE_NUM, size);
  virtio_write(dev, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)vq->desc);
  virtio_write(dev, VIRTIO_MMIO_QUEUE_DESC_LOW + 4, (uint32_t)(vq->desc >> 32));
  virtio_write(dev, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)vq->avail);
  virtio_write(dev, VIRTIO_MMIO_QUEUE_AVAIL_LOW + 4, (uint32_t)(vq->avail >> 32));
  virtio_write(dev, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)vq->used);
  virtio_write(dev, VIRTIO_MMIO_QUEUE_USED_LOW + 4, (uint32_t)(vq->used >> 32));
  virtio_write(dev, VIRTIO_MMIO_QUEUE_READY, 1);
  return 0;
}

const char* virtio_driver_ok(struct virtio_dev* dev) {
  virtio_write(dev, VIRTIO_MMIO_STATUS,
               VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                   VIRTIO_STATUS_DRIVER_OK);
  if ((virtio_read(dev, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DRIVER_OK) == 0) {
    return "DRIVER_OK refused";
  }
  return 0;
}

void virtq_write_desc(struct virtq* vq, uint16_t i, uint64_t addr, uint32_t len,
                      uint16_t flags, uint16_t next) {
  uint64_t d = vq->desc + 16ull * i;
  poke64(d, addr);
  poke32(d + 8, len);
  poke16(d + 12, flags);
  poke16(d + 14, next);
}

void virtq_make_available(struct virtq* vq, uint16_t head) {
  poke16(vq->avail + 4 + 2 * (vq->avail_idx % vq->size), head);
  __asm__ volatile("" ::: "memory");  // x86 keeps stores in order; the compiler must too
  poke16(vq->avail + 2, ++vq->avail_idx);
  __asm__ volatile("" ::: "memory");
  virtio_write(vq->dev, VIRTIO_MMIO_QUEUE_NOTIFY, vq->index);
}

uint16_t virtq_submit(struct virtq* vq, const struct virtq_buf* bufs, uint16_t n) {
  uint16_t head = vq->next_desc;
  for (uint16_t k = 0; k < n; k++) {
    uint16_t i = (uint16_t)((head + k) % vq->size);
    uint16_t next = (uint16_t)((i + 1) % vq->size);
    uint16_t flags = (bufs[k].writable ? VIRTQ_DESC_F_WRITE : 0) |
                     (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
    virtq_write_desc(vq, i, bufs[k].addr, bufs[k].len, flags, k + 1 < n ? next : 0);
  }
  vq->next_desc = (uint16_t)((head + n) % vq->size);
  virtq_make_available(vq, head);
  return head;
}

bool virtq_wait_used(struct virtq* vq, uint32_t* id, uint32_t* len) {
  uint32_t waited = 0;
  while (peek16(vq->used + 2) == vq->used_seen && waited < VIRTIO_WAIT_LOOPS) waited++;
  if (peek16(vq->used + 2) == vq->used_seen) return false;
  __asm__ volatile("" ::: "memory");
  uint64_t elem = vq->used + 4 + 8ull * (vq->used_seen % vq->size);
  *id = peek32(elem);
  *len = peek32(elem + 4);
  vq->used_seen++;
  return true;
}
