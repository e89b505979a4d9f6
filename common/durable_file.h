// Durable files: what survives a power loss once the call returns.
//
// SyncDir fsyncs a directory, so that the entries created, renamed or removed in it are
// on disk. WriteFileDurably writes a whole small file and fsyncs it (the caller renames
// it into place and syncs the directory). Thread-safe: no state.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace vellum {

Status SyncDir(const std::string& dir);
Status WriteFileDurably(const std::string& path, std::string_view bytes);

}  // namespace vellum
