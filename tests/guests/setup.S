/*
 * Real-mode setup code of hull-test-guest.bzImage: the part of the setup sectors that a
 * 16-bit boot loader runs (QEMU's qboot and SeaBIOS's linuxboot ROM both do: they jump
 * to setup segment + 0x20, i.e. the header's `jump` at offset 0x200, with
 * DS = ES = SS = the setup segment). Like Linux's arch/x86/boot, it builds a
 * boot_params (zero page) from the header the loader filled in and the BIOS e820 map
 * (INT 15h, AX=E820h), enters protected mode with flat __BOOT_CS/__BOOT_DS and jumps
 * to hdr.code32_start with %esi = boot_params (the 32-bit boot protocol).
 *
 * Offsets 0x1f1..setup_entry are left zero here: make_bzimage writes the setup_header
 * there, including the `jump` at 0x200 that leads to setup_entry (this ELF's e_entry).
 * hull-vmm never runs this code: it loads the protected-mode part and enters its
 * 64-bit entry point directly.
 */
#define SETUP_HEADER_OFFSET 0x1f1
#define SETUP_HEADER_SIZE 0x7b      /* sizeof(struct setup_header) */
#define HDR_CODE32_START 0x214
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0
#define E820_ENTRY_SIZE 20
#define E820_MAX_ENTRIES_ZEROPAGE 128
#define SMAP 0x534d4150
#define BOOT_CS 0x10
#define BOOT_DS 0x18

	.code16
	.section .text, "ax"
	.org	0x280
	.globl setup_entry
setup_entry:
	cli
	cld
	movw	%ds, %ax
	movw	%ax, %es
	movw	%ax, %fs
	movw	%ax, %ss
	movw	$stack_top, %sp
	/* Make CS = DS so that our offsets (linked at 0) work with either. */
	pushw	%ax
	pushw	$1f
	lretw
1:
	/* Zero the zero page. */
	movw	$zero_page, %di
	xorl	%eax, %eax
2:	movl	%eax, (%di)
	addw	$4, %di
	cmpw	$zero_page_end, %di
	jb	2b

	/* boot_params.hdr = the setup_header as the loader left it. */
	movw	$SETUP_HEADER_OFFSET, %si
3:	movb	(%si), %al
	movb	%al, zero_page(%si)
	incw	%si
	cmpw	$SETUP_HEADER_OFFSET + SETUP_HEADER_SIZE, %si
	jb	3b

	/* e820 map into boot_params.e820_table. */
	xorl	%ebx, %ebx
	xorw	%bp, %bp
	movw	$zero_page + BP_E820_TABLE, %di
4:	movl	$0xe820, %eax
	movl	$SMAP, %edx
	movl	$E820_ENTRY_SIZE, %ecx
	pushw	%di
	pushw	%bp
	int	$0x15
	popw	%bp
	popw	%di
	jc	5f
	cmpl	$SMAP, %eax
	jne	5f
	incw	%bp
	addw	$E820_ENTRY_SIZE, %di
	cmpw	$E820_MAX_ENTRIES_ZEROPAGE, %bp
	jae	5f
	testl	%ebx, %ebx
	jnz	4b
5:	movw	%bp, %ax
	movb	%al, zero_page + BP_E820_ENTRIES

	/* Fast A20 (port 0x92), in case the loader left A20 masked. */
	inb	$0x92, %al
	orb	$0x02, %al
	andb	$0xfe, %al
	outb	%al, $0x92

	/* Linear addresses: setup segment base + offset. */
	xorl	%edx, %edx
	movw	%ds, %dx
	shll	$4, %edx
	leal	gdt(%edx), %eax
	movl	%eax, gdt_desc + 2
	movl	HDR_CODE32_START, %eax
	movl	%eax, code32_jump
	leal	zero_page(%edx), %esi

	lgdtl	gdt_desc
	movl	%cr0, %eax
	orb	$1, %al
	movl	%eax, %cr0
	/* Protected mode; CS and FS still have their real-mode bases until reloaded. */
	movw	$BOOT_DS, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %gs
	movw	%ax, %ss
	xorl	%ebx, %ebx
	xorl	%ebp, %ebp
	xorl	%edi, %edi
	ljmpl	*%fs:code32_jump

	.balign 8
gdt:
	.quad	0
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x10: flat 32-bit code */
	.quad	0x00cf92000000ffff	/* 0x18: flat data */
gdt_end:
	.balign 4
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	0			/* linear base, set above */
	.balign 4
code32_jump:
	.long	0			/* hdr.code32_start, set above */
	.word	BOOT_CS

	/* The zero page and a stack, inside the setup sectors so they are ours. */
	.org	0x1000
zero_page:
	.fill	4096, 1, 0
zero_page_end:
	.fill	4096, 1, 0
stack_top:

	.section .note.GNU-stack, "", @progbits
