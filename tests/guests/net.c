// Mode "net": finds the virtio-net device (device ID 1, VIRTIO_ID_NET) among the
// virtio-mmio devices on the kernel command line and drives it through
// virtio_driver.h (virtio 1.2, 5.1): negotiates VERSION_1 and MAC only (no offloads,
// no mergeable buffers, so each receive buffer holds a whole frame), reads the MAC and
// link status from the config space, sets up the receive (0) and transmit (1) queues,
// posts two receive buffers, sends one broadcast frame of EtherType 0x88b5 carrying
// "hull guest frame", then waits for a frame of that EtherType (skipping up to 8 others
// the host's stack may send first) and reports it.
// Report lines: net.device=ADDR (or net.device=none), net.mac=aa:bb:..., net.link=0|1,
// net.sent=1, net.received=N (frame bytes, header excluded), net.payload=TEXT.
#include "guest.h"
#include "virtio_driver.h"

#define VIRTIO_ID_NET 1
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_HDR_BYTES 12  // struct virtio_net_hdr_v1
#define ETHERTYPE_TEST 0x88b5

// Free low RAM (below the MP table, above the command line), identity-mapped.
#define QUEUE_SIZE 8
#define RX_QUEUE_ADDR 0x60000ull  // three pages
#define TX_QUEUE_ADDR 0x63000ull  // three pages
#define RX_BUF_ADDR 0x66000ull    // two buffers of RX_BUF_LEN
#define RX_BUF_LEN 2048u
#define TX_BUF_ADDR 0x67000ull

static _Noreturn void fail(const char* what, uint32_t status) {
  put_str("net: FAILED: ");
  put_str(what);
  put_char('\n');
  exit_vm(status);
}

static void put_mac(const uint8_t* mac) {
  static const char kDigits[] = "0123456789abcdef";
  put_str("net.mac=");
  for (int i = 0; i < 6; i++) {
    if (i) put_char(':');
    put_char(kDigits[mac[i] >> 4]);
    put_char(kDigits[mac[i] & 15]);
  }
  put_char('\n');
}

// Which buffer each receive descriptor points at (the queue hands descriptors out
// round robin, so a reposted buffer gets a new one).
static uint64_t rx_buffer_of[QUEUE_SIZE];

static void post_rx(struct virtq* rx, uint64_t addr) {
  struct virtq_buf buf = {addr, RX_BUF_LEN, true};
  rx_buffer_of[virtq_submit(rx, &buf, 1)] = addr;
}

static uint32_t send_frame(struct virtq* tx, const uint8_t* mac) {
  static const char kPayload[] = "hull guest frame";
  volatile uint8_t* p = (volatile uint8_t*)phys_ptr(TX_BUF_ADDR);
  uint32_t n = 0;
  for (; n < VIRTIO_NET_HDR_BYTES; n++) p[n] = 0;
  for (int i = 0; i < 6; i++) p[n++] = 0xff;
  for (int i = 0; i < 6; i++) p[n++] = mac[i];
  p[n++] = ETHERTYPE_TEST >> 8;
  p[n++] = ETHERTYPE_TEST & 0xff;
  for (int i = 0; kPayload[i]; i++) p[n++] = (uint8_t)kPayload[i];
  struct virtq_buf buf = {TX_BUF_ADDR, n, false};
  uint16_t head = virtq_submit(tx, &buf, 1);
  uint32_t id, len;
  if (!virtq_wait_used(tx, &id, &len)) fail("transmit: no used buffer", 125);
  if (id != head) fail("transmit: used element id", 126);
  return n - VIRTIO_NET_HDR_BYTES;
}

_Noreturn void mode_net(const struct cmdline* cmdline) {
  struct virtio_dev dev;
  if (!virtio_find(cmdline, VIRTIO_ID_NET, 0, &dev)) {
    put_kv_str("net.device", "none");
    exit_vm(0);
  }
  put_kv_hex("net.device", dev.base);
  uint64_t accepted = 0;
  const char* error = virtio_negotiate(
      &dev, (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS), &accepted);
  if (error) fail(error, 120);
  if (!(accepted & (1ull << VIRTIO_NET_F_MAC))) fail("no MAC offered", 121);
  uint8_t mac[6];
  for (int i = 0; i < 6; i++) mac[i] = virtio_config8(&dev, i);
  put_mac(mac);
  put_kv_dec("net.link", virtio_config8(&dev, 6) & 1);  // VIRTIO_NET_S_LINK_UP
  struct virtq rx, tx;
  if ((error = virtq_setup(&rx, &dev, 0, QUEUE_SIZE, RX_QUEUE_ADDR))) fail(error, 122);
  if ((error = virtq_setup(&tx, &dev, 1, QUEUE_SIZE, TX_QUEUE_ADDR))) fail(error, 123);
  if ((error = virtio_driver_ok(&dev))) fail(error, 124);
  post_rx(&rx, RX_BUF_ADDR);
  post_rx(&rx, RX_BUF_ADDR + RX_BUF_LEN);
  put_kv_dec("net.sent", send_frame(&tx, mac) > 0);
  for (int frames = 0; frames < 8; frames++) {
    uint32_t id, len;
    if (!virtq_wait_used(&rx, &id, &len)) fail("receive: no used buffer", 127);
    if (id >= QUEUE_SIZE) fail("receive: used element id", 128);
    uint64_t buf = rx_buffer_of[id];
    if (len > RX_BUF_LEN) fail("receive: used length above the buffer", 128);
    uint64_t frame = buf + VIRTIO_NET_HDR_BYTES;
    if (len >= VIRTIO_NET_HDR_BYTES + 14 && peek8(frame + 12) == (ETHERTYPE_TEST >> 8) &&
        peek8(frame + 13) == (ETHERTYPE_TEST & 0xff)) {
      put_kv_dec("net.received", len - VIRTIO_NET_HDR_BYTES);
      put_str("net.payload=");
      put_phys_text(frame + 14, len - VIRTIO_NET_HDR_BYTES - 14);
      put_char('\n');
      exit_vm(0);
    }
    post_rx(&rx, buf);  // someone else's frame: give the buffer back
  }
  fail("receive: no test frame among 8", 129);
}
