// Archive: one self-contained file holding a snapshot's directory tree, for
// `vellumctl snapshot export ID FILE` (operators copy it to object storage) and
// `vellumctl snapshot import FILE` (checked completely before anything is extracted).
//
// Format, version 1. Integers are little-endian; nothing is padded or aligned.
//
//   header   "VELLUMAR" (8 bytes)  version u32 (= 1)
//   entry    'F' u8  path_length u32  path  size u64  size bytes of the file's contents
//            ... one per file, in the writer's order ...
//   trailer  'T' u8  entry_count u64  total_bytes u64 (sum of the entry sizes)
//            checksum: XXH3-128 (seed 0) of every byte before it, 16 bytes in xxHash's
//            canonical (big-endian) form, so `head -c -16 FILE | xxh128sum` prints it in hex.
//   Nothing follows the checksum.
//
// A path is relative and '/'-separated: not empty, not absolute, no empty ('//', trailing
// '/'), '.' or '..' component, no backslash or NUL byte, and no two entries with the same
// path or with one inside the other ("a" and "a/b"). Paths are the file system's bytes,
// UTF-8 by convention; they are not checked for valid UTF-8.
//
// The checksum is the judge of integrity: if it does not match, the error says "checksum
// mismatch", with the first problem the walk met (an absurd size, a truncation, trailing
// garbage) in parentheses; a structural problem under a matching checksum (a hostile or
// buggy writer) is reported alone. Only the magic, the version and a file too short to be an
// archive are judged before it.
// Files are streamed through 1 MiB buffers, never held whole in memory. With a ProgressMeter,
// each pass over the files (writing, checking, extracting) is a stage counting its bytes.
//
// Free functions with no shared state: safe to call from any thread, on different files.
// Two WriteArchive calls on one archive_path share its ".tmp" file and must not overlap.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/progress.h"
#include "common/status.h"

namespace vellum::snapshot {

struct ArchiveEntry {
  std::string path;
  uint64_t size = 0;
  bool operator==(const ArchiveEntry&) const = default;
};

// What a reader accepts; an archive past them is refused before its bytes are trusted.
struct ArchiveLimits {
  uint64_t max_entries = 1'000'000;
  uint64_t max_total_bytes = 1ull << 40;  // sum of the entry sizes
  uint32_t max_path_bytes = 4096;
};

// Writes `files` (paths relative to `root`, in that order) into `archive_path`: written to
// archive_path + ".tmp", fsynced, renamed, directory fsynced. An existing archive_path is
// replaced only at the rename; on failure the ".tmp" file is removed. Refuses, naming it, a
// path that breaks the rules above or is longer than the default max_path_bytes, a
// duplicate, a file that is not a regular file (symlinks included), and a file whose size
// changes while it is copied.
Status WriteArchive(const std::string& root, const std::vector<std::string>& files,
                    const std::string& archive_path, ProgressMeter* meter = nullptr);

// Reads and checks the whole archive (header, every entry's path and size, the trailer and
// its checksum) without writing anything; returns its entries in archive order.
Result<std::vector<ArchiveEntry>> CheckArchive(const std::string& archive_path,
                                               const ArchiveLimits& limits,
                                               ProgressMeter* meter = nullptr);

// CheckArchive, then extracts into `dest_dir` (must exist and be empty), creating
// subdirectories; every file and directory written is fsynced. Nothing is written when the
// check fails, or when `accept` (if given) refuses the checked entries. The archive is read
// a second time to extract: should it change in between, the error is still reported but
// dest_dir keeps what was written.
using AcceptEntries = std::function<Status(const std::vector<ArchiveEntry>&)>;
Status ExtractArchive(const std::string& archive_path, const std::string& dest_dir,
                      const ArchiveLimits& limits, ProgressMeter* meter = nullptr,
                      const AcceptEntries& accept = {});

// The format's pieces, for the writer, the reader and tests that craft archives by hand.
namespace archive_format {

inline constexpr std::string_view kMagic = "VELLUMAR";
inline constexpr uint32_t kVersion = 1;
inline constexpr char kEntryTag = 'F';
inline constexpr char kTrailerTag = 'T';
inline constexpr size_t kHeaderSize = 8 + 4;
inline constexpr size_t kChecksumSize = 16;
inline constexpr size_t kTrailerSize = 1 + 8 + 8 + kChecksumSize;

void AppendHeader(std::string* out, uint32_t version = kVersion);
// The bytes before an entry's contents; the caller appends `size` bytes after them.
void AppendEntryHeader(std::string* out, std::string_view path, uint64_t size);
// The trailer up to (not including) the checksum.
void AppendTrailerFields(std::string* out, uint64_t entry_count, uint64_t total_bytes);
// Appends the checksum of everything in *out.
void AppendChecksum(std::string* out);
// Ok if `path` may name an entry; otherwise the problem, e.g. "path has a '..' component".
Status CheckPath(std::string_view path);

}  // namespace archive_format
}  // namespace vellum::snapshot
