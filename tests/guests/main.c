// The test guest's modes, chosen by the kernel command-line token hulltest.mode=NAME
// (README.md lists them and their exact output). Also the exit path through the exit
// port and the report of unexpected exceptions.
#include "guest.h"

#define DEFAULT_ITERATIONS 10000000u
#define IDT_VECTORS 32
#define IDT_GATE_INTERRUPT_64 0x8e  // present, DPL 0, 64-bit interrupt gate
#define EXCEPTION_STUB_SIZE 16      // head.S aligns each stub to 16 bytes

// Gives an asynchronous device (a reset or exit request being acted on) time to take
// effect before the guest reports that it did not; short even under instruction
// emulation.
#define SETTLE_LOOPS 100000u

struct idt_gate {
  uint16_t offset_low;
  uint16_t selector;
  uint8_t ist;
  uint8_t type_attr;
  uint16_t offset_mid;
  uint32_t offset_high;
  uint32_t reserved;
};

struct __attribute__((packed)) descriptor_pointer {
  uint16_t limit;
  uint64_t base;
};

extern const char hull_exception_stubs[];
static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));

static void delay_loop(uint64_t n) {
  if (n != 0) __asm__ volatile("1: dec %0; jnz 1b" : "+r"(n));
}

static void load_idt(const void* base, uint16_t limit) {
  struct descriptor_pointer ptr = {limit, (uint64_t)(uintptr_t)base};
  __asm__ volatile("lidt %0" : : "m"(ptr));
}

static void install_exception_handlers(uint16_t cs) {
  for (int i = 0; i < IDT_VECTORS; i++) {
    uint64_t handler = (uint64_t)(uintptr_t)hull_exception_stubs + i * EXCEPTION_STUB_SIZE;
    idt[i].offset_low = (uint16_t)handler;
    idt[i].selector = cs;
    idt[i].ist = 0;
    idt[i].type_attr = IDT_GATE_INTERRUPT_64;
    idt[i].offset_mid = (uint16_t)(handler >> 16);
    idt[i].offset_high = (uint32_t)(handler >> 32);
    idt[i].reserved = 0;
  }
  load_idt(idt, sizeof(idt) - 1);
}

_Noreturn void exit_vm(uint32_t status) {
  outl(EXIT_PORT, status);
  delay_loop(SETTLE_LOOPS);
  put_str("exit port did not stop the VM\n");
  for (;;) __asm__ volatile("cli; hlt");
}

// Called by head.S's exception stubs; frame = vector, error code, rip, cs, rflags, ...
_Noreturn void guest_exception(const uint64_t* frame) {
  uint64_t cr2;
  __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
  put_str("exception vector=");
  put_dec(frame[0]);
  put_str(" error=");
  put_hex(frame[1]);
  put_str(" rip=");
  put_hex(frame[2]);
  put_str(" cr2=");
  put_hex(cr2);
  put_char('\n');
  exit_vm(EXIT_STATUS_EXCEPTION);
}

static _Noreturn void mode_hello(void) {
  put_str("hello from the hull test guest\n");
  put_str("bytes:");
  for (int i = 0; i < 256; i++) put_char((char)i);
  put_char('\n');
  exit_vm(0);
}

static _Noreturn void mode_exit(const struct cmdline* cmdline) {
  uint64_t status = 0;
  if (!cmdline_decimal(cmdline, "hulltest.status", &status) || status > UINT32_MAX) status = 0;
  put_str("exiting ");
  put_dec(status);
  put_char('\n');
  exit_vm((uint32_t)status);
}

static _Noreturn void mode_reset(void) {
  put_str("resetting\n");
  outb(I8042_COMMAND_PORT, I8042_PULSE_RESET);
  delay_loop(SETTLE_LOOPS);
  put_str("reset failed\n");
  for (;;) __asm__ volatile("cli; hlt");
}

static _Noreturn void mode_triple_fault(void) {
  put_str("triple faulting\n");
  // #UD finds no IDT entry -> #GP -> #DF -> triple fault -> shutdown.
  load_idt(0, 0);
  __asm__ volatile("ud2");
  put_str("still alive after ud2\n");
  for (;;) __asm__ volatile("cli; hlt");
}

static _Noreturn void mode_page_fault(void) {
  put_str("page faulting\n");
  // Just above the identity-mapped 4 GiB: #PF, reported by guest_exception.
  (void)peek8(1ull << 32);
  put_str("no page fault\n");
  exit_vm(0);
}

static _Noreturn void mode_spin(void) {
  put_str("spinning\n");
  __asm__ volatile("cli; 1: jmp 1b");
  __builtin_unreachable();
}

// Counts forever in a 64-bit word at TICKER_COUNTER_ADDR (guest-physical, in low RAM
// that no boot structure uses), so a test can watch the vCPU run — or not run, while
// the VMM has it paused — by reading guest memory.
#define TICKER_COUNTER_ADDR 0x80000ull
static _Noreturn void mode_ticker(void) {
  volatile uint64_t* counter = (volatile uint64_t*)TICKER_COUNTER_ADDR;
  put_str("ticking\n");
  for (;;) *counter = *counter + 1;
}

// Jumps into the MMIO gap, where no RAM backs the address: the CPU must fetch its next
// instruction from MMIO, which KVM cannot emulate, so the VMM sees an internal error.
#define MMIO_GAP_ADDR 0xd0000000ull
static _Noreturn void mode_mmio_fetch(void) {
  put_str("jumping into MMIO\n");
  void (*target)(void) = (void (*)(void))phys_ptr(MMIO_GAP_ADDR);
  target();
  put_str("returned from MMIO\n");
  exit_vm(97);
}

static _Noreturn void mode_count(const struct cmdline* cmdline) {
  uint64_t iterations = DEFAULT_ITERATIONS;
  if (!cmdline_decimal(cmdline, "hulltest.iterations", &iterations)) {
    iterations = DEFAULT_ITERATIONS;
  }
  delay_loop(iterations);
  put_str("counted ");
  put_dec(iterations);
  put_char('\n');
  exit_vm(0);
}

void guest_main(const struct entry_state* entry) {
  install_exception_handlers(entry->cs);
  struct cmdline cmdline = cmdline_from_boot_params(entry->rsi);
  const char* kMode = "hulltest.mode";
  if (cmdline_value_is(&cmdline, kMode, "hello")) mode_hello();
  if (cmdline_value_is(&cmdline, kMode, "bootstate")) {
    report_boot_state(entry);
    exit_vm(0);
  }
  if (cmdline_value_is(&cmdline, kMode, "exit")) mode_exit(&cmdline);
  if (cmdline_value_is(&cmdline, kMode, "reset")) mode_reset();
  if (cmdline_value_is(&cmdline, kMode, "triplefault")) mode_triple_fault();
  if (cmdline_value_is(&cmdline, kMode, "pagefault")) mode_page_fault();
  if (cmdline_value_is(&cmdline, kMode, "spin")) mode_spin();
  if (cmdline_value_is(&cmdline, kMode, "ticker")) mode_ticker();
  if (cmdline_value_is(&cmdline, kMode, "mmiofetch")) mode_mmio_fetch();
  if (cmdline_value_is(&cmdline, kMode, "count")) mode_count(&cmdline);
  if (cmdline_value_is(&cmdline, kMode, "virtio")) mode_virtio();
  if (cmdline_value_is(&cmdline, kMode, "rng")) mode_rng(&cmdline);
  if (cmdline_value_is(&cmdline, kMode, "blk")) mode_blk(&cmdline);
  if (cmdline_value_is(&cmdline, kMode, "net")) mode_net(&cmdline);
  if (cmdline_value_is(&cmdline, kMode, "vsock")) mode_vsock(&cmdline);
  if (cmdline_value_is(&cmdline, kMode, "hostile")) mode_hostile(&cmdline);
  put_str("unknown mode\n");
  exit_vm(EXIT_STATUS_UNKNOWN_MODE);
}
