// Command lookup by name: case-insensitive in ASCII, as Redis's, and nothing more.
#include "server/command_table.h"

#include <gtest/gtest.h>

#include "server/commands/registry.h"

namespace vellum::server {
namespace {

class CommandTableTest : public ::testing::Test {
 protected:
  void SetUp() override { RegisterAllCommands(table_); }
  CommandTable table_;
};

TEST_F(CommandTableTest, FindIgnoresAsciiCase) {
  const Command* get = table_.Find("get");
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(table_.Find("GET"), get);
  EXPECT_EQ(table_.Find("gEt"), get);
  EXPECT_EQ(table_.Find("IncrByFloat"), table_.Find("incrbyfloat"));
}

TEST_F(CommandTableTest, FindRejectsUnknownAndNearMissNames) {
  EXPECT_EQ(table_.Find("gett"), nullptr);
  EXPECT_EQ(table_.Find("ge"), nullptr);
  EXPECT_EQ(table_.Find(""), nullptr);
  // Bytes outside ASCII letters are compared as they are: '@' is not '`' lower-cased.
  EXPECT_EQ(table_.Find("g@t"), nullptr);
  EXPECT_EQ(table_.Find("G\xC9T"), nullptr);
}

TEST_F(CommandTableTest, SubcommandsAreFoundThroughTheirParent) {
  const Command* config = table_.Find("config");
  ASSERT_NE(config, nullptr);
  EXPECT_NE(config->FindSubcommand("GeT"), nullptr);
  EXPECT_EQ(config->FindSubcommand("nope"), nullptr);
}

// Regression: a summary pointing at a registration function's stack (a local constexpr
// array) printed garbage in COMMAND DOCS and docs/commands.md.
TEST_F(CommandTableTest, EverySummaryIsPrintableText) {
  auto check = [](const Command* c) {
    const std::string summary = c->spec.summary;
    EXPECT_FALSE(summary.empty()) << c->fullname;
    for (unsigned char ch : summary) {
      EXPECT_TRUE(ch >= 0x20 && ch < 0x7f) << c->fullname;
    }
  };
  for (const Command* c : table_.TopLevel()) {
    check(c);
    for (const Command* sub : c->subcommands) check(sub);
  }
}

}  // namespace
}  // namespace vellum::server
