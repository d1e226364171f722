// A minimal virtio-mmio driver for the test guest's device modes (virtio 1.2, 4.2.3):
// find device N of a type among the virtio_mmio.device= tokens of the command line,
// reset it and negotiate features, set up a split queue in guest RAM the caller picks,
// submit descriptor chains and wait for the used ring. Polling only (interrupts stay
// off). Shared by the virtio, rng, blk (and later net, vsock) modes.
#ifndef HULL_TESTS_GUESTS_VIRTIO_DRIVER_H_
#define HULL_TESTS_GUESTS_VIRTIO_DRIVER_H_

#include "guest.h"

#define VIRTIO_MMIO_MAGIC 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_AVAIL_LOW 0x090
#define VIRTIO_MMIO_QUEUE_USED_LOW 0x0a0
#define VIRTIO_MMIO_CONFIG 0x100

#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2

#define VIRTIO_F_VERSION_1_BIT 32
// Polls of the used ring before vq_wait_used gives up.
#define VIRTIO_WAIT_LOOPS 50000000u
// The most entries a vq may have: its three rings each fit one 4 KiB page.
#define VIRTQ_MAX_SIZE 256

struct virtio_dev {
  uint64_t base;  // MMIO base, guest-physical
};

// One split queue. Its rings occupy three pages at `mem` (identity-mapped RAM the
// caller reserves): descriptors, then the available ring, then the used ring.
struct virtq {
  struct virtio_dev* dev;
  uint16_t index;
  uint16_t size;       // power of two, at most VIRTQ_MAX_SIZE
  uint64_t desc;       // = mem
  uint64_t avail;      // = mem + 0x1000
  uint64_t used;       // = mem + 0x2000
  uint16_t next_desc;  // next free descriptor (the queue hands them out round robin)
  uint16_t avail_idx;  // driver's copy of avail->idx
  uint16_t used_seen;  // used->idx already consumed
};

// One buffer of a chain: `writable` means device-writable (VIRTQ_DESC_F_WRITE).
struct virtq_buf {
  uint64_t addr;
  uint32_t len;
  bool writable;
};

uint32_t virtio_read(const struct virtio_dev* dev, uint32_t offset);
void virtio_write(const struct virtio_dev* dev, uint32_t offset, uint32_t value);
// Device-specific configuration space (offset 0x100 + offset).
uint8_t virtio_config8(const struct virtio_dev* dev, uint32_t offset);
uint32_t virtio_config32(const struct virtio_dev* dev, uint32_t offset);
uint64_t virtio_config64(const struct virtio_dev* dev, uint32_t offset);

// Finds the `n`-th (0-based) device announced by a virtio_mmio.device=SIZE@0xADDR:IRQ
// token whose MMIO registers have the virtio magic and DeviceID `type`. False if none.
bool virtio_find(const struct cmdline* cmdline, uint32_t type, uint32_t n,
                 struct virtio_dev* dev);
// Resets the device, sets ACKNOWLEDGE | DRIVER, reads the offered features, accepts
// (offered & wanted) | VIRTIO_F_VERSION_1 and sets FEATURES_OK. Returns 0 on success
// with *accepted set, or a short reason ("version", "VERSION_1 not offered",
// "FEATURES_OK refused").
const char* virtio_negotiate(struct virtio_dev* dev, uint64_t wanted, uint64_t* accepted);
// Sets up queue `index` with `size` entries at `mem` (three zeroed pages). 0 or a reason.
const char* virtq_setup(struct virtq* vq, struct virtio_dev* dev, uint16_t index,
                        uint16_t size, uint64_t mem);
// Sets DRIVER_OK. 0 or a reason.
const char* virtio_driver_ok(struct virtio_dev* dev);
// Resets the device (Status = 0).
void virtio_reset(struct virtio_dev* dev);

// Low level: writes descriptor `i`, and makes `head` available (with a kick).
void virtq_write_desc(struct virtq* vq, uint16_t i, uint64_t addr, uint32_t len,
                      uint16_t flags, uint16_t next);
void virtq_make_available(struct virtq* vq, uint16_t head);
// Writes `n` buffers as one chain on the next free descriptors, makes it available and
// kicks. Returns the head descriptor index.
uint16_t virtq_submit(struct virtq* vq, const struct virtq_buf* bufs, uint16_t n);
// Waits for the next used element; true with its id and length, false on a timeout.
bool virtq_wait_used(struct virtq* vq, uint32_t* id, uint32_t* len);

#endif  // HULL_TESTS_GUESTS_VIRTIO_DRIVER_H_
