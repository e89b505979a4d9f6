#include "server/acl.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "server/client_state.h"
#include "server/command_table.h"
#include "server/commands/registry.h"

namespace vellum::server {
namespace {

// ---- SHA-256 (FIPS 180-4 / NIST CSRC example vectors) ------------------------------------

TEST(Sha256Test, EmptyString) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Test, Abc) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Test, TwoBlockMessage) {
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Test, MillionAs) {
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// ---- The user table ------------------------------------------------------------------------

class AclTest : public ::testing::Test {
 protected:
  AclTest() : acl_(Table()) {}

  static const CommandTable* Table() {
    static const CommandTable* table = [] {
      auto* t = new CommandTable();
      RegisterAllCommands(*t);
      return t;
    }();
    return table;
  }

  Status Set(std::string_view name, std::vector<std::string_view> rules) {
    return acl_.SetUser(name, rules);
  }

  // Whether `user` may run argv (resolving a container's subcommand as the dispatcher does).
  AclDenial Run(std::string_view user, std::vector<std::string_view> argv) {
    const Command* cmd = Table()->Find(argv[0]);
    EXPECT_NE(cmd, nullptr) << argv[0];
    if (cmd->is_container()) cmd = cmd->FindSubcommand(argv[1]);
    std::shared_ptr<const AclUser> u = acl_.Find(user);
    EXPECT_NE(u, nullptr) << user;
    return Acl::CheckUser(*u, *cmd, argv).denial;
  }

  std::string List(std::string_view user) { return acl_.Find(user)->Describe(); }

  Acl acl_;
};

TEST_F(AclTest, DefaultUserIsUnrestrictedNopass) {
  EXPECT_EQ(List("default"), "user default on nopass ~* &* +@all");
  EXPECT_FALSE(acl_.auth_required());
  EXPECT_EQ(Run("default", {"set", "k", "v"}), AclDenial::kNone);
  EXPECT_EQ(Run("default", {"config", "get", "x"}), AclDenial::kNone);
}

TEST_F(AclTest, RequirepassGivesDefaultAPasswordHash) {
  acl_.SetDefaultPassword("s3cret");
  EXPECT_EQ(List("default"), "user default on #" + Sha256Hex("s3cret") + " ~* &* +@all");
  EXPECT_TRUE(acl_.auth_required());
  EXPECT_NE(acl_.Authenticate("default", "s3cret"), nullptr);
  EXPECT_EQ(acl_.Authenticate("default", "wrong"), nullptr);
  acl_.SetDefaultPassword("");
  EXPECT_FALSE(acl_.auth_required());
}

TEST_F(AclTest, NewUserStartsOffWithNothing) {
  ASSERT_TRUE(Set("eve", {}).ok());
  EXPECT_EQ(List("eve"), "user eve off resetchannels -@all");
  EXPECT_EQ(Run("eve", {"get", "k"}), AclDenial::kCommand);
}

TEST_F(AclTest, PasswordsAreStoredAsHashesOnly) {
  ASSERT_TRUE(Set("alice", {"on", ">secret"}).ok());
  std::string line = List("alice");
  EXPECT_EQ(line.find("secret"), std::string::npos);
  EXPECT_NE(line.find("#" + Sha256Hex("secret")), std::string::npos);
  EXPECT_NE(acl_.Authenticate("alice", "secret"), nullptr);
  EXPECT_EQ(acl_.Authenticate("alice", "other"), nullptr);
}

TEST_F(AclTest, DisabledUserCannotAuthenticate) {
  ASSERT_TRUE(Set("bob", {"off", ">pw"}).ok());
  EXPECT_EQ(acl_.Authenticate("bob", "pw"), nullptr);
  EXPECT_EQ(acl_.Authenticate("nosuch", "pw"), nullptr);
}

TEST_F(AclTest, RemovingPasswordsByClearTextAndHash) {
  ASSERT_TRUE(Set("u", {"on", ">a", ">b"}).ok());
  ASSERT_TRUE(Set("u", {"<a"}).ok());
  EXPECT_EQ(acl_.Authenticate("u", "a"), nullptr);
  std::string hash_b = "!" + Sha256Hex("b");
  ASSERT_TRUE(Set("u", {hash_b}).ok());
  EXPECT_TRUE(acl_.Find("u")->password_hashes().empty());
  EXPECT_EQ(Set("u", {"<zzz"}).message(),
            "ERR Error in ACL SETUSER modifier '<zzz': The password you are trying to remove "
            "from the user does not exist");
}

TEST_F(AclTest, HashMustBe64LowercaseHexDigits) {
  EXPECT_EQ(Set("u", {"#abc"}).message(),
            "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 "
            "characters and contain only lowercase hexadecimal characters");
  std::string upper = "#" + std::string(64, 'A');
  EXPECT_FALSE(Set("u", {upper}).ok());
  std::string good = "#" + std::string(64, 'a');
  EXPECT_TRUE(Set("u", {good}).ok());
}

TEST_F(AclTest, NopassAndResetpass) {
  ASSERT_TRUE(Set("u", {"on", ">pw", "nopass"}).ok());
  EXPECT_EQ(List("u"), "user u on nopass resetchannels -@all");
  EXPECT_NE(acl_.Authenticate("u", "anything"), nullptr);
  ASSERT_TRUE(Set("u", {"resetpass"}).ok());
  EXPECT_EQ(acl_.Authenticate("u", "anything"), nullptr);
}

TEST_F(AclTest, UnknownModifierIsASyntaxError) {
  EXPECT_EQ(Set("u", {"on", "x"}).message(), "ERR Error in ACL SETUSER modifier 'x': Syntax error");
  EXPECT_EQ(acl_.Find("u"), nullptr);  // all or nothing
}

TEST_F(AclTest, UnknownCommandOrCategory) {
  EXPECT_EQ(Set("u", {"+nosuch"}).message(),
            "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL");
  EXPECT_EQ(Set("u", {"+@nosuch"}).message(),
            "ERR Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in "
            "ACL");
  EXPECT_EQ(Set("u", {"+config|nosuch"}).message(),
            "ERR Error in ACL SETUSER modifier '+config|nosuch': Unknown command or category "
            "name in ACL");
  EXPECT_EQ(Set("u", {"+config|get|x"}).message(),
            "ERR Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a "
            "subcommand is not supported");
}

TEST_F(AclTest, UsernameWithSpaceIsRefused) {
  EXPECT_EQ(Set("a b", {"on"}).message(), "ERR Usernames can't contain spaces or null characters");
}

TEST_F(AclTest, CategoryGrantsReadButNotWrite) {
  ASSERT_TRUE(Set("r", {"on", "nopass", "~*", "+@read"}).ok());
  EXPECT_EQ(Run("r", {"get", "k"}), AclDenial::kNone);
  EXPECT_EQ(Run("r", {"set", "k", "v"}), AclDenial::kCommand);
}

TEST_F(AclTest, MinusDangerousAfterAllCommands) {
  ASSERT_TRUE(Set("u", {"on", "~*", "+@all", "-@dangerous"}).ok());
  EXPECT_EQ(Run("u", {"get", "k"}), AclDenial::kNone);
  EXPECT_EQ(Run("u", {"flushall"}), AclDenial::kCommand);
  EXPECT_EQ(acl_.Find("u")->CommandsText(), "+@all -@dangerous");
}

TEST_F(AclTest, KeyPatternsLimitKeys) {
  ASSERT_TRUE(Set("p", {"on", "~pages:*", "+@read", "+@write", "-@dangerous"}).ok());
  EXPECT_EQ(Run("p", {"get", "pages:1"}), AclDenial::kNone);
  EXPECT_EQ(Run("p", {"get", "other:1"}), AclDenial::kKey);
  EXPECT_EQ(Run("p", {"mget", "pages:1", "other:1"}), AclDenial::kKey);
  EXPECT_EQ(Run("p", {"mset", "pages:1", "v", "pages:2", "v"}), AclDenial::kNone);
  EXPECT_EQ(Run("p", {"mset", "pages:1", "v", "other", "v"}), AclDenial::kKey);
}

TEST_F(AclTest, ReadAndWriteKeyPatterns) {
  ASSERT_TRUE(Set("u", {"on", "+@all", "%R~ro:*", "%W~wo:*", "%RW~rw:*"}).ok());
  EXPECT_EQ(acl_.Find("u")->KeysText(), "%R~ro:* %W~wo:* ~rw:*");
  EXPECT_EQ(Run("u", {"get", "ro:1"}), AclDenial::kNone);
  EXPECT_EQ(Run("u", {"set", "ro:1", "v"}), AclDenial::kKey);
  EXPECT_EQ(Run("u", {"set", "wo:1", "v"}), AclDenial::kNone);
  EXPECT_EQ(Run("u", {"get", "wo:1"}), AclDenial::kKey);
  EXPECT_EQ(Run("u", {"incr", "wo:1"}), AclDenial::kKey);  // reads and writes
  EXPECT_EQ(Run("u", {"incr", "rw:1"}), AclDenial::kNone);
}

TEST_F(AclTest, SamePatternMergesPermissions) {
  ASSERT_TRUE(Set("u", {"~a", "~a", "%R~a", "%R~b", "%W~b"}).ok());
  EXPECT_EQ(acl_.Find("u")->KeysText(), "~a ~b");
}

TEST_F(AclTest, PatternAfterAllKeysIsRefused) {
  EXPECT_EQ(Set("u", {"allkeys", "~foo"}).message(),
            "ERR Error in ACL SETUSER modifier '~foo': Adding a pattern after the * pattern (or "
            "the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to "
            "start with an empty list of patterns");
  ASSERT_TRUE(Set("u", {"allkeys", "resetkeys", "~foo"}).ok());
  EXPECT_EQ(acl_.Find("u")->KeysText(), "~foo");
}

TEST_F(AclTest, BadKeyPermissionIsASyntaxError) {
  EXPECT_EQ(Set("u", {"%X~foo"}).message(),
            "ERR Error in ACL SETUSER modifier '%X~foo': Syntax error");
}

TEST_F(AclTest, ChannelsAreStored) {
  ASSERT_TRUE(Set("u", {"&a", "&b", "&a"}).ok());
  EXPECT_EQ(acl_.Find("u")->ChannelsText(), "&a &b");
  EXPECT_EQ(List("u"), "user u off resetchannels &a &b -@all");
  ASSERT_TRUE(Set("u", {"allchannels"}).ok());
  EXPECT_EQ(List("u"), "user u off &* -@all");
  EXPECT_FALSE(Set("u", {"&c"}).ok());
  ASSERT_TRUE(Set("u", {"resetchannels"}).ok());
  EXPECT_EQ(acl_.Find("u")->ChannelsText(), "");
}

TEST_F(AclTest, ChannelPatternsLimitPublishAndSubscribe) {
  ASSERT_TRUE(Set("u", {"on", "+@all", "&news:*"}).ok());
  EXPECT_EQ(Run("u", {"publish", "news:1", "m"}), AclDenial::kNone);
  EXPECT_EQ(Run("u", {"publish", "other", "m"}), AclDenial::kChannel);
  EXPECT_EQ(Run("u", {"subscribe", "news:1", "other"}), AclDenial::kChannel);
  EXPECT_EQ(Run("u", {"ssubscribe", "news:1"}), AclDenial::kNone);  // not checked as a key
  // A PSUBSCRIBE pattern must be one of the user's patterns, literally.
  EXPECT_EQ(Run("u", {"psubscribe", "news:*"}), AclDenial::kNone);
  EXPECT_EQ(Run("u", {"psubscribe", "news:a*"}), AclDenial::kChannel);
  EXPECT_EQ(Run("u", {"unsubscribe", "other"}), AclDenial::kNone);
}

TEST_F(AclTest, SubcommandRules) {
  ASSERT_TRUE(Set("u", {"on", "+config|get"}).ok());
  EXPECT_EQ(Run("u", {"config", "get", "x"}), AclDenial::kNone);
  EXPECT_EQ(Run("u", {"config", "set", "x", "y"}), AclDenial::kCommand);
  ASSERT_TRUE(Set("u", {"+config"}).ok());
  EXPECT_EQ(Run("u", {"config", "set", "x", "y"}), AclDenial::kNone);
  ASSERT_TRUE(Set("u", {"-config|set"}).ok());
  EXPECT_EQ(Run("u", {"config", "set", "x", "y"}), AclDenial::kCommand);
  EXPECT_EQ(acl_.Find("u")->CommandsText(), "-@all +config|get +config -config|set");
}

TEST_F(AclTest, FirstArgRule) {
  ASSERT_TRUE(Set("u", {"on", "+select|0"}).ok());
  EXPECT_EQ(Run("u", {"select", "0"}), AclDenial::kNone);
  EXPECT_EQ(Run("u", {"select", "1"}), AclDenial::kCommand);
}

TEST_F(AclTest, RepeatedCommandRuleKeepsTheLastOne) {
  ASSERT_TRUE(Set("u", {"+get", "+set", "-get"}).ok());
  EXPECT_EQ(acl_.Find("u")->CommandsText(), "-@all +set -get");
  ASSERT_TRUE(Set("u", {"nocommands"}).ok());
  EXPECT_EQ(acl_.Find("u")->CommandsText(), "-@all");
  ASSERT_TRUE(Set("u", {"allcommands"}).ok());
  EXPECT_EQ(acl_.Find("u")->CommandsText(), "+@all");
}

TEST_F(AclTest, ResetClearsEverything) {
  ASSERT_TRUE(Set("u", {"on", ">pw", "~*", "&*", "+@all"}).ok());
  ASSERT_TRUE(Set("u", {"reset"}).ok());
  EXPECT_EQ(List("u"), "user u off sanitize-payload resetchannels -@all");
}

TEST_F(AclTest, NoAuthCommandsNeedNoPermission) {
  ASSERT_TRUE(Set("u", {"on", "nopass"}).ok());
  EXPECT_EQ(Run("u", {"auth", "u", "x"}), AclDenial::kNone);
  EXPECT_EQ(Run("u", {"ping"}), AclDenial::kCommand);
}

TEST_F(AclTest, DelUser) {
  ASSERT_TRUE(Set("u", {}).ok());
  EXPECT_TRUE(acl_.DelUser("u"));
  EXPECT_FALSE(acl_.DelUser("u"));
  EXPECT_EQ(acl_.Find("u"), nullptr);
}

TEST_F(AclTest, SetUserFromTextSplitsRules) {
  ASSERT_TRUE(acl_.SetUserFromText("u", "on  >pw ~pages:*\t+@read").ok());
  EXPECT_EQ(List("u"), "user u on #" + Sha256Hex("pw") + " ~pages:* resetchannels -@all +@read");
  EXPECT_EQ(acl_.SetUserFromText("v", "on bogus").message(),
            "Error in ACL SETUSER modifier 'bogus': Syntax error");
}

TEST_F(AclTest, CategoriesInRedisOrder) {
  const std::vector<std::string>& names = Acl::CategoryNames();
  ASSERT_EQ(names.size(), 21u);
  EXPECT_EQ(names.front(), "keyspace");
  EXPECT_EQ(names.back(), "scripting");
  EXPECT_EQ(Acl::CategoryBit("nosuch"), -1);
  EXPECT_EQ(Acl::CategoryBit("list"), kCatList);
  EXPECT_EQ(Acl::CategoryBit("sortedset"), kCatSortedSet);
  EXPECT_EQ(Acl::CategoryBit("geo"), 0);  // a category without commands yet
  EXPECT_EQ(Acl::CategoryBit("READ"), kCatRead);
}

TEST_F(AclTest, NewClientRunsAsDefault) {
  ClientState client(1, -1, "127.0.0.1:1", "127.0.0.1:2", false, 0);
  const Command* get = Table()->Find("get");
  std::vector<std::string_view> argv = {"get", "k"};
  EXPECT_EQ(acl_.Check(client, *get, argv).denial, AclDenial::kNone);
  ASSERT_NE(client.acl_user, nullptr);
  EXPECT_EQ(client.acl_user->name(), "default");
}

TEST_F(AclTest, ClientSnapshotFollowsSetUser) {
  ClientState client(1, -1, "127.0.0.1:1", "127.0.0.1:2", false, 0);
  ASSERT_TRUE(Set("u", {"on", "nopass", "~*", "+get"}).ok());
  acl_.SetClientUser(client, acl_.Find("u"));
  const Command* set = Table()->Find("set");
  std::vector<std::string_view> argv = {"set", "k", "v"};
  EXPECT_EQ(acl_.Check(client, *set, argv).denial, AclDenial::kCommand);
  ASSERT_TRUE(Set("u", {"+set"}).ok());
  EXPECT_EQ(acl_.Check(client, *set, argv).denial, AclDenial::kNone);
  EXPECT_EQ(client.user_name(), "u");
  acl_.DelUser("u");
  EXPECT_EQ(acl_.Check(client, *set, argv).denial, AclDenial::kCommand);
}

// Workers check commands while another thread rewrites the user: every check sees either
// the old or the new snapshot, never a torn one (run under TSan by `make tsan`).
TEST_F(AclTest, ThreadedChecksWhileSetUser) {
  ASSERT_TRUE(Set("u", {"on", "nopass", "~pages:*", "+get"}).ok());
  const Command* get = Table()->Find("get");
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; t++) {
    workers.emplace_back([&, t] {
      ClientState client(static_cast<uint64_t>(t + 1), -1, "a", "b", false, 0);
      acl_.SetClientUser(client, acl_.Find("u"));
      std::vector<std::string_view> ok = {"get", "pages:1"};
      std::vector<std::string_view> other = {"get", "other:1"};
      for (int i = 0; i < 20000 && !stop.load(); i++) {
        if (acl_.Check(client, *get, ok).denial != AclDenial::kNone) bad++;
        AclDenial d = acl_.Check(client, *get, other).denial;
        if (d != AclDenial::kKey && d != AclDenial::kNone) bad++;
      }
    });
  }
  for (int i = 0; i < 500; i++) {
    ASSERT_TRUE(Set("u", {i % 2 ? "~other:*" : "resetkeys", "~pages:*"}).ok());
  }
  stop = true;
  for (auto& w : workers) w.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace vellum::server
