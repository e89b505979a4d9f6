// Redis 7's script shebang: a first line "#!lua" with optional "flags=a,b" declares the
// script's flags (EVAL scripts and SCRIPT LOAD alike). "no-writes" makes a script
// read-only as EVAL_RO does; allow-oom, allow-stale, no-cluster and
// allow-cross-slot-keys are accepted (Vellum has no cluster; OOM and stale checks apply
// per write as without a shebang). Pure.
#pragma once

#include <cstdint>
#include <string_view>

#include "common/status.h"

namespace vellum::server {

enum ScriptFlag : uint32_t {
  kScriptNoWrites = 1u << 0,
  kScriptAllowOom = 1u << 1,
  kScriptAllowStale = 1u << 2,
  kScriptNoCluster = 1u << 3,
  kScriptAllowCrossSlot = 1u << 4,
};

// Reads body's shebang, if it has one: *flags gets its flags and *line_length the length
// of the shebang line (0 without a shebang; the newline is not counted). The error is
// Redis's text for an unknown engine, option or flag.
Status ParseShebang(std::string_view body, uint32_t* flags, size_t* line_length);

}  // namespace vellum::server
