// HyperLogLog: Redis's HLL string format and estimator, as pure functions over the bytes
// of a string value (PFADD, PFCOUNT, PFMERGE in server/commands/hyperloglog.cc).
//
// The format is Redis's, so that counts equal Redis's for the same elements and an HLL
// copied out of Redis (GET, then SET here) keeps working: a 16-byte header ("HYLL", an
// encoding byte, 3 unused bytes, a cached cardinality of 8 bytes little-endian whose top
// bit marks it stale) and 16384 registers of 6 bits. Elements are hashed with
// MurmurHash64A (seed 0xadc83b19): the low 14 bits pick the register, the run of zeros
// that follows sets its value. The count is Ertl's estimator over the register histogram,
// as Redis 7 computes it (standard error 0.81%).
//
// Vellum writes the dense encoding only (12304 bytes per key); Redis's sparse encoding
// (small HLLs, a few hundred bytes) is read and converted to dense on the first write.
// Thread-safety: no state.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace vellum::storage::hll {

inline constexpr int kRegisters = 16384;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kDenseSize = kHeaderSize + (kRegisters * 6 + 7) / 8;

using Registers = std::array<uint8_t, kRegisters>;

enum class Check { kValid, kNotHll, kCorrupt };

// Whether `value` is an HLL string (Redis's isHLLObjectOrReply): kNotHll for any other
// string. A sparse one whose runs do not add up to 16384 registers is kCorrupt.
Check Validate(std::string_view value);
// A new, empty HLL (dense).
std::string NewDense();
// The registers of a valid HLL (dense or sparse); false if a sparse one is corrupt.
bool ReadRegisters(std::string_view value, Registers* out);
// Makes a valid HLL dense in place (a no-op for a dense one); false if it is corrupt.
bool MakeDense(std::string* value);
// Adds an element to a dense HLL; true if a register changed (the cached count is then
// marked stale).
bool Add(std::string* dense, std::string_view element);
// Raises the registers of a dense HLL to `max` where lower (PFMERGE); marks the cache
// stale.
void MergeInto(std::string* dense, const Registers& max);
// The estimate for a set of registers.
uint64_t Estimate(const Registers& registers);
// A valid HLL's count: its cached one when fresh, else the estimate (never written back).
bool Count(std::string_view value, uint64_t* out);

// Redis's MurmurHash64A (exposed for tests).
uint64_t MurmurHash64A(std::string_view data, uint64_t seed);

}  // namespace vellum::storage::hll
