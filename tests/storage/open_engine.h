// OpenEngine: an Engine for a test of storage/, opened with the options given (their
// dir set by the caller, usually inside a TempDir, tests/temp_dir.h). A failed open
// fails the test and returns null: ASSERT_NE(engine, nullptr) where it matters.
// Header-only.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "storage/engine.h"

namespace vellum::storage::testing {

inline std::unique_ptr<Engine> OpenEngine(const EngineOptions& options) {
  auto e = Engine::Open(options);
  EXPECT_TRUE(e.ok()) << options.dir << ": " << e.status().message();
  return e.ok() ? std::move(*e) : nullptr;
}

// Default options at `dir`.
inline std::unique_ptr<Engine> OpenEngine(const std::string& dir) {
  EngineOptions o;
  o.dir = dir;
  return OpenEngine(o);
}

}  // namespace vellum::storage::testing
