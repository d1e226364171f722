// Mode "blk": finds virtio-blk device N (VIRTIO_ID_BLOCK = 2; N from hulltest.blk.index,
// default 0) among the virtio_mmio.device= tokens of the command line and drives it
// through virtio_driver.h (virtio 1.2, 5.2): negotiates FLUSH, RO, BLK_SIZE and
// SEG_MAX, reads the capacity, gets the id, reads 8 sectors at hulltest.blk.sector
// (default 8) and reports their FNV-1a, writes 8 sectors of a known pattern there (in
// two data buffers), flushes, reads them back and compares.
// Report lines (key=value): blk.device=0xADDR (or blk.device=none and nothing else),
// blk.capacity, blk.ro, blk.flush (negotiated), blk.id (text), blk.before (FNV-1a 32 of
// the 4 KiB before writing), blk.write_status, blk.flush_status, blk.read_status (the
// status bytes: 0 OK, 1 IOERR, 2 UNSUPP), blk.compare=ok|mismatch (after the write;
// with a failed write: whether the disk still holds what was there before).
// Pattern byte i of the 4 KiB written: (i + (i >> 8) * 13 + 0x5a) & 0xff.
// With hulltest.blk.stream_kib=K it then reads K KiB more in 4 KiB requests (sectors
// from 0, wrapping at the capacity) between the lines blk.stream=start and
// blk.stream=done, for a host that times the transfer (the rate limiter's test), and
// reports blk.stream_errors (requests not answered OK).
#include "guest.h"
#include "virtio_driver.h"

#define VIRTIO_ID_BLOCK 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_ID_BYTES 20

// Free low RAM (below the MP table, above the command line), identity-mapped.
#define QUEUE_SIZE 8
#define QUEUE_ADDR 0x60000ull    // three pages
#define HEADER_ADDR 0x63000ull   // struct virtio_blk_outhdr
#define STATUS_ADDR 0x63100ull
#define ID_ADDR 0x63200ull
#define WRITE_ADDR 0x64000ull    // 4 KiB
#define READ_ADDR 0x65000ull     // 4 KiB
#define BEFORE_ADDR 0x66000ull   // 4 KiB
#define IO_BYTES 4096u

static _Noreturn void fail(const char* what, uint32_t status) {
  put_str("blk: FAILED: ");
  put_str(what);
  put_char('\n');
  exit_vm(status);
}

static void poke8(uint64_t addr, uint8_t v) { *(volatile uint8_t*)phys_ptr(addr) = v; }
static void poke32(uint64_t addr, uint32_t v) { *(volatile uint32_t*)phys_ptr(addr) = v; }
static void poke64(uint64_t addr, uint64_t v) { *(volatile uint64_t*)phys_ptr(addr) = v; }

// With hulltest.blk.stream_kib (a rate-limited drive may hold a request for seconds),
// each request waits up to this many times as long as virtq_wait_used does.
static uint32_t patience = 1;

static uint8_t pattern(uint32_t i) { return (uint8_t)(i + (i >> 8) * 13 + 0x5a); }

// One request: header, `n` data buffers, status. Returns the status byte.
static uint8_t request(struct virtq* vq, uint32_t type, uint64_t sector,
                       const struct virtq_buf* data, uint16_t n) {
  poke32(HEADER_ADDR, type);
  poke32(HEADER_ADDR + 4, 0);
  poke64(HEADER_ADDR + 8, sector);
  poke8(STATUS_ADDR, 0xff);
  struct virtq_buf bufs[4];
  bufs[0].addr = HEADER_ADDR;
  bufs[0].len = 16;
  bufs[0].writable = false;
  for (uint16_t i = 0; i < n; i++) bufs[1 + i] = data[i];
  bufs[1 + n].addr = STATUS_ADDR;
  bufs[1 + n].len = 1;
  bufs[1 + n].writable = true;
  uint16_t head = virtq_submit(vq, bufs, (uint16_t)(n + 2));
  uint32_t id, len;
  bool used = false;
  for (uint32_t i = 0; i < patience && !used; i++) used = virtq_wait_used(vq, &id, &len);
  if (!used) fail("no used buffer", 111);
  if (id != head) fail("used element id", 112);
  return peek8(STATUS_ADDR);
}

static uint32_t fnv1a(uint64_t addr, uint32_t len) {
  uint32_t h = 0x811c9dc5u;
  for (uint32_t i = 0; i < len; i++) h = (h ^ peek8(addr + i)) * 0x01000193u;
  return h;
}

static bool same(uint64_t a, uint64_t b, uint32_t len) {
  for (uint32_t i = 0; i < len; i++) {
    if (peek8(a + i) != peek8(b + i)) return false;
  }
  return true;
}

static void stream(struct virtq* vq, uint64_t capacity, uint64_t kib) {
  const uint64_t sectors = IO_BYTES / 512;
  uint64_t sector = 0, errors = 0;
  put_str("blk.stream=start\n");
  for (uint64_t done = 0; done < kib; done += IO_BYTES / 1024) {
    if (sector + sectors > capacity) sector = 0;
    struct virtq_buf in = {READ_ADDR, IO_BYTES, true};
    if (request(vq, VIRTIO_BLK_T_IN, sector, &in, 1) != 0) errors++;
    sector += sectors;
  }
  put_str("blk.stream=done\n");
  put_kv_dec("blk.stream_errors", errors);
}

_Noreturn void mode_blk(const struct cmdline* cmdline) {
  uint64_t index = 0, sector = 8, stream_kib = 0;
  const bool streams = cmdline_decimal(cmdline, "hulltest.blk.stream_kib", &stream_kib);
  if (streams) patience = 100;
  if (!cmdline_decimal(cmdline, "hulltest.blk.index", &index)) index = 0;
  if (!cmdline_decimal(cmdline, "hulltest.blk.sector", &sector)) sector = 8;
  struct virtio_dev dev;
  if (!virtio_find(cmdline, VIRTIO_ID_BLOCK, (uint32_t)index, &dev)) {
    put_kv_str("blk.device", "none");
    exit_vm(0);
  }
  put_kv_hex("blk.device", dev.base);
  uint64_t wanted = 1ull << VIRTIO_BLK_F_RO | 1ull << VIRTIO_BLK_F_BLK_SIZE |
                    1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_SEG_MAX;
  uint64_t features = 0;
  const char* error = virtio_negotiate(&dev, wanted, &features);
  if (error) fail(error, 110);
  struct virtq vq;
  if ((error = virtq_setup(&vq, &dev, 0, QUEUE_SIZE, QUEUE_ADDR))) fail(error, 113);
  if ((error = virtio_driver_ok(&dev))) fail(error, 114);
  put_kv_dec("blk.capacity", virtio_config64(&dev, 0));
  put_kv_dec("blk.ro", (features >> VIRTIO_BLK_F_RO) & 1);
  put_kv_dec("blk.flush", (features >> VIRTIO_BLK_F_FLUSH) & 1);

  for (uint32_t i = 0; i < VIRTIO_BLK_ID_BYTES; i++) poke8(ID_ADDR + i, 0);
  struct virtq_buf id = {ID_ADDR, VIRTIO_BLK_ID_BYTES, true};
  if (request(&vq, VIRTIO_BLK_T_GET_ID, 0, &id, 1) != 0) fail("get id", 115);
  put_str("blk.id=");
  for (uint32_t i = 0; i < VIRTIO_BLK_ID_BYTES && peek8(ID_ADDR + i) != 0; i++) {
    put_phys_text(ID_ADDR + i, 1);
  }
  put_char('\n');

  struct virtq_buf before = {BEFORE_ADDR, IO_BYTES, true};
  if (request(&vq, VIRTIO_BLK_T_IN, sector, &before, 1) != 0) fail("first read", 116);
  put_kv_hex("blk.before", fnv1a(BEFORE_ADDR, IO_BYTES));

  for (uint32_t i = 0; i < IO_BYTES; i++) poke8(WRITE_ADDR + i, pattern(i));
  struct virtq_buf out[2] = {{WRITE_ADDR, 1024, false}, {WRITE_ADDR + 1024, IO_BYTES - 1024, false}};
  uint8_t write_status = request(&vq, VIRTIO_BLK_T_OUT, sector, out, 2);
  put_kv_dec("blk.write_status", write_status);
  put_kv_dec("blk.flush_status", request(&vq, VIRTIO_BLK_T_FLUSH, 0, 0, 0));

  for (uint32_t i = 0; i < IO_BYTES; i++) poke8(READ_ADDR + i, 0);
  struct virtq_buf in = {READ_ADDR, IO_BYTES, true};
  put_kv_dec("blk.read_status", request(&vq, VIRTIO_BLK_T_IN, sector, &in, 1));
  bool ok = same(READ_ADDR, write_status == 0 ? WRITE_ADDR : BEFORE_ADDR, IO_BYTES);
  put_kv_str("blk.compare", ok ? "ok" : "mismatch");
  if (streams) stream(&vq, virtio_config64(&dev, 0), stream_kib);
  exit_vm(0);
}
