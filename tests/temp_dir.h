// TempDir: a directory of a test's own under the system's temporary directory, removed
// with all it holds when the TempDir goes. Every test that touches the disk takes one, so
// tests never share a path and ctest -j is safe. Header-only; any module's tests use it.
#pragma once

#include <stdlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

namespace vellum::testing_support {

class TempDir {
 public:
  // `tag` names it (vellum-<tag>-XXXXXX), so a leftover says whose it was.
  explicit TempDir(const std::string& tag = "test") {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / ("vellum-" + tag + "-XXXXXX")).string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::perror("mkdtemp");
      abort();  // nothing a test could go on with
    }
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // A path inside it: dir / "db".
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace vellum::testing_support
