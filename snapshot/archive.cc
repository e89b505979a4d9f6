#include "snapshot/archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <unordered_set>

#include "common/durable_file.h"

namespace vellum::snapshot {
namespace {

namespace fs = std::filesystem;
using archive_format::kChecksumSize;
using archive_format::kHeaderSize;

constexpr size_t kBufferSize = 1 << 20;

void PutLE(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}

uint64_t GetLE(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

Status ErrnoError(const std::string& what, int err) {
  return Status::Error(what + ": " + std::strerror(err));
}

// A path made fit for an error message: control bytes, DEL and '\' become \xNN.
std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f && c != '\\') {
      out += c;
      continue;
    }
    char buf[5];
    std::snprintf(buf, sizeof(buf), "\\x%02x", u);
    out += buf;
  }
  return out;
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(-1); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }
  // Closes now; 0 or close(2)'s errno (some file systems report write errors only here).
  int Close() {
    int err = ::close(fd_) == 0 ? 0 : errno;
    fd_ = -1;
    return err;
  }

 private:
  int fd_;
};

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("can't write " + path, errno);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// XXH3-128 over a stream of bytes; Canonical() is the checksum as the archive stores it.
class Hasher {
 public:
  Hasher() : state_(XXH3_createState()) { XXH3_128bits_reset(state_); }
  ~Hasher() { XXH3_freeState(state_); }
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;
  void Update(std::string_view bytes) { XXH3_128bits_update(state_, bytes.data(), bytes.size()); }
  std::string Canonical() const {
    XXH128_canonical_t c;
    XXH128_canonicalFromHash(&c, XXH3_128bits_digest(state_));
    return std::string(reinterpret_cast<const char*>(c.digest), sizeof(c.digest));
  }

 private:
  XXH3_state_t* state_;
};

// ---- Writing ----

// The archive being written, through a 1 MiB buffer; every byte but the checksum is hashed.
class ArchiveWriter {
 public:
  ArchiveWriter(int fd, const std::string& path) : fd_(fd), path_(path) {}
  Status Append(std::string_view bytes) {
    hash_.Update(bytes);
    if (buf_.size() + bytes.size() > kBufferSize) {
      if (Status s = Flush(); !s.ok()) return s;
    }
    if (bytes.size() >= kBufferSize) return WriteAll(fd_, bytes, path_);
    buf_.append(bytes);
    return Status::Ok();
  }
  // Appends the checksum of everything appended so far, and flushes.
  Status Finish() {
    buf_ += hash_.Canonical();
    return Flush();
  }

 private:
  Status Flush() {
    Status s = WriteAll(fd_, buf_, path_);
    buf_.clear();
    return s;
  }
  int fd_;
  const std::string& path_;
  std::string buf_;
  Hasher hash_;
};

// Appends the file `rel` under `root` as one entry; adds its size to *total.
Status AppendFile(ArchiveWriter& out, std::vector<char>& chunk, const std::string& root,
                  const std::string& rel, uint64_t* total, ProgressMeter* meter) {
  const std::string full = (fs::path(root) / rel).string();
  auto refuse = [&](const std::string& problem) {
    return Status::Error("can't archive " + Printable(full) + ": " + problem);
  };
  std::error_code ec;
  fs::file_status st = fs::symlink_status(full, ec);
  if (ec) return refuse(ec.message());
  if (fs::is_symlink(st)) return refuse("it is a symlink, not a regular file");
  if (!fs::is_regular_file(st)) return refuse("not a regular file");
  // O_NOFOLLOW and fstat: the checks above may be raced by a rename.
  Fd in(::open(full.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  struct stat sb;
  if (in.get() < 0 || ::fstat(in.get(), &sb) != 0) return refuse(std::strerror(errno));
  if (!S_ISREG(sb.st_mode)) return refuse("not a regular file");
  const uint64_t size = static_cast<uint64_t>(sb.st_size);
  std::string header;
  archive_format::AppendEntryHeader(&header, rel, size);
  if (Status s = out.Append(header); !s.ok()) return s;
  for (uint64_t left = size; left > 0;) {
    ssize_t n = ::read(in.get(), chunk.data(), std::min<uint64_t>(left, chunk.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return refuse(std::strerror(errno));
    if (n == 0) return refuse("it shrank while being archived");
    if (Status s = out.Append({chunk.data(), static_cast<size_t>(n)}); !s.ok()) return s;
    left -= static_cast<uint64_t>(n);
    if (meter != nullptr) meter->Add(static_cast<uint64_t>(n));
  }
  if (::read(in.get(), chunk.data(), 1) > 0) return refuse("it grew while being archived");
  *total += size;
  return Status::Ok();
}

Status WriteContents(int fd, const std::string& tmp, const std::string& root,
                     const std::vector<std::string>& files, ProgressMeter* meter) {
  ArchiveWriter out(fd, tmp);
  std::string bytes;
  archive_format::AppendHeader(&bytes);
  if (Status s = out.Append(bytes); !s.ok()) return s;
  std::vector<char> chunk(kBufferSize);
  uint64_t total = 0;
  for (const std::string& rel : files) {
    if (Status s = AppendFile(out, chunk, root, rel, &total, meter); !s.ok()) return s;
  }
  bytes.clear();
  archive_format::AppendTrailerFields(&bytes, files.size(), total);
  if (Status s = out.Append(bytes); !s.ok()) return s;
  return out.Finish();
}

// ---- Reading ----

// Reads the archive in order up to `end` (the checksum's offset, never past it) through a
// 1 MiB buffer, hashing every byte it reads.
class ArchiveReader {
 public:
  ArchiveReader(int fd, uint64_t end, const std::string& name, ProgressMeter* meter)
      : fd_(fd), end_(end), name_(name), meter_(meter), buf_(kBufferSize) {}
  uint64_t left() const { return end_ - pos_; }
  std::string Checksum() const { return hash_.Canonical(); }

  // Passes the next n <= left() bytes to `fn` (if any), in pieces of at most 1 MiB.
  Status Consume(uint64_t n, const std::function<Status(std::string_view)>& fn) {
    while (n > 0) {
      if (head_ == filled_) {
        if (Status s = Fill(); !s.ok()) return s;
      }
      size_t take = static_cast<size_t>(std::min<uint64_t>(n, filled_ - head_));
      std::string_view piece(buf_.data() + head_, take);
      head_ += take;
      pos_ += take;
      n -= take;
      if (fn) {
        if (Status s = fn(piece); !s.ok()) return s;
      }
    }
    return Status::Ok();
  }
  Status Read(char* out, size_t n) {
    return Consume(n, [&out](std::string_view piece) {
      std::memcpy(out, piece.data(), piece.size());
      out += piece.size();
      return Status::Ok();
    });
  }

 private:
  Status Fill() {
    size_t want = static_cast<size_t>(std::min<uint64_t>(buf_.size(), end_ - pos_));
    ssize_t n;
    do {
      n = ::pread(fd_, buf_.data(), want, static_cast<off_t>(pos_));
    } while (n < 0 && errno == EINTR);
    if (n < 0) return ErrnoError(name_ + "read error", errno);
    if (n == 0) return Status::Error(name_ + "ended early (did it change while being read?)");
    hash_.Update({buf_.data(), static_cast<size_t>(n)});
    if (meter_ != nullptr) meter_->Add(static_cast<uint64_t>(n));
    head_ = 0;
    filled_ = static_cast<size_t>(n);
    return Status::Ok();
  }

  int fd_;
  uint64_t end_;
  const std::string& name_;
  ProgressMeter* meter_;
  std::vector<char> buf_;
  uint64_t pos_ = 0;  // bytes consumed; the buffer holds [pos_ - head_, pos_ - head_ + filled_)
  size_t head_ = 0, filled_ = 0;
  Hasher hash_;
};

// Writes entries under dest_dir as the walk meets them: the missing parent directories,
// then the file, created exclusively and fsynced. SyncDirs() fsyncs the directories.
class Extractor {
 public:
  Extractor(const std::string& dest, const std::string& name) : dest_(dest), name_(name) {}
  Status Begin(const std::string& path) {
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      std::string dir = dest_ + "/" + path.substr(0, slash);
      if (::mkdir(dir.c_str(), 0755) == 0) {
        dirs_.push_back(std::move(dir));
      } else if (errno != EEXIST) {
        return ErrnoError(name_ + "can't create " + dir, errno);
      }
    }
    file_ = dest_ + "/" + path;
    fd_.Reset(::open(file_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    return fd_.get() < 0 ? ErrnoError(name_ + "can't create " + file_, errno) : Status::Ok();
  }
  Status Write(std::string_view piece) {
    Status s = WriteAll(fd_.get(), piece, file_);
    return s.ok() ? s : Status::Error(name_ + s.message());
  }
  Status End() {
    if (::fsync(fd_.get()) != 0) return ErrnoError(name_ + "can't fsync " + file_, errno);
    int err = fd_.Close();
    return err != 0 ? ErrnoError(name_ + "can't close " + file_, err) : Status::Ok();
  }
  Status SyncDirs() {
    for (const std::string& dir : dirs_) {
      if (Status s = SyncDir(dir); !s.ok()) return Status::Error(name_ + s.message());
    }
    Status s = SyncDir(dest_);
    return s.ok() ? s : Status::Error(name_ + s.message());
  }

 private:
  const std::string& dest_;
  const std::string& name_;
  std::vector<std::string> dirs_;  // the directories it created
  std::string file_;
  Fd fd_;
};

// Walks the records after the header up to the checksum, extracting them if `out` is set.
// An I/O or extraction error is returned as is; a problem in the archive's bytes is put in
// *problem (the caller weighs it against the checksum) and ends the walk.
Status WalkRecords(ArchiveReader& in, const ArchiveLimits& limits, Extractor* out,
                   std::vector<ArchiveEntry>* entries, std::string* problem) {
  auto bad = [problem](std::string what) {
    *problem = std::move(what);
    return Status::Ok();
  };
  std::unordered_set<std::string> files, dirs;
  uint64_t total = 0;
  char field[8];
  for (;;) {
    const std::string at = "entry #" + std::to_string(entries->size() + 1);
    if (in.left() < 1) {
      return bad("truncated: no trailer after entry #" + std::to_string(entries->size()));
    }
    if (Status s = in.Read(field, 1); !s.ok()) return s;
    if (field[0] == archive_format::kTrailerTag) break;
    if (field[0] != archive_format::kEntryTag) {
      return bad(at + ": unknown record tag " + Printable({field, 1}));
    }
    if (entries->size() >= limits.max_entries) {
      return bad(at + ": more entries than the limit of " + std::to_string(limits.max_entries));
    }
    if (in.left() < 4) return bad(at + ": truncated");
    if (Status s = in.Read(field, 4); !s.ok()) return s;
    const uint64_t length = GetLE(field, 4);
    if (length > limits.max_path_bytes) {
      return bad(at + ": absurd path length " + std::to_string(length) + " (the limit is " +
                 std::to_string(limits.max_path_bytes) + ")");
    }
    if (length > in.left()) return bad(at + ": truncated inside its path");
    std::string path(length, '\0');
    if (Status s = in.Read(path.data(), length); !s.ok()) return s;
    const std::string named = at + " '" + Printable(path) + "'";
    if (Status s = archive_format::CheckPath(path); !s.ok()) return bad(named + ": " + s.message());
    if (files.contains(path)) return bad(named + ": duplicate entry");
    if (dirs.contains(path)) return bad(named + ": an earlier entry lies inside it");
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      std::string dir = path.substr(0, slash);
      if (files.contains(dir)) {
        return bad(named + ": lies inside the file entry '" + Printable(dir) + "'");
      }
      dirs.insert(std::move(dir));
    }
    files.insert(path);
    if (in.left() < 8) return bad(named + ": truncated before its size");
    if (Status s = in.Read(field, 8); !s.ok()) return s;
    const uint64_t size = GetLE(field, 8);
    if (size > in.left()) {
      return bad(named + ": absurd size " + std::to_string(size) + ", only " +
                 std::to_string(in.left()) + " bytes are left (truncated?)");
    }
    if (size > limits.max_total_bytes - total) {
      return bad(named + ": absurd size " + std::to_string(size) + ", past the limit of " +
                 std::to_string(limits.max_total_bytes) + " bytes in all");
    }
    total += size;
    if (out == nullptr) {
      if (Status s = in.Consume(size, nullptr); !s.ok()) return s;
    } else {
      if (Status s = out->Begin(path); !s.ok()) return s;
      Status s = in.Consume(size, [out](std::string_view piece) { return out->Write(piece); });
      if (!s.ok()) return s;
      if (s = out->End(); !s.ok()) return s;
    }
    entries->push_back({std::move(path), size});
  }
  if (in.left() < 16) return bad("truncated inside the trailer");
  if (Status s = in.Read(field, 8); !s.ok()) return s;
  const uint64_t count = GetLE(field, 8);
  if (Status s = in.Read(field, 8); !s.ok()) return s;
  const uint64_t stored_total = GetLE(field, 8);
  if (count != entries->size() || stored_total != total) {
    return bad("the trailer counts " + std::to_string(count) + " entries of " +
               std::to_string(stored_total) + " bytes, the archive holds " +
               std::to_string(entries->size()) + " of " + std::to_string(total));
  }
  if (in.left() > 0) {
    return bad(std::to_string(in.left()) + " bytes of trailing garbage after the trailer");
  }
  return Status::Ok();
}

// Checks the archive from end to end, extracting it as it goes if `out` is set. With a
// meter, the pass is a stage of its own, `stage`.
Result<std::vector<ArchiveEntry>> Scan(const std::string& archive_path, const ArchiveLimits& limits,
                                       Extractor* out, ProgressMeter* meter,
                                       const std::string& stage) {
  const std::string name = "archive " + archive_path + ": ";
  Fd fd(::open(archive_path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st;
  if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) return ErrnoError(name + "can't open", errno);
  if (!S_ISREG(st.st_mode)) return Status::Error(name + "not a regular file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);

  // The magic and the version are judged first: a foreign file is not "damaged".
  char header[kHeaderSize];
  ssize_t got = ::pread(fd.get(), header, sizeof(header), 0);
  if (got < 0) return ErrnoError(name + "read error", errno);
  const std::string_view magic = archive_format::kMagic;
  const size_t magic_got = std::min<size_t>(static_cast<size_t>(got), magic.size());
  if (std::string_view(header, magic_got) != magic.substr(0, magic_got)) {
    return Status::Error(name + "not a Vellum archive (bad magic)");
  }
  if (static_cast<size_t>(got) == kHeaderSize) {
    const uint64_t version = GetLE(header + magic.size(), 4);
    if (version != archive_format::kVersion) {
      return Status::Error(name + "unknown format version " + std::to_string(version) +
                           " (this build reads version " +
                           std::to_string(archive_format::kVersion) + ")");
    }
  }
  if (size < kHeaderSize + archive_format::kTrailerSize) {
    return Status::Error(name + "truncated: " + std::to_string(size) + " bytes");
  }

  if (meter != nullptr) meter->Begin(stage, ProgressMeter::Unit::kBytes, size - kChecksumSize);
  ArchiveReader in(fd.get(), size - kChecksumSize, name, meter);
  std::vector<ArchiveEntry> entries;
  std::string problem;
  Status s = in.Consume(kHeaderSize, nullptr);
  if (s.ok()) s = WalkRecords(in, limits, out, &entries, &problem);
  if (s.ok()) s = in.Consume(in.left(), nullptr);  // hash what the walk left unread
  if (!s.ok()) return s;
  char stored[kChecksumSize];
  if (::pread(fd.get(), stored, sizeof(stored), static_cast<off_t>(size - kChecksumSize)) !=
      static_cast<ssize_t>(sizeof(stored))) {
    return Status::Error(name + "can't read the checksum");
  }
  if (in.Checksum() != std::string_view(stored, sizeof(stored))) {
    return Status::Error(name + "checksum mismatch, the archive is damaged" +
                         (problem.empty() ? "" : " (" + problem + ")"));
  }
  if (!problem.empty()) return Status::Error(name + problem);
  return entries;
}

}  // namespace

Status WriteArchive(const std::string& root, const std::vector<std::string>& files,
                    const std::string& archive_path, ProgressMeter* meter) {
  std::unordered_set<std::string_view> seen;
  for (const std::string& rel : files) {
    const std::string named = "can't archive '" + Printable(rel) + "': ";
    if (Status s = archive_format::CheckPath(rel); !s.ok()) {
      return Status::Error(named + s.message());
    }
    if (rel.size() > ArchiveLimits{}.max_path_bytes) {
      return Status::Error(named + "path longer than " +
                           std::to_string(ArchiveLimits{}.max_path_bytes) + " bytes");
    }
    if (!seen.insert(rel).second) return Status::Error(named + "listed twice");
  }
  const std::string tmp = archive_path + ".tmp";
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (fd.get() < 0) return ErrnoError("can't create " + tmp, errno);
  if (meter != nullptr) {
    // The stage counts the files' bytes (the archive adds a few per entry).
    uint64_t total = 0;
    for (const std::string& rel : files) {
      std::error_code ec;
      const uintmax_t size = fs::file_size(fs::path(root) / rel, ec);
      if (!ec) total += size;
    }
    meter->Begin("writing " + std::to_string(files.size()) + " files into " + archive_path,
                 ProgressMeter::Unit::kBytes, total);
  }
  Status s = WriteContents(fd.get(), tmp, root, files, meter);
  if (s.ok() && ::fsync(fd.get()) != 0) s = ErrnoError("can't fsync " + tmp, errno);
  if (int err = fd.Close(); s.ok() && err != 0) s = ErrnoError("can't close " + tmp, err);
  if (s.ok() && ::rename(tmp.c_str(), archive_path.c_str()) != 0) {
    s = ErrnoError("can't rename " + tmp + " to " + archive_path, errno);
  }
  if (!s.ok()) {
    ::unlink(tmp.c_str());
    return s;
  }
  return SyncDir(fs::path(archive_path).parent_path().string());
}

Result<std::vector<ArchiveEntry>> CheckArchive(const std::string& archive_path,
                                               const ArchiveLimits& limits, ProgressMeter* meter) {
  return Scan(archive_path, limits, nullptr, meter, "checking archive " + archive_path);
}

Status ExtractArchive(const std::string& archive_path, const std::string& dest_dir,
                      const ArchiveLimits& limits, ProgressMeter* meter,
                      const AcceptEntries& accept) {
  const std::string name = "can't extract archive " + archive_path + " into " + dest_dir + ": ";
  std::error_code ec;
  if (!fs::is_directory(dest_dir, ec)) return Status::Error(name + "no such directory");
  fs::directory_iterator it(dest_dir, ec);
  if (ec) return Status::Error(name + ec.message());
  if (it != fs::directory_iterator()) return Status::Error(name + "the directory is not empty");
  Result<std::vector<ArchiveEntry>> checked = CheckArchive(archive_path, limits, meter);
  if (!checked.ok()) return checked.status();
  if (accept) {
    if (Status s = accept(*checked); !s.ok()) return s;
  }
  Extractor out(dest_dir, name);
  Result<std::vector<ArchiveEntry>> extracted =
      Scan(archive_path, limits, &out, meter, "unpacking archive " + archive_path);
  if (!extracted.ok()) return extracted.status();
  if (*extracted != *checked) return Status::Error(name + "the archive changed while extracted");
  return out.SyncDirs();
}

namespace archive_format {

void AppendHeader(std::string* out, uint32_t version) {
  out->append(kMagic);
  PutLE(out, version, 4);
}

void AppendEntryHeader(std::string* out, std::string_view path, uint64_t size) {
  out->push_back(kEntryTag);
  PutLE(out, path.size(), 4);
  out->append(path);
  PutLE(out, size, 8);
}

void AppendTrailerFields(std::string* out, uint64_t entry_count, uint64_t total_bytes) {
  out->push_back(kTrailerTag);
  PutLE(out, entry_count, 8);
  PutLE(out, total_bytes, 8);
}

void AppendChecksum(std::string* out) {
  Hasher hash;
  hash.Update(*out);
  out->append(hash.Canonical());
}

Status CheckPath(std::string_view path) {
  if (path.empty()) return Status::Error("empty path");
  if (path.find('\0') != std::string_view::npos) return Status::Error("path has a NUL byte");
  if (path.find('\\') != std::string_view::npos) return Status::Error("path has a backslash");
  if (path.front() == '/') return Status::Error("path is absolute");
  if (path.find("//") != std::string_view::npos) return Status::Error("path has a doubled slash");
  if (path.back() == '/') return Status::Error("path ends with a slash");
  for (size_t start = 0;;) {
    size_t slash = path.find('/', start);
    std::string_view part = path.substr(start, slash - start);
    if (part == ".") return Status::Error("path has a '.' component");
    if (part == "..") return Status::Error("path has a '..' component");
    if (slash == std::string_view::npos) return Status::Ok();
    start = slash + 1;
  }
}

}  // namespace archive_format
}  // namespace vellum::snapshot
