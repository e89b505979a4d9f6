// The on-disk format (storage/FORMAT.md): encodings round-trip, sort as the loader and the
// compaction filter expect, and malformed bytes are refused rather than misread.
#include "storage/codec.h"

#include <gtest/gtest.h>

#include <string>

namespace vellum::storage::codec {
namespace {

TEST(CodecTest, MetaKeyRoundTrips) {
  std::string raw = MetaKey(3, std::string("a\0b", 3));
  uint8_t pdb = 0;
  std::string_view key;
  ASSERT_TRUE(ParseMetaKey(raw, &pdb, &key));
  EXPECT_EQ(pdb, 3);
  EXPECT_EQ(key, std::string("a\0b", 3));
}

TEST(CodecTest, MetaKeyRejectsBadLengthAndDb) {
  uint8_t pdb;
  std::string_view key;
  std::string raw = MetaKey(1, "abc");
  EXPECT_FALSE(ParseMetaKey(raw.substr(0, raw.size() - 1), &pdb, &key));
  EXPECT_FALSE(ParseMetaKey(raw + "x", &pdb, &key));
  EXPECT_FALSE(ParseMetaKey(MetaKey(16, "abc"), &pdb, &key));
  EXPECT_FALSE(ParseMetaKey("", &pdb, &key));
}

TEST(CodecTest, SubKeysOfOneKeySortBetweenItsMetaKeyAndTheNext) {
  // "a" and "ab": without the length prefix, a's sub keys and ab's meta key would interleave.
  std::string meta_a = MetaKey(0, "a"), meta_ab = MetaKey(0, "ab"), meta_b = MetaKey(0, "b");
  std::string sub_a = SubKey(0, "a", 7, "zzzz");
  EXPECT_LT(meta_a, sub_a);
  EXPECT_LT(sub_a, meta_b);
  EXPECT_LT(SubKey(0, "b", 1, "f"), meta_ab);  // shorter keys first, then bytes
  EXPECT_TRUE(sub_a.starts_with(meta_a));
  EXPECT_FALSE(SubKey(0, "ab", 7, "f").starts_with(SubPrefix(0, "a", 7)));
}

TEST(CodecTest, SubKeyRoundTrips) {
  std::string raw = SubKey(2, "user:1", 0x0102030405060708ULL, "field");
  std::string_view meta_key, field;
  uint64_t version = 0;
  ASSERT_TRUE(ParseSubKey(raw, &meta_key, &version, &field));
  EXPECT_EQ(meta_key, MetaKey(2, "user:1"));
  EXPECT_EQ(version, 0x0102030405060708ULL);
  EXPECT_EQ(field, "field");
  EXPECT_FALSE(ParseSubKey(MetaKey(2, "user:1") + "1234567", &meta_key, &version, &field));
}

TEST(CodecTest, VersionsSortNumerically) {
  EXPECT_LT(SubPrefix(0, "k", 255), SubPrefix(0, "k", 256));
}

TEST(CodecTest, DbRangesCoverOnlyTheirDb) {
  EXPECT_LE(DbBegin(4), MetaKey(4, ""));
  EXPECT_LT(MetaKey(4, std::string(300, '\xff')), DbEnd(4));
  EXPECT_LE(DbEnd(4), MetaKey(5, ""));
  EXPECT_LT(MetaKey(3, std::string(300, '\xff')), DbBegin(4));
}

TEST(CodecTest, StringMetaRoundTrips) {
  std::string raw;
  EncodeStringMeta(&raw, 1234567890123, "<html>");
  Meta m;
  ASSERT_TRUE(DecodeMeta(raw, &m).ok());
  EXPECT_EQ(m.type, DiskType::kString);
  EXPECT_EQ(m.expire_at_ms, 1234567890123);
  EXPECT_EQ(m.payload, "<html>");
  int64_t at = 0;
  ASSERT_TRUE(PeekExpire(raw, &at));
  EXPECT_EQ(at, 1234567890123);
}

TEST(CodecTest, StringMetaHeaderIsTheStartOfTheWholeEncoding) {
  std::string whole;
  EncodeStringMeta(&whole, 987654321, "page");
  char header[kStringMetaHeaderSize];
  EncodeStringMetaHeader(header, 987654321);
  EXPECT_EQ(std::string(header, sizeof(header)) + "page", whole);
}

TEST(CodecTest, CollectionMetaRoundTrips) {
  std::string raw;
  EncodeCollectionMeta(&raw, DiskType::kSet, 0, 42);
  Meta m;
  ASSERT_TRUE(DecodeMeta(raw, &m).ok());
  EXPECT_EQ(m.type, DiskType::kSet);
  EXPECT_EQ(m.expire_at_ms, 0);
  EXPECT_EQ(m.version, 42u);
}

TEST(CodecTest, MalformedMetaIsRefused) {
  Meta m;
  EXPECT_FALSE(DecodeMeta("", &m).ok());
  EXPECT_FALSE(DecodeMeta(std::string("\x01", 1), &m).ok());
  std::string raw;
  EncodeCollectionMeta(&raw, DiskType::kHash, 0, 1);
  EXPECT_FALSE(DecodeMeta(raw + "x", &m).ok());  // a collection's body is exactly 8 bytes
  raw[0] = 99;
  EXPECT_NE(DecodeMeta(raw, &m).message().find("unknown type 99"), std::string::npos);
  EncodeStringMeta(&raw, -5, "v");
  EXPECT_FALSE(DecodeMeta(raw, &m).ok());
}

TEST(CodecTest, DbMapMustBeAPermutation) {
  uint8_t map[kNumPhysicalDbs];
  for (int i = 0; i < kNumPhysicalDbs; i++) map[i] = static_cast<uint8_t>(kNumPhysicalDbs - 1 - i);
  uint8_t back[kNumPhysicalDbs];
  ASSERT_TRUE(DecodeDbMap(EncodeDbMap(map), back).ok());
  EXPECT_EQ(back[0], 15);
  std::string bad = EncodeDbMap(map);
  bad[1] = bad[0];
  EXPECT_FALSE(DecodeDbMap(bad, back).ok());
  EXPECT_FALSE(DecodeDbMap(bad.substr(1), back).ok());
}

}  // namespace
}  // namespace vellum::storage::codec
