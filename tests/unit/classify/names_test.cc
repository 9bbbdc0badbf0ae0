// PERSON and LOCATION (names.cc, patterns_names.cc): the span of every rule (title and naming
// phrase left out), and no finding for product names, sentence-initial words, headings, code,
// German nouns and dates.
#include <algorithm>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "classify/gazetteer.h"
#include "cordon/classify/classifier.h"
#include "scan_fixture.h"

namespace cordon::classify {
namespace {

struct Case {
  std::string_view text;
  /// The PERSON / LOCATION findings in order, "TYPE:bytes" joined by '|'; empty for none.
  std::string_view expected;
};

class NamesTest : public ScanTest {
protected:
  std::string names(std::string_view text) {
    std::vector<Finding> out;
    EXPECT_TRUE(classifier_->scan(text, *scratch_, out).has_value());
    std::string found;
    for (const Finding& f : out) {
      if (f.type != "PERSON" && f.type != "LOCATION") {
        continue;
      }
      if (!found.empty()) {
        found += '|';
      }
      found += std::string(f.type) + ":" + std::string(text.substr(f.start, f.end - f.start));
    }
    return found;
  }
};

constexpr Case kFound[] = {
    // Rule 1: a title, left out of the span.
    {"Mr. May", "PERSON:May"},
    {"Please ask Dr. Anna Weber about it.", "PERSON:Anna Weber"},
    {"Sehr geehrte Frau Müller,", "PERSON:Müller"},
    {"Prof. Dr. Hans Meier spoke first.", "PERSON:Hans Meier"},
    {"Mme Ødegaard a répondu.", "PERSON:Ødegaard"},
    {"Dear Mr Smith, thanks.", "PERSON:Smith"},
    {"Sra. García llamó.", "PERSON:García"},
    // Rule 2: a given name from the gazetteer and a surname.
    {"Dan May has a bank account.", "PERSON:Dan May"},
    {"Given the personal profile of Johnathan Edward Doe:", "PERSON:Johnathan Edward Doe"},
    {"I met Anna K. Schmidt yesterday.", "PERSON:Anna K. Schmidt"},
    {"Jean-Luc Picard commands.", "PERSON:Jean-Luc Picard"},
    {"Contact Sarah O'Brien today.", "PERSON:Sarah O'Brien"},
    {"Kind regards from Peter van Dyke.", "PERSON:Peter van Dyke"},
    {"Will Smith's new film.", "PERSON:Will Smith"},
    {"Kate's social security number", "PERSON:Kate"},
    // Rule 3: a naming phrase, left out of the span (a title after a strong one is kept).
    {"Name is John Doe. My email", "PERSON:John Doe"},
    {"his name is Mr. May", "PERSON:Mr. May"},
    {"Full Name: Johnathan Edward Doe.", "PERSON:Johnathan Edward Doe"},
    {"My name is Xiaoming Zhu.", "PERSON:Xiaoming Zhu"},
    {"Ich heiße Jürgen Klinsmann.", "PERSON:Jürgen Klinsmann"},
    {"Je m'appelle Océane Lefèvre.", "PERSON:Océane Lefèvre"},
    {"Me llamo Lucía Fernández.", "PERSON:Lucía Fernández"},
    {"Ansprechpartner: Herr Dr. Weber", "PERSON:Herr Dr. Weber"},
    {"Hi Anna, the report is ready.", "PERSON:Anna"},
    {"a developer called Peter", "PERSON:Peter"},
    // Rule 4: the line after a closing.
    {"See you soon.\n\nBest regards,\nAnna Schmidt\n", "PERSON:Anna Schmidt"},
    {"Cheers,\nTom", "PERSON:Tom"},
    {"Mit freundlichen Grüßen\nKlaus Wölfle", "PERSON:Klaus Wölfle"},
    {"Cordialement,\nMarie Dubois", "PERSON:Marie Dubois"},
    {"Regards,\nJ. R. Hartley", "PERSON:J. R. Hartley"},
    // LOCATION: a place after a place preposition.
    {"I live in Berlin and work from New York.", "LOCATION:Berlin|LOCATION:New York"},
    {"The company is based in Germany.", "LOCATION:Germany"},
    {"We ship to the United Kingdom.", "LOCATION:United Kingdom"},
    {"Wir fahren nach Madrid.", "LOCATION:Madrid"},
    {"Il habite à Paris.", "LOCATION:Paris"},
    {"She moved to Jordan last year.", "LOCATION:Jordan"},
    {"Country: Canada", "LOCATION:Canada"},
};

constexpr Case kNotFound[] = {
    // Product and company names.
    {"Microsoft Teams and Apple Pay are supported.", {}},
    {"Deploy it with Google Cloud Run.", {}},
    // Sentence-initial ordinary words that are also given names.
    {"May I ask a question?", {}},
    {"Will Microsoft release it?", {}},
    {"Mark Complete when done.", {}},
    {"Grant Access to the bucket.", {}},
    {"Bill Payment is due.", {}},
    // Headings and title case.
    {"## Release Notes\n\nNew Features", {}},
    {"Chapter Overview And Table Of Contents", {}},
    // Code identifiers.
    {"class AnnaSchmidt { JohnDoe john_doe; };", {}},
    {"user.John_Doe = Anna.Smith()", {}},
    {"const PeterParker = new Anna_Smith();", {}},
    // German nouns are capitalised.
    {"Die Rechnung wurde am Montag bezahlt. Frank Fragen beantworten wir gern.", {}},
    {"Das Konto Nummer steht in der Tabelle.", {}},
    // Month and weekday names.
    {"Released in May 2024 and June 2025.", {}},
    {"Anna Monday meeting", {}},
    // Street and organisation names.
    {"Office at John Doe Street 5.", {}},
    {"Anna Schmidt GmbH invoices", {}},
    {"51 Franklin St, Fifth Floor", {}},
    // A place without a preposition, a place inside a longer name, a given name as a place.
    {"Germany won the match.", {}},
    {"I read it in New York Times.", {}},
    {"Send it to Victoria tomorrow.", {}},
    // Closings followed by a team, not a person.
    {"Thanks,\nThe Support Team", {}},
    {"Best,\nAdmin", {}},
    // A naming phrase followed by something that is no given name.
    {"a function called Process handles it", {}},
    {"Name: Widget Pro", {}},
    {"username is Admin", {}},
};

TEST_F(NamesTest, FindsNamesAndPlaces) {
  for (const Case& c : kFound) {
    EXPECT_EQ(names(c.text), c.expected) << c.text;
  }
}

TEST_F(NamesTest, IgnoresWhatIsNoName) {
  for (const Case& c : kNotFound) {
    EXPECT_EQ(names(c.text), "") << c.text;
  }
}

TEST(GazetteerTest, IsSortedAndMarksOrdinaryWords) {
  const auto given = givenNames();
  const auto places = placeNames();
  ASSERT_GT(given.size(), 1000U);
  ASSERT_GT(places.size(), 300U);
  const auto by_name = [](const GazetteerEntry& a, const GazetteerEntry& b) {
    return a.name < b.name;
  };
  EXPECT_TRUE(std::is_sorted(given.begin(), given.end(), by_name));
  EXPECT_TRUE(std::is_sorted(places.begin(), places.end(), by_name));
  const auto find = [](std::span<const GazetteerEntry> table, std::string_view name) {
    for (const GazetteerEntry& e : table) {
      if (e.name == name) {
        return &e;
      }
    }
    return static_cast<const GazetteerEntry*>(nullptr);
  };
  ASSERT_NE(find(given, "Anna"), nullptr);
  EXPECT_FALSE(find(given, "Anna")->ambiguous);
  ASSERT_NE(find(given, "Mark"), nullptr);
  EXPECT_TRUE(find(given, "Mark")->ambiguous);
  ASSERT_NE(find(given, "Will"), nullptr);
  EXPECT_TRUE(find(given, "Will")->ambiguous);
  EXPECT_NE(find(places, "Germany"), nullptr);
  EXPECT_NE(find(places, "United Kingdom"), nullptr);
  EXPECT_NE(find(places, "Korea"), nullptr);
  EXPECT_EQ(find(given, "The"), nullptr);
}

} // namespace
} // namespace cordon::classify
