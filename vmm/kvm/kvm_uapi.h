// The one include of <linux/kvm.h>, for vmm/kvm only. Linux 6.1's uapi headers declare
// flexible arrays through __DECLARE_FLEX_ARRAY, whose empty-struct trick has size 1 in
// C++ (0 in C): kvm_cpuid2 and kvm_msrs come out 4-8 bytes too large, their ioctl
// numbers (which encode the size) become ones KVM does not know, and KVM answers
// EINVAL. Later kernels use a zero-length array under __cplusplus; so do we.
#pragma once

#include <linux/stddef.h>
#undef __DECLARE_FLEX_ARRAY
#define __DECLARE_FLEX_ARRAY(TYPE, NAME) TYPE NAME[0]

#include <linux/kvm.h>

#include <cstddef>

static_assert(sizeof(kvm_cpuid2) == 8 && offsetof(kvm_cpuid2, entries) == 8,
              "kvm_cpuid2 must have the kernel's layout");
static_assert(sizeof(kvm_msrs) == 8 && offsetof(kvm_msrs, entries) == 8,
              "kvm_msrs must have the kernel's layout");
