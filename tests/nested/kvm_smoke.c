// Minimal /dev/kvm smoke test + micro-benchmarks. Used to validate the nested
// environment started by run-in-tcg-kvm.sh (QEMU TCG emulating AMD SVM, with
// kvm_amd loaded in the TCG guest), but it works on any x86-64 KVM host.
//
// Build:  gcc -O2 -static -o kvm_smoke kvm_smoke.c
// Run:    kvm_smoke [LOOP_ITERS [EXITS]]     (0 skips a benchmark)
//
// Tests (exit status 0 iff all pass):
//   real-mode     out %al,(%dx) to 0x3f8, hlt -> KVM_EXIT_IO, KVM_EXIT_HLT
//   long-mode     identity-mapped 2 MiB pages, 64-bit regs + memory store
//   mmio          store to an unbacked GPA -> KVM_EXIT_MMIO with the data
//   irqchip       KVM_CREATE_IRQCHIP, KVM_CREATE_PIT2, KVM_SET_CPUID2 from
//                 KVM_GET_SUPPORTED_CPUID, ioeventfd (PIO write w/o exit),
//                 KVM_IRQFD registration, guest cpuid sees the set leaves
// Benchmarks: ALU loop, memory loop (long mode, in the nested guest and the
// same code natively), PIO and MMIO exit round trips.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM_SIZE (4u << 20)   // backed guest RAM: [0, 4 MiB)
#define CODE_GPA 0x10000
#define MMIO_GPA 0x40000000ull // unbacked, mapped by the page tables
#define DATA_GPA 0x200000      // 1 MiB scratch area for the memory benchmark

// ---------------------------------------------------------------- guest code
#define BLOB(name, body)                                          \
  extern const uint8_t name##_start[], name##_end[];              \
  __asm__(".pushsection .rodata\n" #name "_start:\n" body         \
          "\n" #name "_end:\n.popsection\n")

// real mode (16-bit)
BLOB(g_real, ".code16\n"
             "mov $0x3f8, %dx\n"
             "mov $'H', %al\n"
             "out %al, (%dx)\n"
             "hlt\n"
             ".code64\n");

BLOB(g_long, "mov $0x3f8, %dx\n"
             "mov $'H', %al\n"
             "out %al, (%dx)\n"
             "movabs $0x1122334455667788, %rax\n"
             "mov %rax, 0x1ff000\n"
             "hlt\n");

BLOB(g_mmio, "movabs $0x40000010, %rbx\n"
             "movl $0xdeadbeef, (%rbx)\n"   // MMIO write exit
             "mov (%rbx), %eax\n"            // MMIO read exit
             "hlt\n");

// rcx = iterations (set by host)
BLOB(g_alu, "1: add %rcx, %rax\n"
            "xor %rdx, %rax\n"
            "dec %rcx\n"
            "jnz 1b\n"
            "hlt\n");

// rcx = iterations; touches 1 MiB at DATA_GPA with 64-byte stride
BLOB(g_mem, "xor %edi, %edi\n"
            "1: mov 0x200000(%rdi), %rax\n"
            "add %rax, %rdx\n"
            "mov %rdx, 0x200000(%rdi)\n"
            "add $64, %rdi\n"
            "and $0xfffff, %rdi\n"
            "dec %rcx\n"
            "jnz 1b\n"
            "hlt\n");

BLOB(g_pio_loop, "mov $0x3f8, %dx\n"
                 "1: out %al, (%dx)\n"
                 "jmp 1b\n");

BLOB(g_mmio_loop, "movabs $0x40000000, %rbx\n"
                  "1: movl %eax, (%rbx)\n"
                  "jmp 1b\n");

// with in-kernel irqchip: ioeventfd write to 0x500, cpuid(0), report via 0x3f8
BLOB(g_irqchip, "mov $0x500, %dx\n"
                "mov $1, %al\n"
                "out %al, (%dx)\n"          // ioeventfd: must not exit
                "xor %eax, %eax\n"
                "cpuid\n"
                "mov %ebx, %eax\n"          // vendor string part 1 in %eax
                "mov $0x3f8, %dx\n"
                "out %eax, (%dx)\n"         // 4-byte PIO exit
                "2: jmp 2b\n");

// ----------------------------------------------------------------- harness
static int kvm_fd;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

#define CHECK(cond, ...)                                                  \
  do {                                                                    \
    if (!(cond)) {                                                        \
      int e_ = errno;                                                     \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                \
      fprintf(stderr, __VA_ARGS__);                                       \
      fprintf(stderr, " (errno=%d %s)\n", e_, strerror(e_));              \
      exit(1);                                                            \
    }                                                                     \
  } while (0)

struct vm {
  int vm_fd, vcpu_fd;
  uint8_t *mem;
  struct kvm_run *run;
};

static void vm_create_fd(struct vm *v) {
  v->vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
  CHECK(v->vm_fd >= 0, "KVM_CREATE_VM");
}

static void vm_finish(struct vm *v) {
  v->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
                MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  CHECK(v->mem != MAP_FAILED, "mmap");
  struct kvm_userspace_memory_region r = {
      .slot = 0, .guest_phys_addr = 0, .memory_size = MEM_SIZE,
      .userspace_addr = (uint64_t)(uintptr_t)v->mem};
  CHECK(ioctl(v->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) == 0,
        "KVM_SET_USER_MEMORY_REGION");
  v->vcpu_fd = ioctl(v->vm_fd, KVM_CREATE_VCPU, 0);
  CHECK(v->vcpu_fd >= 0, "KVM_CREATE_VCPU");
  int sz = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
  CHECK(sz > 0, "KVM_GET_VCPU_MMAP_SIZE");
  v->run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu_fd, 0);
  CHECK(v->run != MAP_FAILED, "mmap vcpu");
}

static void vm_create(struct vm *v) {
  vm_create_fd(v);
  vm_finish(v);
}

static void vm_destroy(struct vm *v) {
  close(v->vcpu_fd);
  close(v->vm_fd);
  munmap(v->mem, MEM_SIZE);
}

static int vm_run(struct vm *v) {
  CHECK(ioctl(v->vcpu_fd, KVM_RUN, 0) == 0, "KVM_RUN");
  return v->run->exit_reason;
}

static void load_code(struct vm *v, const uint8_t *s, const uint8_t *e) {
  memcpy(v->mem + CODE_GPA, s, e - s);
}

// PML4 0x1000, PDPT 0x2000, PD 0x3000 (GPA 0-1 GiB) and PD 0x4000 (1-2 GiB),
// 2 MiB pages; GDT at 0x500; code at CODE_GPA.
static void setup_long_mode(struct vm *v) {
  uint64_t *pml4 = (uint64_t *)(v->mem + 0x1000);
  uint64_t *pdpt = (uint64_t *)(v->mem + 0x2000);
  uint64_t *pd0 = (uint64_t *)(v->mem + 0x3000);
  uint64_t *pd1 = (uint64_t *)(v->mem + 0x4000);
  pml4[0] = 0x2000 | 3;
  pdpt[0] = 0x3000 | 3;
  pdpt[1] = 0x4000 | 3;
  for (uint64_t i = 0; i < 512; i++) {
    pd0[i] = (i << 21) | 0x83;                // P|RW|PS
    pd1[i] = ((1ull << 30) + (i << 21)) | 0x83;
  }
  uint64_t *gdt = (uint64_t *)(v->mem + 0x500);
  gdt[0] = 0;
  gdt[1] = 0x00af9b000000ffffull;  // 64-bit code
  gdt[2] = 0x00cf93000000ffffull;  // data

  struct kvm_sregs s;
  CHECK(ioctl(v->vcpu_fd, KVM_GET_SREGS, &s) == 0, "KVM_GET_SREGS");
  struct kvm_segment cs = {.base = 0, .limit = 0xffffffff, .selector = 8,
                           .type = 11, .present = 1, .dpl = 0, .db = 0,
                           .s = 1, .l = 1, .g = 1};
  struct kvm_segment ds = cs;
  ds.selector = 16;
  ds.type = 3;
  ds.l = 0;
  ds.db = 1;
  s.cs = cs;
  s.ds = s.es = s.fs = s.gs = s.ss = ds;
  s.gdt.base = 0x500;
  s.gdt.limit = 3 * 8 - 1;
  s.cr3 = 0x1000;
  s.cr4 = 1u << 5;                                  // PAE
  s.cr0 = 1u | (1u << 4) | (1u << 5) | (1u << 31);  // PE|ET|NE|PG
  s.efer = (1u << 8) | (1u << 10);                  // LME|LMA
  CHECK(ioctl(v->vcpu_fd, KVM_SET_SREGS, &s) == 0, "KVM_SET_SREGS (long)");
  struct kvm_regs r = {.rip = CODE_GPA, .rflags = 2, .rsp = 0x1ff000};
  CHECK(ioctl(v->vcpu_fd, KVM_SET_REGS, &r) == 0, "KVM_SET_REGS");
}

static void set_reg_rcx(struct vm *v, uint64_t rcx) {
  struct kvm_regs r;
  CHECK(ioctl(v->vcpu_fd, KVM_GET_REGS, &r) == 0, "KVM_GET_REGS");
  r.rcx = rcx;
  CHECK(ioctl(v->vcpu_fd, KVM_SET_REGS, &r) == 0, "KVM_SET_REGS");
}

static void expect_out_then_hlt(struct vm *v, const char *what) {
  int r = vm_run(v);
  CHECK(r == KVM_EXIT_IO, "%s: expected KVM_EXIT_IO, got %d", what, r);
  CHECK(v->run->io.direction == KVM_EXIT_IO_OUT && v->run->io.port == 0x3f8 &&
            v->run->io.size == 1,
        "%s: bad io exit dir=%d port=%#x size=%d", what, v->run->io.direction,
        v->run->io.port, v->run->io.size);
  char c = *((char *)v->run + v->run->io.data_offset);
  CHECK(c == 'H', "%s: expected 'H', got %#x", what, c);
  r = vm_run(v);
  CHECK(r == KVM_EXIT_HLT, "%s: expected KVM_EXIT_HLT, got %d", what, r);
  printf("PASS %s: KVM_EXIT_IO(0x3f8,'H') then KVM_EXIT_HLT\n", what);
}

static void test_real_mode(void) {
  struct vm v;
  vm_create(&v);
  memcpy(v.mem + 0x1000, g_real_start, g_real_end - g_real_start);
  struct kvm_sregs s;
  CHECK(ioctl(v.vcpu_fd, KVM_GET_SREGS, &s) == 0, "KVM_GET_SREGS");
  s.cs.base = 0;
  s.cs.selector = 0;
  CHECK(ioctl(v.vcpu_fd, KVM_SET_SREGS, &s) == 0, "KVM_SET_SREGS");
  struct kvm_regs r = {.rip = 0x1000, .rflags = 2};
  CHECK(ioctl(v.vcpu_fd, KVM_SET_REGS, &r) == 0, "KVM_SET_REGS");
  expect_out_then_hlt(&v, "real-mode");
  vm_destroy(&v);
}

static void test_long_mode(void) {
  struct vm v;
  vm_create(&v);
  load_code(&v, g_long_start, g_long_end);
  setup_long_mode(&v);
  expect_out_then_hlt(&v, "long-mode");
  uint64_t val;
  memcpy(&val, v.mem + 0x1ff000, 8);
  CHECK(val == 0x1122334455667788ull, "long-mode: 64-bit store got %#llx",
        (unsigned long long)val);
  struct kvm_regs r;
  CHECK(ioctl(v.vcpu_fd, KVM_GET_REGS, &r) == 0, "KVM_GET_REGS");
  CHECK(r.rax == 0x1122334455667788ull, "long-mode: rax %#llx",
        (unsigned long long)r.rax);
  printf("PASS long-mode: 64-bit register + memory store visible to host\n");
  vm_destroy(&v);
}

static void test_mmio(void) {
  struct vm v;
  vm_create(&v);
  load_code(&v, g_mmio_start, g_mmio_end);
  setup_long_mode(&v);
  int r = vm_run(&v);
  CHECK(r == KVM_EXIT_MMIO, "mmio: expected KVM_EXIT_MMIO, got %d", r);
  CHECK(v.run->mmio.is_write && v.run->mmio.phys_addr == MMIO_GPA + 0x10 &&
            v.run->mmio.len == 4,
        "mmio: bad write exit w=%d addr=%#llx len=%u", v.run->mmio.is_write,
        (unsigned long long)v.run->mmio.phys_addr, v.run->mmio.len);
  uint32_t d;
  memcpy(&d, v.run->mmio.data, 4);
  CHECK(d == 0xdeadbeef, "mmio: write data %#x", d);
  r = vm_run(&v);
  CHECK(r == KVM_EXIT_MMIO && !v.run->mmio.is_write && v.run->mmio.len == 4,
        "mmio: expected read exit, got reason %d", r);
  d = 0xcafef00d;
  memcpy(v.run->mmio.data, &d, 4);
  r = vm_run(&v);
  CHECK(r == KVM_EXIT_HLT, "mmio: expected HLT, got %d", r);
  struct kvm_regs regs;
  CHECK(ioctl(v.vcpu_fd, KVM_GET_REGS, &regs) == 0, "KVM_GET_REGS");
  CHECK((uint32_t)regs.rax == 0xcafef00d, "mmio: read value %#llx",
        (unsigned long long)regs.rax);
  printf("PASS mmio: write + read exits, read data delivered to guest\n");
  vm_destroy(&v);
}

static void test_irqchip(void) {
  struct vm v;
  vm_create_fd(&v);
  CHECK(ioctl(v.vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul) == 0, "KVM_SET_TSS_ADDR");
  CHECK(ioctl(v.vm_fd, KVM_CREATE_IRQCHIP, 0) == 0, "KVM_CREATE_IRQCHIP");
  struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
  CHECK(ioctl(v.vm_fd, KVM_CREATE_PIT2, &pit) == 0, "KVM_CREATE_PIT2");
  vm_finish(&v);

  int nent = 256;
  struct kvm_cpuid2 *cpuid =
      calloc(1, sizeof(*cpuid) + nent * sizeof(struct kvm_cpuid_entry2));
  cpuid->nent = nent;
  CHECK(ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0,
        "KVM_GET_SUPPORTED_CPUID");
  uint32_t vendor_ebx = 0;
  for (uint32_t i = 0; i < cpuid->nent; i++)
    if (cpuid->entries[i].function == 0) vendor_ebx = cpuid->entries[i].ebx;
  CHECK(ioctl(v.vcpu_fd, KVM_SET_CPUID2, cpuid) == 0, "KVM_SET_CPUID2");

  int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  CHECK(efd >= 0, "eventfd");
  struct kvm_ioeventfd io = {.addr = 0x500, .len = 1, .fd = efd,
                             .flags = KVM_IOEVENTFD_FLAG_PIO};
  CHECK(ioctl(v.vm_fd, KVM_IOEVENTFD, &io) == 0, "KVM_IOEVENTFD");
  int ifd = eventfd(0, EFD_CLOEXEC);
  struct kvm_irqfd irqfd = {.fd = ifd, .gsi = 5};
  CHECK(ioctl(v.vm_fd, KVM_IRQFD, &irqfd) == 0, "KVM_IRQFD");

  load_code(&v, g_irqchip_start, g_irqchip_end);
  setup_long_mode(&v);
  int r = vm_run(&v);
  CHECK(r == KVM_EXIT_IO && v.run->io.port == 0x3f8 && v.run->io.size == 4,
        "irqchip: expected 4-byte PIO exit on 0x3f8, got reason %d port %#x",
        r, r == KVM_EXIT_IO ? v.run->io.port : 0);
  uint32_t got;
  memcpy(&got, (char *)v.run + v.run->io.data_offset, 4);
  CHECK(got == vendor_ebx, "irqchip: guest cpuid(0).ebx %#x != set %#x", got,
        vendor_ebx);
  uint64_t cnt = 0;
  CHECK(read(efd, &cnt, 8) == 8 && cnt == 1, "irqchip: ioeventfd not signalled");
  uint64_t one = 1;
  CHECK(write(ifd, &one, 8) == 8, "irqfd write");
  printf("PASS irqchip: IRQCHIP+PIT2+CPUID2 (%u leaves, vendor %.4s), "
         "ioeventfd, irqfd\n",
         cpuid->nent, (char *)&vendor_ebx);
  close(efd);
  close(ifd);
  free(cpuid);
  vm_destroy(&v);
}

static void bench_loop(const char *name, const uint8_t *s, const uint8_t *e,
                       uint64_t iters, double insns_per_iter) {
  struct vm v;
  vm_create(&v);
  load_code(&v, s, e);
  setup_long_mode(&v);
  set_reg_rcx(&v, iters);
  double t0 = now();
  int r = vm_run(&v);
  double t1 = now();
  CHECK(r == KVM_EXIT_HLT, "bench %s: expected HLT got %d", name, r);
  struct kvm_regs regs;
  CHECK(ioctl(v.vcpu_fd, KVM_GET_REGS, &regs) == 0, "KVM_GET_REGS");
  CHECK(regs.rcx == 0, "bench %s: rcx=%llu", name,
        (unsigned long long)regs.rcx);
  double insns = insns_per_iter * iters;
  printf("BENCH %-4s loop in KVM guest: %.0f insns in %.3f s = %.1f M insn/s\n",
         name, insns, t1 - t0, insns / (t1 - t0) / 1e6);
  vm_destroy(&v);
}

static void bench_native(uint64_t iters) {
  // Same ALU + memory loops run directly (no KVM) for comparison.
  uint64_t rax = 0, rcx = iters;
  double t0 = now();
  __asm__ volatile("1: add %%rcx,%%rax; xor %%rdx,%%rax; dec %%rcx; jnz 1b"
                   : "+a"(rax), "+c"(rcx)
                   : "d"(0ull)
                   : "cc");
  double t1 = now();
  CHECK(rax == iters * (iters + 1) / 2, "native alu loop result");
  printf("BENCH alu  loop native     : %.0f insns in %.3f s = %.1f M insn/s\n",
         4.0 * iters, t1 - t0, 4.0 * iters / (t1 - t0) / 1e6);
  uint8_t *buf = aligned_alloc(4096, 1 << 20);
  memset(buf, 0, 1 << 20);
  uint64_t rdi, rdx = 0;
  rcx = iters;
  t0 = now();
  __asm__ volatile(
      "xor %%edi,%%edi\n"
      "1: mov (%%rsi,%%rdi), %%rax\n add %%rax,%%rdx\n"
      "mov %%rdx,(%%rsi,%%rdi)\n add $64,%%rdi\n and $0xfffff,%%rdi\n"
      "dec %%rcx\n jnz 1b"
      : "+c"(rcx), "+d"(rdx), "=&D"(rdi), "=&a"(rax)
      : "S"(buf)
      : "cc", "memory");
  t1 = now();
  printf("BENCH mem  loop native     : %.0f insns in %.3f s = %.1f M insn/s\n",
         7.0 * iters, t1 - t0, 7.0 * iters / (t1 - t0) / 1e6);
  free(buf);
}

static void bench_exits(const char *name, const uint8_t *s, const uint8_t *e,
                        int reason, uint64_t n) {
  struct vm v;
  vm_create(&v);
  load_code(&v, s, e);
  setup_long_mode(&v);
  double t0 = now();
  for (uint64_t i = 0; i < n; i++) {
    int r = vm_run(&v);
    CHECK(r == reason, "bench %s exits: got %d", name, r);
  }
  double t1 = now();
  printf("BENCH %-4s exits: %llu round trips in %.3f s = %.1f us/exit\n", name,
         (unsigned long long)n, t1 - t0, (t1 - t0) / n * 1e6);
  vm_destroy(&v);
}

int main(int argc, char **argv) {
  uint64_t loop_iters = argc > 1 ? strtoull(argv[1], 0, 0) : 2500000;
  uint64_t exits = argc > 2 ? strtoull(argv[2], 0, 0) : 2000;
  setvbuf(stdout, NULL, _IOLBF, 0);
  kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  CHECK(kvm_fd >= 0, "open /dev/kvm");
  int api = ioctl(kvm_fd, KVM_GET_API_VERSION, 0);
  CHECK(api == KVM_API_VERSION, "KVM_GET_API_VERSION=%d", api);
  printf("KVM API version %d\n", api);
  test_real_mode();
  test_long_mode();
  test_mmio();
  test_irqchip();
  if (loop_iters) {
    bench_loop("alu", g_alu_start, g_alu_end, loop_iters, 4);
    bench_loop("mem", g_mem_start, g_mem_end, loop_iters, 7);
    bench_native(loop_iters);
  }
  if (exits) {
    bench_exits("pio", g_pio_loop_start, g_pio_loop_end, KVM_EXIT_IO, exits);
    bench_exits("mmio", g_mmio_loop_start, g_mmio_loop_end, KVM_EXIT_MMIO,
                exits);
  }
  printf("ALL PASS\n");
  return 0;
}
