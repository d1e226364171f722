// The table behind the lazily loaded image libraries (lazy_libs.cmake): one entry per
// stubbed function, in the order of the generated stubs. Used only by lazy_libs.cc and
// the generated lazy_entries.cc.
#pragma once

extern "C" {

struct HullLazyEntry {
  const char* library;  // soname, e.g. "libcurl.so.4"
  const char* symbol;
};

extern const HullLazyEntry hull_lazy_entries[];
extern const unsigned hull_lazy_entry_count;

// Called by the generated binder with the stub's index, on whatever thread made the
// first call: loads the library, resolves the function, stores it in the stub's table
// slot (later calls jump straight there) and returns it. Never returns on failure: a
// library that cannot be loaded ends the process with a message saying what to install.
void* hull_lazy_resolve(unsigned index);

}  // extern "C"
