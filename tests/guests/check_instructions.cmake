# Fails when the test guest's 64-bit code contains an instruction that KVM's
# instruction emulator (which runs ordinary guests on PVM hosts, DESIGN.md "Testing on
# machines like ours") lacks or that we keep out on purpose: SSE/AVX/x87, string
# instructions (rep movs/stos...), cmpxchg8b/16b, popcnt/lzcnt/tzcnt, xsave/xrstor,
# int3, endbr64, clac/stac, rdrand/rdseed, movbe, crc32. SSE, AVX, MMX and x87 are
# caught by their registers (and x87 by its f- mnemonics).
#
#   cmake -DOBJDUMP=objdump -DELF=hull-test-guest.elf -DSTART=0x100200 -P this-file
#
# Disassembly starts at startup_64: startup_32 before it is 32-bit code that only runs
# under 32-bit loaders (QEMU), never under hull-vmm.
execute_process(
  COMMAND ${OBJDUMP} -d --no-show-raw-insn --start-address=${START} ${ELF}
  OUTPUT_VARIABLE listing
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${OBJDUMP} failed on ${ELF}")
endif()

set(forbidden_mnemonics
  "rep[a-z]*" "cmpxchg(8|16)b" popcnt lzcnt tzcnt "xsave[a-z0-9]*" "xrstor[a-z0-9]*"
  "fxsave[a-z0-9]*" "fxrstor[a-z0-9]*" int3 "endbr(32|64)" clac stac rdrand rdseed movbe
  "crc32[a-z]*" "f[a-z0-9]+" ldmxcsr stmxcsr emms)
list(JOIN forbidden_mnemonics "|" forbidden_mnemonic)
string(REPLACE ";" "," listing "${listing}")
string(REPLACE "\n" ";" lines "${listing}")
set(bad)
set(count 0)
foreach(line IN LISTS lines)
  if(NOT line MATCHES "^ +[0-9a-f]+:\t([a-z0-9]+)(.*)$")
    continue()
  endif()
  math(EXPR count "${count} + 1")
  set(mnemonic "${CMAKE_MATCH_1}")
  set(operands "${CMAKE_MATCH_2}")
  if(mnemonic MATCHES "^(${forbidden_mnemonic})$" OR
     operands MATCHES "%[xyz]mm[0-9]|%mm[0-7]|%st|%es:\\(%[er]di\\)|%ds:\\(%[er]si\\)")
    list(APPEND bad "${line}")
  endif()
endforeach()

if(count LESS 100)
  message(FATAL_ERROR "only ${count} instructions disassembled from ${ELF}: check the listing")
endif()
if(bad)
  list(JOIN bad "\n" bad_text)
  message(FATAL_ERROR "instructions the test guest must not contain:\n${bad_text}")
endif()
message(STATUS "${count} instructions, all plain integer ones")
