// The replication ids a data directory keeps (snapshot/replica_link.h): the file round-trips,
// the one-line files of earlier versions still read, and Continues is the failover rule.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "snapshot/replica_link.h"
#include "tests/temp_dir.h"

namespace vellum::snapshot {
namespace {

namespace fs = std::filesystem;

class ReplIdsTest : public ::testing::Test {
 protected:
  testing_support::TempDir tmp_{"replids"};
  const std::string dir_ = tmp_.path();
};

const std::string kA(40, 'a'), kB(40, 'b'), kC(40, 'c');

TEST_F(ReplIdsTest, RoundTripWithAndWithoutASecondId) {
  EXPECT_EQ(ReadReplIds(dir_).id, "");  // no file
  ASSERT_TRUE(WriteReplIds(dir_, ReplIds{kA, true, kB, 1234}).ok());
  ReplIds got = ReadReplIds(dir_);
  EXPECT_EQ(got.id, kA);
  EXPECT_TRUE(got.following);
  EXPECT_EQ(got.id2, kB);
  EXPECT_EQ(got.id2_end, 1234u);
  ASSERT_TRUE(WriteReplId(dir_, kC, false).ok());  // a full sync: nothing shared before
  got = ReadReplIds(dir_);
  EXPECT_EQ(got.id, kC);
  EXPECT_FALSE(got.following);
  EXPECT_EQ(got.id2, "");
}

TEST_F(ReplIdsTest, OneLineFilesOfEarlierVersionsStillRead) {
  std::ofstream(fs::path(dir_) / "replid") << kA << " following\n";
  ReplIds got = ReadReplIds(dir_);
  EXPECT_EQ(got.id, kA);
  EXPECT_TRUE(got.following);
  EXPECT_EQ(got.id2, "");
  bool following = false;
  EXPECT_EQ(ReadReplId(dir_, &following), kA);
  EXPECT_TRUE(following);
}

TEST(ReplIdsRuleTest, TheSecondIdCoversOnlyThePastItShares) {
  const ReplIds promoted{kB, false, kA, 100};
  EXPECT_TRUE(promoted.Continues(kB, 5000));  // its own history: anywhere
  EXPECT_TRUE(promoted.Continues(kA, 100));   // the old one: up to where it was promoted
  EXPECT_TRUE(promoted.Continues(kA, 7));
  EXPECT_FALSE(promoted.Continues(kA, 101));  // a write it never had
  EXPECT_FALSE(promoted.Continues(kC, 1));
  EXPECT_FALSE(promoted.Continues("", 1));
  const ReplIds fresh{kA, false, "", 0};
  EXPECT_FALSE(fresh.Continues("", 0));
}

}  // namespace
}  // namespace vellum::snapshot
