/*
 * Entry points of the hull test guest, at the start of its image (physical 0x100000):
 *
 *   0x100000  startup_32: the bzImage protected-mode entry (Linux boot protocol,
 *             "32-bit boot protocol"): flat 32-bit CS/DS, paging off, %esi = boot_params.
 *             It builds identity page tables for the first 4 GiB, enables long mode and
 *             jumps to startup_64, as Linux's own startup_32 does.
 *   0x100200  startup_64: the 64-bit entry (Linux boot protocol, "64-bit boot protocol"),
 *             which hull-vmm enters for both the ELF and the bzImage: long mode, identity
 *             mapping, %rsi = boot_params. It is the ELF's e_entry.
 *
 * startup_64 saves the state it was handed into hull_entry_state (entry_state.h) before
 * touching anything, moves to its own stack, clears .bss and calls guest_main.
 * Also here: the exception stubs that report an unexpected exception (main.c).
 */
#include "entry_state.h"

#define X86_CR0_PE (1 << 0)
#define X86_CR0_PG (1 << 31)
#define X86_CR4_PAE (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define BOOT_CS 0x10 /* __BOOT_CS: 64-bit code in our GDT, as in hull-vmm's */
#define BOOT_DS 0x18 /* __BOOT_DS */
#define PTE_PRESENT_RW 0x3
#define PTE_LARGE_PRESENT_RW 0x83
#define BOOT_STACK_SIZE 0x4000
/* #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX */
#define CPU_PUSHES_ERROR_CODE(v) \
	((v) == 8 || ((v) >= 10 && (v) <= 14) || (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.section .head.text, "ax"

	.code32
	.globl startup_32
startup_32:
	cli
	movl	$1, hull_entry_state + ENTRY_STATE_VIA_STARTUP_32

	lgdt	boot_gdt_desc
	movl	$BOOT_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %fs
	movl	%eax, %gs
	movl	%eax, %ss
	movl	$boot_stack_top, %esp

	/* Clear PML4, PDPT and four page directories (6 pages) with a plain loop. */
	movl	$boot_pgt_start, %edi
	xorl	%eax, %eax
1:	movl	%eax, (%edi)
	addl	$4, %edi
	cmpl	$boot_pgt_end, %edi
	jb	1b

	movl	$boot_pdpt + PTE_PRESENT_RW, boot_pml4

	/* PDPT[i] -> page directory i, i = 0..3. */
	movl	$boot_pdpt, %edi
	movl	$boot_pd + PTE_PRESENT_RW, %eax
	movl	$4, %ecx
2:	movl	%eax, (%edi)
	addl	$8, %edi
	addl	$0x1000, %eax
	decl	%ecx
	jnz	2b

	/* 2048 2 MiB identity mappings: 0 .. 4 GiB. */
	movl	$boot_pd, %edi
	movl	$PTE_LARGE_PRESENT_RW, %eax
	movl	$2048, %ecx
3:	movl	%eax, (%edi)
	addl	$8, %edi
	addl	$0x200000, %eax
	decl	%ecx
	jnz	3b

	movl	$boot_pml4, %eax
	movl	%eax, %cr3
	movl	%cr4, %eax
	orl	$X86_CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	%cr0, %eax
	orl	$(X86_CR0_PG | X86_CR0_PE), %eax
	movl	%eax, %cr0

	/* %esi (boot_params) is preserved into startup_64's %rsi. */
	ljmp	$BOOT_CS, $startup_64

	.org	0x200, 0xf4		/* hlt */
	.code64
	.globl startup_64
startup_64:
	/* Record what we were handed before using the stack or changing anything. */
	movq	%rsp, hull_entry_state + ENTRY_STATE_RSP(%rip)
	movq	%rsi, hull_entry_state + ENTRY_STATE_RSI(%rip)
	leaq	boot_stack_top(%rip), %rsp
	pushfq
	popq	%rax
	movq	%rax, hull_entry_state + ENTRY_STATE_RFLAGS(%rip)
	cli
	movw	%cs, hull_entry_state + ENTRY_STATE_CS(%rip)
	movw	%ds, hull_entry_state + ENTRY_STATE_DS(%rip)
	movw	%ss, hull_entry_state + ENTRY_STATE_SS(%rip)
	movq	%cr0, %rax
	movq	%rax, hull_entry_state + ENTRY_STATE_CR0(%rip)
	movq	%cr3, %rax
	movq	%rax, hull_entry_state + ENTRY_STATE_CR3(%rip)
	movq	%cr4, %rax
	movq	%rax, hull_entry_state + ENTRY_STATE_CR4(%rip)
	movl	$MSR_EFER, %ecx
	rdmsr
	shlq	$32, %rdx
	orq	%rdx, %rax
	movq	%rax, hull_entry_state + ENTRY_STATE_EFER(%rip)

	/* A bzImage loader does not clear .bss for us; a byte loop, no rep stos. */
	leaq	__bss_start(%rip), %rdi
	leaq	__bss_end(%rip), %rcx
4:	cmpq	%rcx, %rdi
	jae	5f
	movb	$0, (%rdi)
	incq	%rdi
	jmp	4b
5:
	leaq	hull_entry_state(%rip), %rdi
	call	guest_main
6:	cli
	hlt
	jmp	6b

/*
 * Exception stubs, 16 bytes apart so that main.c can compute the address of stub N.
 * Each pushes a zero error code where the CPU pushes none, then the vector number.
 */
	.text
	.balign 16
	.globl hull_exception_stubs
hull_exception_stubs:
	vector = 0
	.rept 32
	.balign 16
	.if !CPU_PUSHES_ERROR_CODE(vector)
	pushq	$0
	.endif
	pushq	$vector
	jmp	exception_common
	vector = vector + 1
	.endr

exception_common:
	movq	%rsp, %rdi		/* vector, error code, rip, cs, rflags, rsp, ss */
	andq	$-16, %rsp
	call	guest_exception
7:	cli
	hlt
	jmp	7b

	.section .rodata
	.balign 8
boot_gdt:
	.quad	0
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x10: 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x18: flat data */
boot_gdt_end:
	.balign 2
boot_gdt_desc:
	.word	boot_gdt_end - boot_gdt - 1
	.long	boot_gdt

	.data
	.balign 8
	.globl hull_entry_state
hull_entry_state:
	.fill	ENTRY_STATE_SIZE, 1, 0

/* Not cleared by startup_64: startup_32's page tables are live while it runs. */
	.section .boot_scratch, "aw", @nobits
	.balign 4096
boot_pgt_start:
boot_pml4:
	.skip	4096
boot_pdpt:
	.skip	4096
boot_pd:
	.skip	4 * 4096
boot_pgt_end:
boot_stack:
	.skip	BOOT_STACK_SIZE
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
