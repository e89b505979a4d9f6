// A full sync's transfer (FetchCheckpointFiles) against canned REPLSTREAM FILE replies:
// files in several chunks arrive whole and verified, an empty one is created, and a wrong
// hash, a short chunk or an error reply refuses the transfer.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "snapshot/replica_link.h"
#include "snapshot/resp_client.h"
#include "tests/snapshot/canned_server.h"
#include "tests/temp_dir.h"

namespace vellum::snapshot {
namespace {

namespace fs = std::filesystem;
using testing_support::Bulk;
using testing_support::CannedServer;

std::string Noise(size_t n, int seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i++) s[i] = static_cast<char>((i * 131 + seed * 7) % 251);
  return s;
}

uint64_t Xxh3(const std::string& s) { return XXH3_64bits(s.data(), s.size()); }

std::string ReadFileBytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct FetchOutcome {
  Status status;
  uint64_t fetched = 0;
};

FetchOutcome FetchOver(const std::string& replies, const std::vector<FileToFetch>& files,
                       const fs::path& dir, bool stopped = false) {
  CannedServer server(replies, 0);
  auto c = RespClient::Connect("127.0.0.1", server.port(), 5);
  FetchOutcome f;
  if (!c.ok()) {
    ADD_FAILURE() << c.status().message();
    f.status = c.status();
    return f;
  }
  (*c)->SetTimeout(2);
  std::atomic<bool> stop{stopped};
  f.status = FetchCheckpointFiles(**c, "1", dir, files, stop, &f.fetched);
  c->reset();  // closed before the server's thread is joined
  return f;
}

TEST(FetchCheckpointFilesTest, FilesInSeveralChunksAndAnEmptyOneArriveWholeAndVerified) {
  testing_support::TempDir dir("fetch");
  const std::string big = Noise(2 * kCheckpointChunkBytes + 1000, 1);
  const std::string small = Noise(300, 2);
  const std::vector<FileToFetch> files = {{"000007.sst", big.size(), Xxh3(big)},
                                          {"000009.log", 0, Xxh3("")},
                                          {"MANIFEST-000005", small.size(), Xxh3(small)}};
  const std::string replies = Bulk(big.substr(0, kCheckpointChunkBytes)) +
                              Bulk(big.substr(kCheckpointChunkBytes, kCheckpointChunkBytes)) +
                              Bulk(big.substr(2 * kCheckpointChunkBytes)) + Bulk(small);
  FetchOutcome f = FetchOver(replies, files, dir.path());
  ASSERT_TRUE(f.status.ok()) << f.status.message();
  EXPECT_EQ(f.fetched, big.size() + small.size());
  EXPECT_TRUE(ReadFileBytes(dir / "000007.sst") == big);
  EXPECT_TRUE(fs::exists(dir / "000009.log"));
  EXPECT_EQ(fs::file_size(dir / "000009.log"), 0u);
  EXPECT_EQ(ReadFileBytes(dir / "MANIFEST-000005"), small);
}

TEST(FetchCheckpointFilesTest, AFileWhoseBytesDoNotMatchItsHashIsRefused) {
  testing_support::TempDir dir("fetch");
  const std::string body = Noise(1000, 3);
  std::string damaged = body;
  damaged[500] ^= 1;
  FetchOutcome f = FetchOver(Bulk(damaged), {{"000007.sst", body.size(), Xxh3(body)}}, dir.path());
  ASSERT_FALSE(f.status.ok());
  EXPECT_NE(f.status.message().find("000007.sst does not match its checksum"), std::string::npos)
      << f.status.message();
}

TEST(FetchCheckpointFilesTest, AChunkShorterThanAskedIsRefused) {
  testing_support::TempDir dir("fetch");
  const std::string body = Noise(1000, 4);
  FetchOutcome f =
      FetchOver(Bulk(body.substr(0, 600)), {{"000007.sst", body.size(), Xxh3(body)}}, dir.path());
  ASSERT_FALSE(f.status.ok());
  EXPECT_NE(f.status.message().find("shorter than announced"), std::string::npos)
      << f.status.message();
}

TEST(FetchCheckpointFilesTest, AnErrorReplyEndsTheTransferWithThePrimarysWords) {
  testing_support::TempDir dir("fetch");
  const std::string body = Noise(1000, 5);
  FetchOutcome f = FetchOver("-ERR no such checkpoint file\r\n",
                             {{"000007.sst", body.size(), Xxh3(body)}}, dir.path());
  ASSERT_FALSE(f.status.ok());
  EXPECT_NE(f.status.message().find("ERR no such checkpoint file"), std::string::npos)
      << f.status.message();
}

TEST(FetchCheckpointFilesTest, AnEmptyFileWithAnotherHashIsRefused) {
  testing_support::TempDir dir("fetch");
  FetchOutcome f = FetchOver("", {{"000009.log", 0, Xxh3("x")}}, dir.path());
  ASSERT_FALSE(f.status.ok());
  EXPECT_NE(f.status.message().find("does not match its checksum"), std::string::npos);
}

TEST(FetchCheckpointFilesTest, AStoppedLinkReadsNothing) {
  testing_support::TempDir dir("fetch");
  const std::string body = Noise(1000, 6);
  FetchOutcome f =
      FetchOver(Bulk(body), {{"000007.sst", body.size(), Xxh3(body)}}, dir.path(), true);
  ASSERT_FALSE(f.status.ok());
  EXPECT_EQ(f.fetched, 0u);
  EXPECT_FALSE(fs::exists(dir / "000007.sst"));
}

}  // namespace
}  // namespace vellum::snapshot
