// Manifest: what Vellum records about each snapshot, next to RocksDB's own record of its
// files. Stored as the backup's metadata (a small TOML document, written once, with the
// backup); a snapshot without a manifest that parses is not a Vellum snapshot.
//
// The digest is storage/disk_walk.h's over the snapshot's contents, as of its creation
// time: a server restored from the snapshot (before any key expires) answers DEBUG DIGEST
// with the same value, so a restore is checked for content, not only for bytes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/codec.h"

namespace vellum::snapshot {

struct Manifest {
  // Recorded at creation (the backup's metadata).
  std::string label;
  bool keep = false;             // exempt from retention (SNAPSHOT CREATE ... KEEP)
  int64_t created_ms = 0;        // Unix ms of the cut
  std::string server_version;
  uint32_t format_version = storage::codec::kFormatVersion;
  uint64_t sequence = 0;         // RocksDB sequence number of the cut
  std::array<uint64_t, storage::codec::kNumPhysicalDbs> keys_by_db{};
  uint64_t keys = 0;
  std::string digest;            // 32 hex digits
  // The replication id of the history the data belongs to (snapshot/replication.h): a
  // server restored from it as a replica of that history's primary resumes from
  // `sequence` instead of making a full sync. Empty in snapshots made before it existed.
  std::string replid;

  // The snapshot's id: stored in the manifest, given by the snapshot directory's counter
  // (never reused there, whatever is deleted); 0 until assigned.
  uint32_t id = 0;

  // From the snapshot store, not stored in the metadata.
  uint32_t backup_id = 0;        // RocksDB BackupEngine's id (may be reused after deletes)
  uint64_t total_bytes = 0;      // every file of the snapshot
  uint64_t added_bytes = 0;      // files no older snapshot still held shares
  uint32_t files = 0;
};

std::string EncodeManifest(const Manifest& m);
Status DecodeManifest(std::string_view text, Manifest* out);

// "db0=10,db3=5" (databases with keys only; empty for none).
std::string KeysByDbText(const Manifest& m);

// One JSON object per manifest, for `vellumctl --json` and the pub/sub events.
std::string ManifestJson(const Manifest& m);
// s as a JSON string literal (quoted, escaped).
std::string JsonString(std::string_view s);

}  // namespace vellum::snapshot
