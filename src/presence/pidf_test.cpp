// SPDX-License-Identifier: Apache-2.0
#include "presence/pidf.h"

#include <gtest/gtest.h>

namespace sb::presence {
namespace {

using A = Availability;
using T = Activity;

Presence presence(A a, T t) {
  Presence p;
  p.user_id = "u1";
  p.pair = {a, t};
  p.sequence = 3;
  return p;
}

TEST(PidfTest, GeneratedDocumentIsWellFormedPidf) {
  auto xml = toPidf(presence(A::Busy, T::InACall), "sip:alice@example.com");
  EXPECT_NE(xml.find("xmlns=\"urn:ietf:params:xml:ns:pidf\""), std::string::npos);
  EXPECT_NE(xml.find("<basic>open</basic>"), std::string::npos);
  EXPECT_NE(xml.find("<rpid:on-the-phone/>"), std::string::npos);
  auto doc = parsePidf(xml);
  ASSERT_TRUE(doc.has_value()) << doc.error().toString();
  EXPECT_EQ(doc->entity, "sip:alice@example.com");
  EXPECT_EQ(doc->basic, BasicStatus::Open);
  ASSERT_EQ(doc->activities.size(), 1u);
  EXPECT_EQ(doc->activities[0], "on-the-phone");
  ASSERT_FALSE(doc->notes.empty());
  EXPECT_EQ(doc->notes[0], "Busy - InACall");
}

TEST(PidfTest, OfflineIsClosedAndClearsTheSession) {
  auto doc = parsePidf(toPidf(presence(A::Offline, T::Offline), "sip:bob@example.com"));
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->basic, BasicStatus::Closed);
  auto pair = pairFromPidf(*doc);
  ASSERT_TRUE(pair.has_value());
  EXPECT_FALSE(pair->has_value());
}

TEST(PidfTest, RoundTripOfEveryOpenInternalPair) {
  const PresencePair pairs[] = {
      {A::Available, T::Available},       {A::Busy, T::InACall},
      {A::Busy, T::InAConferenceCall},    {A::Away, T::Away},
      {A::DoNotDisturb, T::Presenting},   {A::Busy, T::Busy},
      {A::DoNotDisturb, T::DoNotDisturb}, {A::BeRightBack, T::BeRightBack},
      {A::Busy, T::InAMeeting},
  };
  for (auto p : pairs) {
    ASSERT_TRUE(isInternalPair(p));
    auto doc = parsePidf(toPidf(presence(p.availability, p.activity), "sip:a@b"));
    ASSERT_TRUE(doc.has_value());
    auto back = pairFromPidf(*doc);
    ASSERT_TRUE(back.has_value() && back->has_value()) << toString(p.activity);
    EXPECT_EQ(**back, p) << toString(p.availability) << "/" << toString(p.activity);
  }
}

TEST(PidfTest, IdleAndEscaping) {
  auto p = presence(A::Available, T::AvailableInactive);
  p.status_message = StatusMessage{.content = "Tom & Jerry <3"};
  auto xml = toPidf(p, "sip:a&b@example.com");
  auto doc = parsePidf(xml);
  ASSERT_TRUE(doc.has_value()) << doc.error().toString();
  EXPECT_TRUE(doc->idle);
  EXPECT_EQ(doc->entity, "sip:a&b@example.com");
  EXPECT_EQ(doc->notes[0], "Available - AvailableInactive: Tom & Jerry <3");
}

// RFC 4480 style body with unusual prefixes: the default namespace is not PIDF; the PIDF
// elements use "p:", RPID uses "r:", the data model "d:".
TEST(PidfTest, ParsesAnyNamespacePrefixes) {
  const char* body = R"(<?xml version='1.0' encoding='UTF-8'?>
<!-- sent by a desk phone -->
<p:presence xmlns:p='urn:ietf:params:xml:ns:pidf' xmlns:r="urn:ietf:params:xml:ns:pidf:rpid"
    xmlns:d="urn:ietf:params:xml:ns:pidf:data-model" xmlns="urn:example:other"
    entity="pres:someone@example.com">
  <p:tuple id="t1"><p:status><p:basic>open</p:basic></p:status>
    <p:note xml:lang="en">On the phone &amp; busy</p:note></p:tuple>
  <d:person id="x"><r:activities><r:on-the-phone/><r:busy/></r:activities></d:person>
  <foo>ignored<bar/></foo>
</p:presence>)";
  auto doc = parsePidf(body);
  ASSERT_TRUE(doc.has_value()) << doc.error().toString();
  EXPECT_EQ(doc->entity, "pres:someone@example.com");
  EXPECT_EQ(doc->basic, BasicStatus::Open);
  EXPECT_EQ(doc->notes.at(0), "On the phone & busy");
  EXPECT_EQ(doc->activities.size(), 2u);
  EXPECT_EQ(**pairFromPidf(*doc), (PresencePair{A::Busy, T::InACall}));
}

TEST(PidfTest, ParsesDefaultNamespaceAndRedeclaredPrefixes) {
  // RPID placed directly in the tuple, prefix "rpid" redeclared on a child, CDATA note.
  const char* body =
      "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:x@y\">"
      "<tuple id=\"a\"><status><basic>closed</basic></status></tuple>"
      "<tuple id=\"b\"><status><basic>open</basic></status>"
      "<e:activities xmlns:e=\"urn:ietf:params:xml:ns:pidf:rpid\"><e:away/></e:activities>"
      "<note><![CDATA[gone <fishing>]]></note></tuple></presence>";
  auto doc = parsePidf(body);
  ASSERT_TRUE(doc.has_value()) << doc.error().toString();
  EXPECT_EQ(doc->basic, BasicStatus::Open);  // any open tuple makes the entity open
  EXPECT_EQ(doc->notes.at(0), "gone <fishing>");
  EXPECT_EQ(**pairFromPidf(*doc), (PresencePair{A::Away, T::Away}));
}

TEST(PidfTest, SameLocalNamesInOtherNamespacesAreIgnored) {
  const char* body =
      "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" xmlns:x=\"urn:example:x\" entity=\"sip:x@y\">"
      "<tuple id=\"a\"><status><basic>open</basic><x:basic>closed</x:basic></status>"
      "<x:activities><x:on-the-phone/></x:activities></tuple></presence>";
  auto doc = parsePidf(body);
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->basic, BasicStatus::Open);
  EXPECT_TRUE(doc->activities.empty());
  EXPECT_EQ(**pairFromPidf(*doc), (PresencePair{A::Available, T::Available}));
}

TEST(PidfTest, CharacterReferences) {
  const char* body =
      "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:x@y'><tuple id='a'>"
      "<status><basic>open</basic></status><note>caf&#233; &#x263A;</note></tuple></presence>";
  auto doc = parsePidf(body);
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(doc->notes.at(0), "caf\xC3\xA9 \xE2\x98\xBA");
}

TEST(PidfTest, DoNotDisturbNoteFromPhones) {
  const char* body =
      "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:x@y'><tuple id='a'>"
      "<status><basic>open</basic></status><note>Do Not Disturb</note></tuple></presence>";
  EXPECT_EQ(**pairFromPidf(*parsePidf(body)), (PresencePair{A::DoNotDisturb, T::DoNotDisturb}));
}

TEST(PidfTest, NoStatusAndNoActivityIsAnError) {
  const char* body = "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='sip:x@y'/>";
  auto doc = parsePidf(body);
  ASSERT_TRUE(doc.has_value());
  EXPECT_FALSE(pairFromPidf(*doc).has_value());
}

TEST(PidfTest, RejectsMalformedXml) {
  const char* bad[] = {
      "",
      "not xml",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'></presenc>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'><tuple></presence>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity=x/>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf' entity='x' entity='y'/>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'>&nbsp;</presence>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'>&#0;</presence>",
      "<p:presence xmlns='urn:ietf:params:xml:ns:pidf'/>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'/><second/>",
      "<!DOCTYPE presence [<!ENTITY a 'b'>]><presence xmlns='urn:ietf:params:xml:ns:pidf'/>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'><!-- unterminated </presence>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'><![CDATA[x</presence>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf' a='<'/>",
      "<presence xmlns='urn:ietf:params:xml:ns:pidf'entity='x'/>",
      "<presence xmlns:='urn:x'/>",
  };
  for (const char* b : bad) {
    auto r = parsePidf(b);
    ASSERT_FALSE(r.has_value()) << b;
    EXPECT_EQ(r.error().code, Errc::InvalidArgument) << b;
    EXPECT_EQ(r.error().field, "body") << b;
  }
  // Well-formed but not PIDF.
  auto other = parsePidf("<presence xmlns='urn:example'/>");
  ASSERT_FALSE(other.has_value());
  EXPECT_NE(other.error().message.find("root element"), std::string::npos);
}

TEST(PidfTest, RejectsDeepNestingAndHugeBodies) {
  std::string deep = "<presence xmlns='urn:ietf:params:xml:ns:pidf'>";
  for (int i = 0; i < 100; ++i) deep += "<a>";
  for (int i = 0; i < 100; ++i) deep += "</a>";
  deep += "</presence>";
  EXPECT_FALSE(parsePidf(deep).has_value());
  std::string huge = "<presence xmlns='urn:ietf:params:xml:ns:pidf'><note>" +
                     std::string(kMaxPidfBytes, 'x') + "</note></presence>";
  EXPECT_FALSE(parsePidf(huge).has_value());
}

TEST(PidfTest, TruncationsNeverCrash) {
  auto xml = toPidf(presence(A::DoNotDisturb, T::Presenting), "sip:alice@example.com");
  for (size_t n = 0; n < xml.size(); ++n) {
    auto r = parsePidf(std::string_view(xml).substr(0, n));
    // Only cuts inside the trailing whitespace may still parse.
    if (r.has_value()) {
      EXPECT_GE(n, xml.rfind('>'));
    }
  }
}

TEST(PidfTest, DeterministicMutationsNeverCrash) {
  // Byte flips, drops and markup insertions over a valid document: every result is either a
  // document or an InvalidArgument error (ASan builds check memory safety).
  const std::string xml = toPidf(presence(A::Busy, T::InAConferenceCall), "sip:alice@example.com");
  const char kInserts[] = "<>&;'\"/:=![]?#x";
  uint32_t state = 12345;
  auto next = [&] {
    state = state * 1664525u + 1013904223u;
    return state >> 8;
  };
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string m = xml;
    for (int k = 0; k < 1 + static_cast<int>(next() % 4); ++k) {
      size_t pos = next() % m.size();
      switch (next() % 3) {
        case 0: m[pos] = static_cast<char>(next() & 0xFF); break;
        case 1: m.erase(pos, 1 + next() % 8); break;
        default: m.insert(pos, 1, kInserts[next() % (sizeof kInserts - 1)]); break;
      }
      if (m.empty()) m = "<";
    }
    auto r = parsePidf(m);
    if (r.has_value()) {
      ++parsed;
      (void)pairFromPidf(*r);
    } else {
      EXPECT_EQ(r.error().code, Errc::InvalidArgument);
    }
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace sb::presence
