// The snapshot archive (snapshot/archive.h): files round-trip, the writer produces the
// documented format, and every damaged or hostile archive is refused, naming the archive, the
// entry and the problem, before anything is extracted.
#include "snapshot/archive.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace vellum::snapshot {
namespace {

namespace fs = std::filesystem;
namespace af = archive_format;

using Files = std::vector<std::pair<std::string, std::string>>;  // (path, contents)

// A hand-made archive of `files`: header, entries, trailer, checksum.
std::string Craft(const Files& files) {
  std::string out;
  af::AppendHeader(&out);
  uint64_t total = 0;
  for (const auto& [path, contents] : files) {
    af::AppendEntryHeader(&out, path, contents.size());
    out += contents;
    total += contents.size();
  }
  af::AppendTrailerFields(&out, files.size(), total);
  af::AppendChecksum(&out);
  return out;
}

// `bytes` patterned so that a misplaced buffer boundary shows.
std::string Pattern(size_t bytes) {
  std::string out(bytes, '\0');
  uint32_t x = 12345;
  for (char& c : out) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 16);
  }
  return out;
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// Each test gets its own directory (src/, dest/, the archive), removed at the end.
class ArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "vellum-archive-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fs::create_directory(src());
    fs::create_directory(dest());
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  std::string src() const { return dir_ + "/src"; }
  std::string dest() const { return dir_ + "/dest"; }
  std::string archive() const { return dir_ + "/snap.archive"; }
  bool DestIsEmpty() const { return fs::is_empty(dest()); }

  // Creates the files under src() and archives them, in order.
  void WriteSource(const Files& files) {
    std::vector<std::string> paths;
    for (const auto& [path, contents] : files) {
      fs::create_directories((fs::path(src()) / path).parent_path());
      WriteBytes(src() + "/" + path, contents);
      paths.push_back(path);
    }
    Status s = WriteArchive(src(), paths, archive());
    ASSERT_TRUE(s.ok()) << s.message();
  }

  // `bytes`, as the archive, is refused by CheckArchive with a message that names the
  // archive and holds every one of `parts`; ExtractArchive refuses it too and writes nothing.
  void ExpectRefused(const std::string& bytes, const std::vector<std::string>& parts,
                     const ArchiveLimits& limits = {}) {
    WriteBytes(archive(), bytes);
    Result<std::vector<ArchiveEntry>> checked = CheckArchive(archive(), limits);
    ASSERT_FALSE(checked.ok());
    const std::string& message = checked.status().message();
    EXPECT_NE(message.find(archive()), std::string::npos) << message;
    for (const std::string& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "no \"" << part << "\" in: " << message;
    }
    Status extracted = ExtractArchive(archive(), dest(), limits);
    EXPECT_FALSE(extracted.ok());
    EXPECT_TRUE(DestIsEmpty());
  }

  // An archive whose first entry is fine and whose second is `path`.
  void ExpectPathRefused(const std::string& path, const std::string& problem) {
    ExpectRefused(Craft({{"ok", "1"}, {path, "2"}}), {"entry #2", problem});
  }

  std::string dir_;
};

TEST_F(ArchiveTest, RoundTripsNestedFiles) {
  const Files files = {{"MANIFEST", "manifest"},
                       {"shared/000010.sst", Pattern(2'500'000)},  // crosses 1 MiB buffers
                       {"meta/deep/er/1", "one"}};
  WriteSource(files);
  Result<std::vector<ArchiveEntry>> entries = CheckArchive(archive(), {});
  ASSERT_TRUE(entries.ok()) << entries.status().message();
  ASSERT_EQ(entries->size(), files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    EXPECT_EQ((*entries)[i], (ArchiveEntry{files[i].first, files[i].second.size()}));
  }
  Status s = ExtractArchive(archive(), dest(), {});
  ASSERT_TRUE(s.ok()) << s.message();
  size_t found = 0;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(dest())) {
    found += e.is_regular_file();
  }
  EXPECT_EQ(found, files.size());
  for (const auto& [path, contents] : files) EXPECT_EQ(ReadBytes(dest() + "/" + path), contents);
}

TEST_F(ArchiveTest, EmptyFileIsAnEntry) {
  WriteSource({{"empty", ""}, {"d/also-empty", ""}});
  Result<std::vector<ArchiveEntry>> entries = CheckArchive(archive(), {});
  ASSERT_TRUE(entries.ok()) << entries.status().message();
  EXPECT_EQ(*entries, (std::vector<ArchiveEntry>{{"empty", 0}, {"d/also-empty", 0}}));
  ASSERT_TRUE(ExtractArchive(archive(), dest(), {}).ok());
  EXPECT_TRUE(fs::is_regular_file(dest() + "/d/also-empty"));
  EXPECT_EQ(fs::file_size(dest() + "/empty"), 0u);
}

TEST_F(ArchiveTest, NoFilesMakeAValidArchive) {
  WriteSource({});
  Result<std::vector<ArchiveEntry>> entries = CheckArchive(archive(), {});
  ASSERT_TRUE(entries.ok()) << entries.status().message();
  EXPECT_TRUE(entries->empty());
}

TEST_F(ArchiveTest, WriterProducesTheDocumentedFormat) {
  const Files files = {{"a", "x"}, {"d/b", ""}, {"d/c", "yz"}};
  WriteSource(files);
  EXPECT_EQ(ReadBytes(archive()), Craft(files));
  EXPECT_FALSE(fs::exists(archive() + ".tmp"));
}

TEST_F(ArchiveTest, RefusesBadMagic) {
  std::string bytes = Craft({{"a", "x"}});
  bytes[0] = 'X';
  ExpectRefused(bytes, {"not a Vellum archive"});
  ExpectRefused("hello, world: this is not an archive at all\n", {"not a Vellum archive"});
}

TEST_F(ArchiveTest, RefusesUnknownVersion) {
  std::string bytes;
  af::AppendHeader(&bytes, 2);
  af::AppendTrailerFields(&bytes, 0, 0);
  af::AppendChecksum(&bytes);
  ExpectRefused(bytes, {"unknown format version 2"});
}

TEST_F(ArchiveTest, RefusesEmptyPath) { ExpectPathRefused("", "empty path"); }

TEST_F(ArchiveTest, RefusesAbsolutePath) { ExpectPathRefused("/etc/passwd", "absolute"); }

TEST_F(ArchiveTest, RefusesDotDotComponent) {
  ExpectPathRefused("a/../../x", "'..' component");
  ExpectPathRefused("..", "'..' component");
}

TEST_F(ArchiveTest, RefusesDotComponent) {
  ExpectPathRefused("a/./b", "'.' component");
  ExpectPathRefused(".", "'.' component");
}

TEST_F(ArchiveTest, RefusesBackslash) { ExpectPathRefused("a\\..\\b", "backslash"); }

TEST_F(ArchiveTest, RefusesNulByte) { ExpectPathRefused(std::string("a\0b", 3), "NUL"); }

TEST_F(ArchiveTest, RefusesDoubledSlash) { ExpectPathRefused("a//b", "doubled slash"); }

TEST_F(ArchiveTest, RefusesTrailingSlash) { ExpectPathRefused("a/", "ends with a slash"); }

TEST_F(ArchiveTest, RefusesDuplicateEntry) {
  ExpectRefused(Craft({{"a/b", "1"}, {"a/b", "2"}}), {"entry #2 'a/b'", "duplicate"});
}

TEST_F(ArchiveTest, RefusesEntryInsideAFileEntry) {
  ExpectRefused(Craft({{"a", "1"}, {"a/b", "2"}}), {"entry #2 'a/b'", "inside the file entry 'a'"});
  ExpectRefused(Craft({{"a/b", "1"}, {"a", "2"}}), {"entry #2 'a'", "lies inside it"});
}

TEST_F(ArchiveTest, RefusesSizeLargerThanTheArchive) {
  std::string bytes;
  af::AppendHeader(&bytes);
  af::AppendEntryHeader(&bytes, "big", uint64_t{1} << 50);
  bytes += "abc";
  af::AppendTrailerFields(&bytes, 1, 3);
  af::AppendChecksum(&bytes);
  ExpectRefused(bytes, {"entry #1 'big'", "absurd size 1125899906842624"});
}

TEST_F(ArchiveTest, RefusesSizePastTheLimits) {
  ArchiveLimits limits;
  limits.max_total_bytes = 10;
  ExpectRefused(Craft({{"a", "123456"}, {"b", "123456"}}), {"entry #2 'b'", "absurd size 6"},
                limits);
}

TEST_F(ArchiveTest, RefusesPathLongerThanTheLimit) {
  ArchiveLimits limits;
  limits.max_path_bytes = 8;
  ExpectRefused(Craft({{"123456789", "x"}}), {"entry #1", "absurd path length 9"}, limits);
}

TEST_F(ArchiveTest, RefusesMoreEntriesThanTheLimit) {
  ArchiveLimits limits;
  limits.max_entries = 2;
  ExpectRefused(Craft({{"a", ""}, {"b", ""}, {"c", ""}}), {"entry #3", "limit of 2"}, limits);
}

TEST_F(ArchiveTest, RefusesTruncatedArchive) {
  const std::string bytes = Craft({{"a/b", Pattern(100)}});
  ExpectRefused(bytes.substr(0, 100), {"truncated", "entry #1 'a/b'"});
  ExpectRefused(bytes.substr(0, 20), {"truncated"});
  ExpectRefused("", {"truncated"});
}

TEST_F(ArchiveTest, RefusesEveryTruncation) {
  const std::string bytes = Craft({{"a", "xyz"}, {"b/c", Pattern(40)}});
  for (size_t length = 0; length < bytes.size(); ++length) {
    SCOPED_TRACE(length);
    ExpectRefused(bytes.substr(0, length), {});
  }
}

TEST_F(ArchiveTest, RefusesChecksumMismatch) {
  std::string bytes = Craft({{"a", "xyz"}});
  bytes.back() ^= 1;
  ExpectRefused(bytes, {"checksum mismatch"});
}

TEST_F(ArchiveTest, FlippedByteAnywhereIsAChecksumMismatch) {
  const std::string good = Craft({{"a", "xyz"}, {"b/c", Pattern(40)}});
  for (size_t at = 0; at < good.size(); ++at) {
    SCOPED_TRACE(at);
    std::string bytes = good;
    bytes[at] ^= 0x5a;
    // The magic and the version are judged before the checksum.
    if (at < af::kMagic.size()) {
      ExpectRefused(bytes, {"not a Vellum archive"});
    } else if (at < af::kHeaderSize) {
      ExpectRefused(bytes, {"unknown format version"});
    } else {
      ExpectRefused(bytes, {"checksum mismatch"});
    }
  }
}

TEST_F(ArchiveTest, RefusesTrailingGarbage) {
  ExpectRefused(Craft({{"a", "xyz"}}) + "junk", {"4 bytes of trailing garbage"});
}

TEST_F(ArchiveTest, RefusesTrailerThatMiscounts) {
  std::string bytes;
  af::AppendHeader(&bytes);
  af::AppendEntryHeader(&bytes, "a", 3);
  bytes += "xyz";
  af::AppendTrailerFields(&bytes, 2, 3);
  af::AppendChecksum(&bytes);
  ExpectRefused(bytes, {"the trailer counts 2 entries"});
}

TEST_F(ArchiveTest, RefusesUnknownRecord) {
  std::string bytes;
  af::AppendHeader(&bytes);
  bytes += 'Z';
  af::AppendTrailerFields(&bytes, 0, 0);
  af::AppendChecksum(&bytes);
  ExpectRefused(bytes, {"entry #1", "unknown record tag Z"});
}

TEST_F(ArchiveTest, ExtractRefusesNonEmptyDirectory) {
  WriteSource({{"a", "x"}});
  WriteBytes(dest() + "/already-here", "");
  Status s = ExtractArchive(archive(), dest(), {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not empty"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(dest() + "/a"));
}

TEST_F(ArchiveTest, BadArchiveWritesNothing) {
  // The first entry is sound: a reader that extracted as it checked would have written it.
  std::string bytes = Craft({{"first", Pattern(1000)}, {"second", "x"}});
  bytes[bytes.size() - af::kTrailerSize - 1] ^= 1;  // the second entry's contents
  WriteBytes(archive(), bytes);
  EXPECT_FALSE(ExtractArchive(archive(), dest(), {}).ok());
  EXPECT_TRUE(DestIsEmpty());
}

TEST_F(ArchiveTest, WriterRefusesSymlink) {
  WriteBytes(src() + "/real", "x");
  fs::create_symlink(src() + "/real", src() + "/link");
  Status s = WriteArchive(src(), {"real", "link"}, archive());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("link"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("symlink"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(archive()));
  EXPECT_FALSE(fs::exists(archive() + ".tmp"));
}

TEST_F(ArchiveTest, WriterRefusesDirectory) {
  fs::create_directory(src() + "/sub");
  Status s = WriteArchive(src(), {"sub"}, archive());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("sub: not a regular file"), std::string::npos) << s.message();
}

TEST_F(ArchiveTest, WriterRefusesBadOrDuplicatePath) {
  WriteBytes(src() + "/a", "x");
  EXPECT_FALSE(WriteArchive(src(), {"../src/a"}, archive()).ok());
  EXPECT_FALSE(WriteArchive(src(), {"./a"}, archive()).ok());
  Status s = WriteArchive(src(), {"a", "a"}, archive());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'a': listed twice"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(archive()));
}

TEST_F(ArchiveTest, FailedWriteLeavesTheOldArchive) {
  WriteBytes(archive(), "old");
  Status s = WriteArchive(src(), {"missing"}, archive());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("missing"), std::string::npos) << s.message();
  EXPECT_EQ(ReadBytes(archive()), "old");
  EXPECT_FALSE(fs::exists(archive() + ".tmp"));
}

}  // namespace
}  // namespace vellum::snapshot
