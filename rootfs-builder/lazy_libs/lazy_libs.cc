// Resolves a lazily loaded image-library function on its first call (lazy_libs.cmake).
#include "rootfs-builder/lazy_libs/lazy_libs.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" void* hull_lazy_table[];

namespace {

// The Debian package that ships each soname, for the error message.
const char* PackageOf(const char* library) {
  if (std::strncmp(library, "libcurl", 7) == 0) return "libcurl4";
  if (std::strncmp(library, "libarchive", 10) == 0) return "libarchive13";
  if (std::strncmp(library, "libcrypto", 9) == 0) return "libssl3";
  return "the package that provides it";
}

[[noreturn]] void Die(const HullLazyEntry& e, const char* what) {
  std::fprintf(stderr, "hull: cannot use %s (%s) — install %s\n", e.library, what ? what : "?",
               PackageOf(e.library));
  ::_exit(125);
}

}  // namespace

extern "C" void* hull_lazy_resolve(unsigned index) {
  if (index >= hull_lazy_entry_count) std::abort();
  const HullLazyEntry& e = hull_lazy_entries[index];
  // dlopen of an already loaded library only takes a reference: cheap after the first.
  void* library = ::dlopen(e.library, RTLD_NOW | RTLD_GLOBAL);
  if (library == nullptr) Die(e, ::dlerror());
  void* function = ::dlsym(library, e.symbol);
  if (function == nullptr) Die(e, ::dlerror());
  // Two threads may race here; both store the same address.
  __atomic_store_n(&hull_lazy_table[index], function, __ATOMIC_RELEASE);
  return function;
}
