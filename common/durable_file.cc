#include "common/durable_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vellum {
namespace {

Status ErrnoError(const std::string& what) { return Status::Error(what + ": " + std::strerror(errno)); }

}  // namespace

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("can't open " + dir);
  Status st = ::fsync(fd) == 0 ? Status::Ok() : ErrnoError("can't fsync " + dir);
  ::close(fd);
  return st;
}

Status WriteFileDurably(const std::string& path, std::string_view bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("can't create " + path);
  Status st;
  while (st.ok() && !bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = ErrnoError("can't write " + path);
    } else {
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  if (st.ok() && ::fsync(fd) != 0) st = ErrnoError("can't fsync " + path);
  ::close(fd);
  return st;
}

}  // namespace vellum
