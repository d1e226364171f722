// Mode "vsock": finds the virtio-vsock device (device ID 19) among the virtio-mmio
// devices on the command line and drives it through virtio_driver.h (virtio 1.2, 5.10):
// negotiates VERSION_1, sets up rx 0, tx 1 and event 2, reads guest_cid. Then
//  - hulltest.vsock_listen=Q: waits for the host's REQUEST to port Q (a host process
//    that wrote "CONNECT Q" to hull-vmm's socket), answers RESPONSE, echoes every byte
//    the host sends until the host closes (SHUTDOWN), answers that with RST;
//  - hulltest.vsock_port=P: connects to host (CID 2) port P, sends two RW packets (the
//    first with header and payload in two descriptors, the second in one), collects the
//    host's echo, then SHUTDOWN(RCV|SEND) and waits for the host's RST.
// Report lines: vsock.device=ADDR (or none), vsock.cid=N, vsock.accepted=1,
// vsock.echoed=N, vsock.connect=ok|refused, vsock.echo=TEXT, vsock.closed=1.
// Polling only; our buf_alloc is 4096 and fwd_cnt counts the bytes we consumed on the
// connection (the spec's counters are per connection: a fwd_cnt carried over from an
// earlier one would claim bytes the host never sent and leave the host no credit).
#include "guest.h"
#include "virtio_driver.h"

#define VIRTIO_ID_VSOCK 19
#define HOST_CID 2

#define OP_REQUEST 1
#define OP_RESPONSE 2
#define OP_RST 3
#define OP_SHUTDOWN 4
#define OP_RW 5
#define OP_CREDIT_UPDATE 6
#define OP_CREDIT_REQUEST 7
#define HDR_SIZE 44
#define BUF_ALLOC 4096

// Low RAM, identity-mapped: three queues of three pages, then buffers.
#define QUEUE_SIZE 8
#define RXQ_ADDR 0x60000ull
#define TXQ_ADDR 0x63000ull
#define EVQ_ADDR 0x66000ull
#define TX_BUF 0x69000ull
#define EVENT_BUF 0x6a000ull
#define RX_BUF 0x6b000ull  // RX_COUNT buffers of RX_BUF_SIZE
#define RX_COUNT 4
#define RX_BUF_SIZE 0x1000
#define ECHO_BUF 0x70000ull
#define GUEST_PORT 1024

struct vsock {
  struct virtio_dev dev;
  struct virtq rx, tx, ev;
  uint64_t cid;
  uint32_t fwd_cnt;  // payload bytes we consumed on the current connection (one at a time)
};
static struct vsock vs;

static _Noreturn void fail(const char* what, uint32_t status) {
  put_str("vsock: FAILED: ");
  put_str(what);
  put_char('\n');
  exit_vm(status);
}

static void poke8(uint64_t a, uint8_t v) { *(volatile uint8_t*)phys_ptr(a) = v; }
static void poke16(uint64_t a, uint16_t v) { *(volatile uint16_t*)phys_ptr(a) = v; }
static void poke32(uint64_t a, uint32_t v) { *(volatile uint32_t*)phys_ptr(a) = v; }
static void poke64(uint64_t a, uint64_t v) { *(volatile uint64_t*)phys_ptr(a) = v; }

static uint32_t hdr_src_port(uint64_t p) { return peek32(p + 16); }
static uint32_t hdr_dst_port(uint64_t p) { return peek32(p + 20); }
static uint32_t hdr_len(uint64_t p) { return peek32(p + 24); }
static uint16_t hdr_op(uint64_t p) { return peek16(p + 30); }

static void post_rx(uint64_t addr) {
  struct virtq_buf b = {addr, RX_BUF_SIZE, true};
  virtq_submit(&vs.rx, &b, 1);
}

// Sends one packet from our port `src` to host port `dst`, with `len` payload bytes
// copied from guest-physical `payload`; `split`: header and payload in two descriptors.
static void send_pkt(uint16_t op, uint32_t src, uint32_t dst, uint32_t flags,
                     uint64_t payload, uint32_t len, bool split) {
  poke64(TX_BUF + 0, vs.cid);
  poke64(TX_BUF + 8, HOST_CID);
  poke32(TX_BUF + 16, src);
  poke32(TX_BUF + 20, dst);
  poke32(TX_BUF + 24, len);
  poke16(TX_BUF + 28, 1);  // VIRTIO_VSOCK_TYPE_STREAM
  poke16(TX_BUF + 30, op);
  poke32(TX_BUF + 32, flags);
  poke32(TX_BUF + 36, BUF_ALLOC);
  poke32(TX_BUF + 40, vs.fwd_cnt);
  for (uint32_t i = 0; i < len; i++) poke8(TX_BUF + HDR_SIZE + i, peek8(payload + i));
  struct virtq_buf bufs[2] = {{TX_BUF, HDR_SIZE, false}, {TX_BUF + HDR_SIZE, len, false}};
  if (!split || len == 0) bufs[0].len = HDR_SIZE + len;
  virtq_submit(&vs.tx, bufs, split && len ? 2 : 1);
  uint32_t id, used;
  if (!virtq_wait_used(&vs.tx, &id, &used)) fail("tx not used", 93);
}

// The next packet from the device: the address of its rx buffer (header first).
// Hand it back with post_rx when done.
// Host round trips (another process, scheduled by the host) can take longer than one
// virtq_wait_used at full speed, so wait several times over.
#define RECV_WAITS 200
static uint64_t recv_pkt(void) {
  uint32_t id, len;
  int tries = 0;
  while (!virtq_wait_used(&vs.rx, &id, &len)) {
    if (++tries == RECV_WAITS) fail("no rx packet", 94);
  }
  uint64_t addr = peek64(vs.rx.desc + 16ull * id);
  if (len < HDR_SIZE || hdr_len(addr) > len - HDR_SIZE) fail("rx length", 95);
  return addr;
}

static void answer_credit_request(uint64_t p) {
  send_pkt(OP_CREDIT_UPDATE, hdr_dst_port(p), hdr_src_port(p), 0, 0, 0, false);
}

// Host-initiated: accept a connection on `port` and echo until the host closes.
static void serve_host(uint32_t port) {
  put_kv_dec("vsock.listen", port);
  uint64_t p = recv_pkt();
  if (hdr_op(p) != OP_REQUEST || hdr_dst_port(p) != port) fail("expected a REQUEST", 96);
  uint32_t host_port = hdr_src_port(p);
  post_rx(p);
  vs.fwd_cnt = 0;
  send_pkt(OP_RESPONSE, port, host_port, 0, 0, 0, false);
  put_kv_dec("vsock.accepted", 1);
  uint64_t echoed = 0;
  for (;;) {
    p = recv_pkt();
    uint16_t op = hdr_op(p);
    if (op == OP_RW && hdr_dst_port(p) == port) {
      uint32_t len = hdr_len(p);
      vs.fwd_cnt += len;
      send_pkt(OP_RW, port, host_port, 0, p + HDR_SIZE, len, true);
      echoed += len;
    } else if (op == OP_CREDIT_REQUEST) {
      answer_credit_request(p);
    } else if (op == OP_SHUTDOWN) {
      send_pkt(OP_RST, port, host_port, 0, 0, 0, false);
      post_rx(p);
      break;
    } else if (op == OP_RST) {
      post_rx(p);
      break;
    }
    post_rx(p);
  }
  put_kv_dec("vsock.echoed", echoed);
}

static const char kHello[] = "hello over vsock";
static const char kAgain[] = ", and again";

// Guest-initiated: connect to host port `port`, send, collect the echo, close.
static void talk_to_host(uint32_t port) {
  vs.fwd_cnt = 0;
  send_pkt(OP_REQUEST, GUEST_PORT, port, 0, 0, 0, false);
  uint64_t p = recv_pkt();
  uint16_t op = hdr_op(p);
  post_rx(p);
  if (op != OP_RESPONSE) {
    put_kv_str("vsock.connect", "refused");
    return;
  }
  put_kv_str("vsock.connect", "ok");
  uint32_t hello = sizeof(kHello) - 1, again = sizeof(kAgain) - 1;
  send_pkt(OP_RW, GUEST_PORT, port, 0, (uint64_t)(uintptr_t)kHello, hello, true);
  send_pkt(OP_RW, GUEST_PORT, port, 0, (uint64_t)(uintptr_t)kAgain, again, false);
  uint32_t got = 0;
  while (got < hello + again) {
    p = recv_pkt();
    op = hdr_op(p);
    if (op == OP_RW) {
      uint32_t len = hdr_len(p);
      for (uint32_t i = 0; i < len && got < 0x1000; i++) poke8(ECHO_BUF + got++, peek8(p + HDR_SIZE + i));
      vs.fwd_cnt += len;
    } else if (op == OP_CREDIT_REQUEST) {
      answer_credit_request(p);
    } else if (op == OP_RST || op == OP_SHUTDOWN) {
      post_rx(p);
      break;
    }
    post_rx(p);
  }
  put_str("vsock.echo=");
  put_phys_text(ECHO_BUF, got);
  put_char('\n');
  send_pkt(OP_SHUTDOWN, GUEST_PORT, port, 3, 0, 0, false);
  for (;;) {
    p = recv_pkt();
    op = hdr_op(p);
    post_rx(p);
    if (op == OP_RST) break;
  }
  put_kv_dec("vsock.closed", 1);
}

_Noreturn void mode_vsock(const struct cmdline* cmdline) {
  if (!virtio_find(cmdline, VIRTIO_ID_VSOCK, 0, &vs.dev)) {
    put_kv_str("vsock.device", "none");
    exit_vm(0);
  }
  put_kv_hex("vsock.device", vs.dev.base);
  const char* error = virtio_negotiate(&vs.dev, 0, 0);
  if (error) fail(error, 90);
  vs.cid = virtio_config64(&vs.dev, 0);
  put_kv_dec("vsock.cid", vs.cid);
  if ((error = virtq_setup(&vs.rx, &vs.dev, 0, QUEUE_SIZE, RXQ_ADDR))) fail(error, 91);
  if ((error = virtq_setup(&vs.tx, &vs.dev, 1, QUEUE_SIZE, TXQ_ADDR))) fail(error, 91);
  if ((error = virtq_setup(&vs.ev, &vs.dev, 2, QUEUE_SIZE, EVQ_ADDR))) fail(error, 91);
  if ((error = virtio_driver_ok(&vs.dev))) fail(error, 92);
  for (uint64_t i = 0; i < RX_COUNT; i++) post_rx(RX_BUF + i * RX_BUF_SIZE);
  struct virtq_buf event = {EVENT_BUF, 8, true};
  virtq_submit(&vs.ev, &event, 1);
  uint64_t port;
  if (cmdline_decimal(cmdline, "hulltest.vsock_listen", &port)) serve_host((uint32_t)port);
  if (cmdline_decimal(cmdline, "hulltest.vsock_port", &port)) talk_to_host((uint32_t)port);
  exit_vm(0);
}
