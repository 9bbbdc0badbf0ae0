#include "classify/names.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "classify/gazetteer.h"

namespace cordon::classify {
namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);
constexpr int kMaxNameWords = 3;

// Honorifics, matched case-sensitively, with or without a '.'.
constexpr auto kTitles =
    std::to_array<std::string_view>({"Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Sir", "Dame",
                                     "Herr", "Frau", "Mme", "Mlle", "Sr", "Sra", "Dott"});

// Naming phrases, in lower case (matched ASCII-caselessly). After a strong one any capitalised
// words are the name, and a title right after it belongs to the name as stated ("his name is
// Mr. May"). A weak one ("called", "I am") also introduces things, so its first word must be a
// known given name or a title.
constexpr auto kStrongTriggers = std::to_array<std::string_view>({"my name is",
                                                                  "name is",
                                                                  "full name:",
                                                                  "full name is",
                                                                  "contact person:",
                                                                  "contact person is",
                                                                  "ansprechpartner:",
                                                                  "ansprechpartnerin:",
                                                                  "mein name ist",
                                                                  "ich hei\xc3\x9f"
                                                                  "e",
                                                                  "ich heisse",
                                                                  "je m'appelle",
                                                                  "mon nom est",
                                                                  "me llamo",
                                                                  "mi nombre es",
                                                                  "mi chiamo",
                                                                  "mijn naam is",
                                                                  "ik heet",
                                                                  "jag heter",
                                                                  "mitt namn \xc3\xa4r",
                                                                  "nom complet:",
                                                                  "nombre completo:",
                                                                  "vollst\xc3\xa4ndiger name:",
                                                                  "naam:"});
constexpr auto kWeakTriggers = std::to_array<std::string_view>(
    {"i am", "i'm", "called", "named", "call me", "name:", "dear", "je suis", "ich bin", "soy",
     "sono", "ik ben", "jag \xc3\xa4r", "hello", "hi", "hallo", "bonjour"});

// A letter's closing line, in lower case; the name is the next line.
constexpr auto kClosings = std::to_array<std::string_view>({"regards",
                                                            "best regards",
                                                            "kind regards",
                                                            "warm regards",
                                                            "warmest regards",
                                                            "many thanks",
                                                            "best wishes",
                                                            "best",
                                                            "sincerely",
                                                            "yours sincerely",
                                                            "sincerely yours",
                                                            "yours truly",
                                                            "yours faithfully",
                                                            "thanks",
                                                            "thank you",
                                                            "cheers",
                                                            "mit freundlichen gr\xc3\xbc\xc3\x9f"
                                                            "en",
                                                            "freundliche gr\xc3\xbc\xc3\x9f"
                                                            "e",
                                                            "viele gr\xc3\xbc\xc3\x9f"
                                                            "e",
                                                            "beste gr\xc3\xbc\xc3\x9f"
                                                            "e",
                                                            "liebe gr\xc3\xbc\xc3\x9f"
                                                            "e",
                                                            "gru\xc3\x9f",
                                                            "cordialement",
                                                            "bien cordialement",
                                                            "salutations",
                                                            "saludos",
                                                            "un saludo",
                                                            "saludos cordiales",
                                                            "atentamente",
                                                            "met vriendelijke groet",
                                                            "vriendelijke groet",
                                                            "groeten",
                                                            "cordiali saluti",
                                                            "distinti saluti",
                                                            "med v\xc3\xa4nliga h\xc3\xa4lsningar",
                                                            "v\xc3\xa4nliga h\xc3\xa4lsningar",
                                                            "h\xc3\xa4lsningar"});

// Place prepositions (lower case, ASCII-caseless) that make a following place name a location.
constexpr auto kPlaceCues = std::to_array<std::string_view>(
    {"in", "from", "to", "near", "at", "via", "aus", "nach", "en", "\xc3\xa0", "de", "desde", "uit",
     "naar", "fr\xc3\xa5n", "till", "i"});
// Phrases and form labels after which even a place that is also a given name is a place.
constexpr auto kStrongPlaceCues = std::to_array<std::string_view>(
    {"city of", "capital of", "country:", "city:", "location:", "address:", "land:", "ort:",
     "stadt:", "pays:", "ville:", "pa\xc3\xads:", "ciudad:", "paese:", "citt\xc3\xa0:"});

// Words just before the preposition that make a place that is also a given name a location
// ("lives in Victoria", not "send it to Victoria").
constexpr auto kStrongPlaceVerbs = std::to_array<std::string_view>(
    {"based",     "located",   "live",          "lives",    "living",   "lived",  "born",
     "moved",     "relocated", "headquartered", "resident", "residing", "travel", "travelling",
     "traveling", "travelled", "traveled",      "flew",     "flight",   "trip",   "wohnt",
     "wohne",     "lebe",      "lebt",          "geboren",  "vive",     "habite", "woont"});

// Capitalised words that are not part of a person's name: function words of the scanner's
// languages, weekdays, months that are not also given names, and the role, organisation and
// document words that follow a given name in business text ("Anna Support", "Grace Period").
constexpr auto kStopWords = [] {
  auto words = std::to_array<std::string_view>({"A",          "About",       "Above",
                                                "Academy",    "Access",      "Account",
                                                "Action",     "Admin",       "Administrator",
                                                "After",      "Against",     "Agency",
                                                "All",        "Also",        "Am",
                                                "An",         "Analyst",     "And",
                                                "Any",        "Api",         "Are",
                                                "As",         "Assistant",   "Associate",
                                                "At",         "Au",          "Aux",
                                                "Avec",       "Bank",        "Basic",
                                                "Be",         "Before",      "Bei",
                                                "Best",       "Between",     "Board",
                                                "Build",      "But",         "By",
                                                "Can",        "Center",      "Centre",
                                                "Chapter",    "Client",      "Cloud",
                                                "Code",       "Con",         "Consultant",
                                                "Could",      "Council",     "Customer",
                                                "Dans",       "Das",         "Data",
                                                "Date",       "Dear",        "Dec",
                                                "December",   "Del",         "Della",
                                                "Dem",        "Den",         "Department",
                                                "Der",        "Des",         "Design",
                                                "Designer",   "Desk",        "Det",
                                                "Developer",  "Development", "Dezember",
                                                "Di",         "Die",         "Dienstag",
                                                "Director",   "Division",    "Do",
                                                "Docs",       "Du",          "During",
                                                "Each",       "Edition",     "Ein",
                                                "Eine",       "El",          "Email",
                                                "En",         "Engineer",    "Engineering",
                                                "Enterprise", "Et",          "Every",
                                                "Executive",  "Feb",         "Februar",
                                                "February",   "Figure",      "Finance",
                                                "First",      "For",         "Free",
                                                "Freitag",    "Friday",      "From",
                                                "Fwd",        "Für",         "Government",
                                                "Guide",      "Had",         "Has",
                                                "Have",       "He",          "Head",
                                                "Hello",      "Her",         "Het",
                                                "Hi",         "His",         "Human",
                                                "If",         "Il",          "Im",
                                                "In",         "Inc",         "Into",
                                                "Is",         "It",          "Its",
                                                "Jan",        "Januar",      "January",
                                                "Jul",        "Juli",        "July",
                                                "Junior",     "La",          "Las",
                                                "Last",       "Le",          "Lead",
                                                "Legal",      "Les",         "Lo",
                                                "Los",        "Ltd",         "Mai",
                                                "Management", "Manager",     "Mar",
                                                "March",      "Marketing",   "Member",
                                                "Mit",        "Mittwoch",    "Mon",
                                                "Monday",     "Montag",      "More",
                                                "My",         "Name",        "New",
                                                "Next",       "No",          "Not",
                                                "Note",       "Notes",       "Nov",
                                                "November",   "Number",      "Och",
                                                "Oct",        "October",     "Oder",
                                                "Of",         "Office",      "Officer",
                                                "Oktober",    "On",          "Online",
                                                "Open",       "Operations",  "Operator",
                                                "Or",         "Order",       "Ou",
                                                "Our",        "Over",        "Overview",
                                                "Par",        "Para",        "Please",
                                                "Por",        "Pour",        "Premium",
                                                "President",  "Pro",         "Product",
                                                "Program",    "Programme",   "Project",
                                                "Re",         "Release",     "Report",
                                                "Research",   "Resources",   "Sales",
                                                "Samstag",    "Saturday",    "Section",
                                                "Security",   "See",         "Senior",
                                                "Sep",        "Sept",        "September",
                                                "Server",     "Service",     "Services",
                                                "She",        "Should",      "Since",
                                                "Some",       "Sonntag",     "Specialist",
                                                "Staff",      "Standard",    "Status",
                                                "Subject",    "Sunday",      "Support",
                                                "Sur",        "System",      "Table",
                                                "Team",       "Technical",   "Technology",
                                                "Than",       "Thanks",      "That",
                                                "The",        "Their",       "Then",
                                                "There",      "These",       "They",
                                                "This",       "Those",       "Thursday",
                                                "To",         "Total",       "Tuesday",
                                                "Type",       "Un",          "Una",
                                                "Und",        "Une",         "Unit",
                                                "Until",      "Update",      "User",
                                                "Users",      "Version",     "Vice",
                                                "Von",        "Was",         "We",
                                                "Web",        "Wednesday",   "Were",
                                                "What",       "When",        "Where",
                                                "Which",      "Who",         "With",
                                                "Without",    "Would",       "Yes",
                                                "You",        "Your",        "Zum",
                                                "Zur"});
  std::ranges::sort(words);
  return words;
}();

// Words after a name that make the whole phrase a place or an organisation ("John Doe Street",
// "Anna Schmidt GmbH").
constexpr auto kNameSuffixes = [] {
  auto words = std::to_array<std::string_view>({"AB",
                                                "AG",
                                                "Airport",
                                                "Allee",
                                                "Ave",
                                                "Avenue",
                                                "Award",
                                                "BV",
                                                "Blvd",
                                                "Boulevard",
                                                "Bridge",
                                                "Building",
                                                "Centre",
                                                "Center",
                                                "Church",
                                                "Clinic",
                                                "Co",
                                                "College",
                                                "Company",
                                                "Corp",
                                                "Corporation",
                                                "Court",
                                                "Drive",
                                                "Foundation",
                                                "Fund",
                                                "Gasse",
                                                "GmbH",
                                                "Group",
                                                "Holding",
                                                "Holdings",
                                                "Hospital",
                                                "Hotel",
                                                "Inc",
                                                "Institute",
                                                "KG",
                                                "LLC",
                                                "LLP",
                                                "Lab",
                                                "Labs",
                                                "Library",
                                                "Ltd",
                                                "Memorial",
                                                "Museum",
                                                "NV",
                                                "Partners",
                                                "Place",
                                                "Platz",
                                                "Plaza",
                                                "Prize",
                                                "Rd",
                                                "Road",
                                                "SA",
                                                "School",
                                                "Square",
                                                "St",
                                                "Station",
                                                "Strasse",
                                                "Stra\xc3\x9f"
                                                "e",
                                                "Street",
                                                "Studio",
                                                "Trust",
                                                "University",
                                                "Way"});
  std::ranges::sort(words);
  return words;
}();

// Lower-case particles of surnames, allowed between capitalised words.
constexpr auto kParticles = std::to_array<std::string_view>(
    {"van",   "von", "de",  "der", "den", "da", "di",  "du",  "la", "le", "del",
     "della", "dos", "das", "ter", "ten", "zu", "bin", "ibn", "al", "el"});

/// A word of at most seven bytes as one integer: its bytes, and its length in the top byte.
constexpr std::uint64_t packedWord(std::string_view word) noexcept {
  std::uint64_t packed = std::uint64_t{word.size()} << 56U;
  for (std::size_t i = 0; i < word.size() && i < 7; ++i) {
    packed |= std::uint64_t{static_cast<unsigned char>(word[i])} << (8U * i);
  }
  return packed;
}

/// kParticles packed: the capitalised-pair pass asks for every short lower-case word before a
/// capital, and comparing integers beats comparing strings there.
constexpr auto kPackedParticles = [] {
  std::array<std::uint64_t, kParticles.size()> packed{};
  for (std::size_t i = 0; i < kParticles.size(); ++i) {
    packed[i] = packedWord(kParticles[i]);
  }
  return packed;
}();

static_assert(std::all_of(kParticles.begin(), kParticles.end(),
                          [](std::string_view particle) { return particle.size() <= 7; }));

bool isParticle(std::string_view word) noexcept {
  if (word.size() > 7) {
    return false;
  }
  const std::uint64_t packed = packedWord(word);
  return std::find(kPackedParticles.begin(), kPackedParticles.end(), packed) !=
         kPackedParticles.end();
}

// "’s": the right single quotation mark in UTF-8, then 's'.
constexpr std::string_view kRightQuoteS = "\xE2\x80\x99s";

// Months that are also given names end a name only before a day or a year ("May 2024").
constexpr auto kNameMonths = std::to_array<std::string_view>({"April", "August", "June", "May"});

// The word lists and gazetteers are looked up in flat hash tables, not by binary search: a
// gateway scans a request's few kilobytes with cold caches, and a binary search over a thousand
// names touches a dozen entries and their strings, a hash lookup one slot group and one string.
using WordSet = boost::unordered_flat_set<std::string_view, std::hash<std::string_view>>;
using EntryMap =
    boost::unordered_flat_map<std::string_view, const GazetteerEntry*, std::hash<std::string_view>>;

WordSet wordSet(std::span<const std::string_view> words) {
  return WordSet(words.begin(), words.end());
}

/// Name -> its first entry in `table` (the one a binary search would find).
EntryMap entryMap(std::span<const GazetteerEntry> table) {
  EntryMap map;
  map.reserve(table.size());
  for (const GazetteerEntry& entry : table) {
    map.emplace(entry.name, &entry);
  }
  return map;
}

bool contains(const WordSet& words, std::string_view word) noexcept {
  return words.contains(word);
}

const GazetteerEntry* lookup(const EntryMap& table, std::string_view name) noexcept {
  const auto it = table.find(name);
  return it != table.end() ? it->second : nullptr;
}

const WordSet& stopWords() {
  static const WordSet words = wordSet(kStopWords);
  return words;
}

const WordSet& nameSuffixes() {
  static const WordSet words = wordSet(kNameSuffixes);
  return words;
}

const WordSet& titleWords() {
  static const WordSet words = wordSet(kTitles);
  return words;
}

const EntryMap& givenNameMap() {
  static const EntryMap map = entryMap(givenNames());
  return map;
}

const EntryMap& placeNameMap() {
  static const EntryMap map = entryMap(placeNames());
  return map;
}

unsigned char byteAt(std::string_view text, std::size_t i) noexcept {
  return i < text.size() ? static_cast<unsigned char>(text[i]) : 0;
}

bool isAsciiAlnum(unsigned char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char asciiLower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// Length of an upper-case Latin letter at i (ASCII, Latin-1 or Latin Extended-A in UTF-8).
std::size_t upperAt(std::string_view text, std::size_t i) noexcept {
  const unsigned char c = byteAt(text, i);
  if (c >= 'A' && c <= 'Z') {
    return 1;
  }
  const unsigned char d = byteAt(text, i + 1);
  if (d < 0x80 || d > 0xBF) {
    return 0;
  }
  if (c == 0xC3) {
    return d <= 0x9E && d != 0x97 ? 2 : 0; // À-Þ without ×
  }
  if (c == 0xC4 || c == 0xC5) {
    // U+0100-U+017F: upper case on even code points, odd in U+0139-U+0148 and U+0179-U+017E.
    const unsigned cp = ((c & 0x1FU) << 6U) | (d & 0x3FU);
    const bool odd_upper = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
    return ((cp % 2 == 1) == odd_upper || cp == 0x178) && cp != 0x138 && cp != 0x149 ? 2 : 0;
  }
  return 0;
}

/// Length of a lower-case Latin letter at i.
std::size_t lowerAt(std::string_view text, std::size_t i) noexcept {
  const unsigned char c = byteAt(text, i);
  if (c >= 'a' && c <= 'z') {
    return 1;
  }
  const unsigned char d = byteAt(text, i + 1);
  if (d < 0x80 || d > 0xBF) {
    return 0;
  }
  if (c == 0xC3) {
    return d >= 0x9F && d != 0xB7 ? 2 : 0; // ß-ÿ without ÷
  }
  if (c == 0xC4 || c == 0xC5) {
    return upperAt(text, i) == 0 ? 2 : 0;
  }
  return 0;
}

/// A byte that continues a token: a name glued to it is an identifier, not a name.
bool isWordByte(unsigned char c) noexcept {
  return isAsciiAlnum(c) || c == '_' || c >= 0x80;
}

std::size_t lowerRun(std::string_view text, std::size_t i) noexcept {
  const std::size_t from = i;
  while (const std::size_t n = lowerAt(text, i)) {
    i += n;
  }
  return i - from;
}

/// End of the capitalised word at i ("Anna", "Müller", "Jean-Luc", "O'Brien", "McDonald"), or
/// kNone. A word glued to more letters, digits or '_' is none (CamelCase, snake_case).
std::size_t capWordEnd(std::string_view text, std::size_t i) noexcept {
  std::size_t n = upperAt(text, i);
  if (n == 0) {
    return kNone;
  }
  std::size_t pos = i + n;
  std::size_t lower = lowerRun(text, pos);
  if (lower == 0 && byteAt(text, pos) == '\'') {
    // O'Brien: one letter, an apostrophe, then a capitalised word.
    const std::size_t inner = upperAt(text, pos + 1);
    if (inner == 0 || lowerRun(text, pos + 1 + inner) == 0) {
      return kNone;
    }
    pos += 1 + inner;
    lower = lowerRun(text, pos);
  } else if (lower == 0) {
    return kNone;
  }
  pos += lower;
  // McDonald, MacLeod.
  const std::string_view head = text.substr(i, pos - i);
  if ((head == "Mc" || head == "Mac") && upperAt(text, pos) == 1 && lowerRun(text, pos + 1) > 0) {
    pos += 1;
    pos += lowerRun(text, pos);
  }
  // Jean-Luc, Müller-Lüdenscheidt.
  if (byteAt(text, pos) == '-') {
    if (const std::size_t u = upperAt(text, pos + 1)) {
      if (const std::size_t l = lowerRun(text, pos + 1 + u)) {
        pos += 1 + u + l;
      }
    }
  }
  if (isWordByte(byteAt(text, pos))) {
    return kNone;
  }
  return pos;
}

/// End of an initial ("K.") at i, or kNone.
std::size_t initialEnd(std::string_view text, std::size_t i) noexcept {
  const std::size_t n = upperAt(text, i);
  return n != 0 && byteAt(text, i + n) == '.' ? i + n + 1 : kNone;
}

/// True when a token may start at `pos`: the byte before is a space, an opening quote or
/// bracket, or punctuation that ends a phrase.
bool startsToken(std::string_view text, std::size_t pos) noexcept {
  if (pos == 0) {
    return true;
  }
  const unsigned char prev = byteAt(text, pos - 1);
  switch (prev) {
  case ' ':
  case '\t':
  case '\n':
  case '\r':
  case '(':
  case '[':
  case '"':
  case '\'':
  case ',':
  case ';':
  case ':':
  case '!':
  case '?':
  case '*':
  case '>':
    return true;
  default:
    break;
  }
  // A UTF-8 opening quote: “ ‘ „ «.
  if (pos >= 3 && byteAt(text, pos - 3) == 0xE2 && byteAt(text, pos - 2) == 0x80) {
    return prev == 0x9C || prev == 0x98 || prev == 0x9E;
  }
  return pos >= 2 && byteAt(text, pos - 2) == 0xC2 && prev == 0xAB;
}

/// End of `phrase` (lower case) at pos, compared ASCII-caselessly, when it is followed by a
/// non-letter; kNone otherwise.
std::size_t phraseEnd(std::string_view text, std::size_t pos, std::string_view phrase) noexcept {
  if (text.size() - pos < phrase.size()) {
    return kNone;
  }
  for (std::size_t i = 0; i < phrase.size(); ++i) {
    if (asciiLower(text[pos + i]) != phrase[i]) {
      return kNone;
    }
  }
  const std::size_t end = pos + phrase.size();
  const auto last = static_cast<unsigned char>(phrase.back());
  if ((isAsciiAlnum(last) || last >= 0x80) && isWordByte(byteAt(text, end))) {
    return kNone;
  }
  return end;
}

/// End of the longest phrase of `phrases` at pos, or kNone.
std::size_t longestPhrase(std::string_view text, std::size_t pos,
                          std::span<const std::string_view> phrases) noexcept {
  std::size_t best = kNone;
  // The first byte settles most phrases; a candidate is tried against dozens of them.
  const char first = pos < text.size() ? asciiLower(text[pos]) : '\0';
  for (const std::string_view phrase : phrases) {
    if (phrase.front() != first) {
      continue;
    }
    const std::size_t end = phraseEnd(text, pos, phrase);
    if (end != kNone && (best == kNone || end > best)) {
      best = end;
    }
  }
  return best;
}

std::size_t skipBlanks(std::string_view text, std::size_t pos) noexcept {
  while (byteAt(text, pos) == ' ' || byteAt(text, pos) == '\t') {
    ++pos;
  }
  return pos;
}

/// End of a title at pos ("Mr", "Dr.", "Frau") when a space or a capital follows, else kNone.
std::size_t titleEnd(std::string_view text, std::size_t pos) noexcept {
  for (const std::string_view title : kTitles) {
    if (byteAt(text, pos) != static_cast<unsigned char>(title.front()) ||
        text.substr(pos, title.size()) != title) {
      continue;
    }
    std::size_t end = pos + title.size();
    const bool dot = byteAt(text, end) == '.';
    end += dot ? 1 : 0;
    const unsigned char next = byteAt(text, end);
    if (next == ' ' || next == '\t' || (dot && upperAt(text, end) != 0)) {
      return end;
    }
  }
  return kNone;
}

struct NameRun {
  std::size_t begin = 0;
  std::size_t end = 0;
  int words = 0;           ///< capitalised words (initials not counted)
  int tokens = 0;          ///< words and initials up to the last word
  bool more = false;       ///< another capitalised word follows the run
  bool possessive = false; ///< "'s" follows the run
};

/// True when the word ending a name is followed by something that makes the run a street, an
/// organisation or part of a token.
bool badFollower(std::string_view text, std::size_t end) noexcept {
  const unsigned char next = byteAt(text, end);
  if (next == '(' || next == '@' || next == '/' || next == '\\' || next == '=') {
    return true;
  }
  if ((next == '.' || next == '-') && isWordByte(byteAt(text, end + 1))) {
    return true;
  }
  if (next == ' ') {
    const std::size_t word_end = capWordEnd(text, end + 1);
    if (word_end != kNone) {
      return contains(nameSuffixes(), text.substr(end + 1, word_end - end - 1));
    }
    // All-caps suffixes: "GmbH", "LLC", "AG".
    std::size_t i = end + 1;
    while (i < text.size() && (isAsciiAlnum(byteAt(text, i)) || byteAt(text, i) == '.')) {
      ++i;
    }
    std::string_view word = text.substr(end + 1, i - end - 1);
    if (!word.empty() && word.back() == '.') {
      word.remove_suffix(1);
    }
    return contains(nameSuffixes(), word);
  }
  return false;
}

bool isNameWord(std::string_view text, std::size_t begin, std::size_t end) noexcept {
  const std::string_view word = text.substr(begin, end - begin);
  if (contains(stopWords(), word) || contains(nameSuffixes(), word) ||
      contains(titleWords(), word)) {
    return false;
  }
  if (std::find(kNameMonths.begin(), kNameMonths.end(), word) != kNameMonths.end()) {
    // "May 2024", "June 5": a date.
    const unsigned char after = byteAt(text, end + 1);
    return !(byteAt(text, end) == ' ' && after >= '0' && after <= '9');
  }
  return true;
}

/// True when a particle starts at pos ("von der Leyen").
bool particlePrefix(std::string_view text, std::size_t pos) noexcept {
  return std::any_of(kParticles.begin(), kParticles.end(), [&](std::string_view p) {
    return text.substr(pos, p.size()) == p && byteAt(text, pos + p.size()) == ' ' &&
           capWordEnd(text, pos + p.size() + 1) != kNone;
  });
}

/// Up to kMaxNameWords capitalised words or initials from pos, one space apart. The run ends
/// before a word that is no name word; a trailing initial is dropped.
NameRun readName(std::string_view text, std::size_t pos) noexcept {
  NameRun run;
  run.begin = pos;
  run.end = pos;
  std::size_t last_word_end = kNone;
  int words = 0;
  int tokens = 0;
  std::size_t cur = pos;
  int particles = 0;
  while (tokens < kMaxNameWords) {
    // "Peter van Dyke", "Ursula von der Leyen": lower-case particles inside a name.
    if (tokens > 0 && particles < 2) {
      const auto particle =
          std::find_if(kParticles.begin(), kParticles.end(), [&](std::string_view p) {
            return text.substr(cur, p.size()) == p && byteAt(text, cur + p.size()) == ' ';
          });
      if (particle != kParticles.end()) {
        const std::size_t after = cur + particle->size() + 1;
        if (capWordEnd(text, after) != kNone || particlePrefix(text, after)) {
          ++particles;
          cur = after;
          continue;
        }
      }
    }
    std::size_t end = capWordEnd(text, cur);
    const bool initial = end == kNone;
    if (initial) {
      end = initialEnd(text, cur);
    }
    if (end == kNone || (!initial && !isNameWord(text, cur, end))) {
      break;
    }
    ++tokens;
    if (!initial) {
      ++words;
      last_word_end = end;
      run.words = words;
      run.tokens = tokens;
    }
    if (byteAt(text, end) != ' ') {
      break;
    }
    cur = end + 1;
  }
  if (last_word_end == kNone) {
    return run;
  }
  run.end = last_word_end;
  const unsigned char next = byteAt(text, run.end);
  const bool apostrophe = next == '\'' || (next == 0xE2 && byteAt(text, run.end + 1) == 0x80 &&
                                           byteAt(text, run.end + 2) == 0x99);
  if (apostrophe) {
    const std::size_t s = run.end + (next == '\'' ? 1 : 3);
    run.possessive = byteAt(text, s) == 's' && !isWordByte(byteAt(text, s + 1));
  }
  if (byteAt(text, run.end) == ' ') {
    const std::size_t following = capWordEnd(text, run.end + 1);
    run.more = following != kNone && isNameWord(text, run.end + 1, following);
  }
  return run;
}

bool setSpan(const NameRun& run, std::uint32_t& start, std::uint32_t& end) noexcept {
  if (run.words == 0) {
    return false;
  }
  start = static_cast<std::uint32_t>(run.begin);
  end = static_cast<std::uint32_t>(run.end);
  return true;
}

/// "Mr. John Smith" -> "John Smith". A further title is skipped ("Prof. Dr. Anna Weber").
bool titleRule(std::string_view text, std::size_t pos, std::uint32_t& start,
               std::uint32_t& end) noexcept {
  // "Elm Dr." and "Main St." are street abbreviations after a street name.
  if (pos >= 2 && byteAt(text, pos - 1) == ' ') {
    std::size_t word = pos - 1;
    while (word > 0 && isWordByte(byteAt(text, word - 1))) {
      --word;
    }
    if (word < pos - 1 && capWordEnd(text, word) == pos - 1 && titleEnd(text, word) == kNone &&
        !contains(stopWords(), text.substr(word, pos - 1 - word))) {
      return false;
    }
  }
  std::size_t cur = skipBlanks(text, titleEnd(text, pos));
  for (std::size_t t = titleEnd(text, cur); t != kNone; t = titleEnd(text, cur)) {
    cur = skipBlanks(text, t);
  }
  const NameRun run = readName(text, cur);
  if (badFollower(text, run.end)) {
    return false;
  }
  return setSpan(run, start, end);
}

bool isGivenName(std::string_view text, std::size_t begin, std::size_t end) noexcept {
  return lookup(givenNameMap(), text.substr(begin, end - begin)) != nullptr;
}

/// "my name is John Doe" -> "John Doe"; "his name is Mr. May" -> "Mr. May".
bool triggerRule(std::string_view text, std::size_t trigger_end, bool strong, std::uint32_t& start,
                 std::uint32_t& end) noexcept {
  const std::size_t name_pos = skipBlanks(text, trigger_end);
  if (name_pos == trigger_end) {
    return false;
  }
  std::size_t cur = name_pos;
  std::size_t title = kNone;
  for (std::size_t t = titleEnd(text, cur); t != kNone; t = titleEnd(text, cur)) {
    title = t;
    cur = skipBlanks(text, t);
  }
  const NameRun run = readName(text, cur);
  if (run.words == 0 || badFollower(text, run.end)) {
    return false;
  }
  if (!strong && title == kNone) {
    const std::size_t first = capWordEnd(text, run.begin);
    if (first == kNone || !isGivenName(text, run.begin, first)) {
      return false;
    }
  }
  start = static_cast<std::uint32_t>(strong && title != kNone ? name_pos : run.begin);
  end = static_cast<std::uint32_t>(run.end);
  return true;
}

/// "Best regards,\nAnna Schmidt" -> "Anna Schmidt": the name line holds nothing else.
bool closingRule(std::string_view text, std::size_t closing_end, std::uint32_t& start,
                 std::uint32_t& end) noexcept {
  std::size_t cur = skipBlanks(text, closing_end);
  const unsigned char punct = byteAt(text, cur);
  if (punct == ',' || punct == '.' || punct == '!') {
    cur = skipBlanks(text, cur + 1);
  }
  if (byteAt(text, cur) == '\r') {
    ++cur;
  }
  if (byteAt(text, cur) != '\n') {
    return false;
  }
  cur = skipBlanks(text, cur + 1);
  const NameRun run = readName(text, cur);
  if (run.words == 0 || run.more || run.possessive) {
    return false;
  }
  std::size_t after = skipBlanks(text, run.end);
  if (byteAt(text, after) == ',' || byteAt(text, after) == '.') {
    after = skipBlanks(text, after + 1);
  }
  if (after < text.size() && byteAt(text, after) != '\n' && byteAt(text, after) != '\r') {
    return false;
  }
  if (run.tokens == 1 && !isGivenName(text, run.begin, run.end)) {
    return false;
  }
  return setSpan(run, start, end);
}

/// "Anna Schmidt", "Johnathan Edward Doe", "Anna K. Schmidt": a given name from the gazetteer and
/// a surname. A given name that is also an ordinary word ("Will", "Mark") needs a possessive
/// ("Will Smith's"); with a title or a naming phrase the other rules find it.
bool givenNameRule(std::string_view text, std::size_t pos, std::uint32_t& start,
                   std::uint32_t& end) noexcept {
  const std::size_t first_end = capWordEnd(text, pos);
  if (first_end == kNone) {
    return false;
  }
  const GazetteerEntry* given = lookup(givenNameMap(), text.substr(pos, first_end - pos));
  if (given == nullptr) {
    return false;
  }
  const NameRun run = readName(text, pos);
  if (run.words == 0 || run.more || badFollower(text, run.end)) {
    return false;
  }
  // "Kate's": a known given name alone only with a possessive, and only when it is no word.
  if (run.words == 1 && !(run.possessive && !given->ambiguous)) {
    return false;
  }
  if (given->ambiguous && !run.possessive) {
    return false;
  }
  return setSpan(run, start, end);
}

/// True when `phrase` (lower case, ASCII-caseless) ends at `end` and starts a token.
bool phraseBefore(std::string_view text, std::size_t end, std::string_view phrase) noexcept {
  return end >= phrase.size() && startsToken(text, end - phrase.size()) &&
         phraseEnd(text, end - phrase.size(), phrase) == end;
}

/// "based in Berlin" -> "Berlin": a place from the gazetteer right after a place preposition
/// (and an optional "the"). No capitalised word may follow it ("in New York Times", "from China
/// Mobile"). A place that is also a given name needs a verb of living or travelling before the
/// preposition ("lives in Victoria", not "send it to Victoria").
bool placeRule(std::string_view text, const GazetteerEntry& place, std::size_t pos,
               std::size_t end) noexcept {
  const unsigned char next = byteAt(text, end);
  if (isWordByte(next) ||
      ((next == '-' || next == '.' || next == '@') && isWordByte(byteAt(text, end + 1)))) {
    return false;
  }
  if (next == ' ' && capWordEnd(text, end + 1) != kNone) {
    return false;
  }
  if (pos < 2 || byteAt(text, pos - 1) != ' ') {
    return false;
  }
  std::size_t cue_end = pos - 1;
  if (phraseBefore(text, cue_end, "the")) {
    cue_end -= 3;
    if (cue_end < 2 || byteAt(text, cue_end - 1) != ' ') {
      return false;
    }
    --cue_end;
  }
  for (const std::string_view cue : kStrongPlaceCues) {
    if (phraseBefore(text, cue_end, cue)) {
      return true;
    }
  }
  const auto cue = std::find_if(kPlaceCues.begin(), kPlaceCues.end(),
                                [&](std::string_view c) { return phraseBefore(text, cue_end, c); });
  if (cue == kPlaceCues.end()) {
    return false;
  }
  if (!place.ambiguous) {
    return true;
  }
  const std::size_t verb_end = cue_end - cue->size();
  if (verb_end < 2 || byteAt(text, verb_end - 1) != ' ') {
    return false;
  }
  return std::any_of(kStrongPlaceVerbs.begin(), kStrongPlaceVerbs.end(),
                     [&](std::string_view verb) { return phraseBefore(text, verb_end - 1, verb); });
}

/// '(' ... ')' alternatives of `phrases` for Hyperscan: each word's first ASCII letter in either
/// case, every other non-alphanumeric byte hex-escaped.
std::string phraseAlternation(std::span<const std::string_view> phrases, bool fold_case) {
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out = "(?:";
  bool first_phrase = true;
  for (const std::string_view phrase : phrases) {
    if (!first_phrase) {
      out += '|';
    }
    first_phrase = false;
    bool word_start = true;
    for (const char c : phrase) {
      const auto byte = static_cast<unsigned char>(c);
      if (fold_case && word_start && byte >= 'a' && byte <= 'z') {
        out += '[';
        out += static_cast<char>(byte - 'a' + 'A');
        out += c;
        out += ']';
      } else if (isAsciiAlnum(byte)) {
        out += c;
      } else {
        out += "\\x";
        out += kHex[byte >> 4U];
        out += kHex[byte & 0xFU];
      }
      word_start = c == ' ';
    }
  }
  out += ')';
  return out;
}

/// The closing row's phrases (lower case) by their first byte: a closing starts a word, so a
/// line's first letter is looked up lowered.
using PhraseIndex = std::array<std::vector<std::string_view>, 256>;

const PhraseIndex& closingsByFirstByte() {
  static const PhraseIndex index = [] {
    PhraseIndex by_first;
    for (const std::string_view phrase : kClosings) {
      by_first[static_cast<unsigned char>(phrase.front())].push_back(phrase);
    }
    return by_first;
  }();
  return index;
}

// An upper-case letter (ASCII, Latin-1, Latin Extended-A), as Hyperscan bytes.
constexpr std::string_view kUpper = R"((?:[A-Z]|\xC3[\x80-\x9E]|[\xC4\xC5][\x80-\xBF]))";

} // namespace

const NameExpressions& nameExpressions() {
  static const NameExpressions expressions = [] {
    // The lookup tables are built here, with the patterns (Classifier::build), never in the
    // middle of a scan.
    (void)stopWords();
    (void)nameSuffixes();
    (void)titleWords();
    (void)givenNameMap();
    (void)placeNameMap();
    (void)closingsByFirstByte();
    NameExpressions e;
    const std::string upper(kUpper);
    e.title = phraseAlternation(kTitles, false) + R"((?:\.[ \t]*|[ \t]+))" + upper;
    // Any capitalised word before another: a 1,500-name alternation with start-of-match tracking
    // takes Hyperscan seconds to compile, a lookup in refineName() nothing.
    e.given = R"([A-Z][a-z]+(?:-[A-Z][a-z]+)?(?:'s|\xE2\x80\x99s| (?:)" +
              phraseAlternation(kParticles, false) + " )?" + upper + ")";
    std::vector<std::string_view> triggers(kStrongTriggers.begin(), kStrongTriggers.end());
    triggers.insert(triggers.end(), kWeakTriggers.begin(), kWeakTriggers.end());
    e.trigger = phraseAlternation(triggers, true) + R"([ \t]+)" + upper;
    e.closing = R"((?:^|\n)[ \t]*)" + phraseAlternation(kClosings, true) +
                R"([ \t]*[,.!]?[ \t]*\r?\n[ \t]*)" + upper;
    // One literal row per place: Hyperscan compiles literals with start-of-match tracking in
    // milliseconds, one alternation of them in half a second.
    for (const GazetteerEntry& entry : placeNames()) {
      e.places.push_back(phraseAlternation(std::span(&entry.name, 1), false));
    }
    return e;
  }();
  return expressions;
}

namespace {

bool isAsciiUpperByte(unsigned char c) noexcept {
  return c >= 'A' && c <= 'Z';
}
bool isAsciiLowerByte(unsigned char c) noexcept {
  return c >= 'a' && c <= 'z';
}

/// The leftmost start of a capitalised word (kCapWord: "Anna", "Jean-Luc") that ends at `end`;
/// kNone when none does. The word's lower-case letters are the whole run of them before `end`,
/// so at most two starts exist, the hyphenated one being the leftmost.
std::size_t capWordStartBefore(std::string_view text, std::size_t end) noexcept {
  const auto lower_run_start = [&](std::size_t to) {
    std::size_t from = to;
    while (from > 0 && isAsciiLowerByte(byteAt(text, from - 1))) {
      --from;
    }
    return from;
  };
  const std::size_t lower = lower_run_start(end);
  if (lower == end || lower == 0 || !isAsciiUpperByte(byteAt(text, lower - 1))) {
    return kNone;
  }
  const std::size_t start = lower - 1;
  if (start >= 2 && byteAt(text, start - 1) == '-') {
    const std::size_t first_lower = lower_run_start(start - 1);
    if (first_lower < start - 1 && first_lower > 0 &&
        isAsciiUpperByte(byteAt(text, first_lower - 1))) {
      return first_lower - 1;
    }
  }
  return start;
}

/// Bytes of the upper-case letter (kUpper) at `pos`, 0 when there is none.
std::size_t upperLetterAt(std::string_view text, std::size_t pos) noexcept {
  const unsigned char c = byteAt(text, pos);
  if (isAsciiUpperByte(c)) {
    return 1;
  }
  if (pos + 1 >= text.size()) {
    return 0;
  }
  const unsigned char next = byteAt(text, pos + 1);
  if ((c == 0xC3 && next >= 0x80 && next <= 0x9E) ||
      ((c == 0xC4 || c == 0xC5) && next >= 0x80 && next <= 0xBF)) {
    return 2;
  }
  return 0;
}

/// The matches of NameExpressions::given that end at or just after `i`: after an apostrophe's
/// "'s", or after the upper-case letter at `i` when a space precedes it.
void capitalisedPairsAt(std::string_view text, std::size_t i, std::vector<NameAnchor>& out) {
  const auto emit = [&](std::size_t start, std::size_t end) {
    out.push_back(NameAnchor{static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(end)});
  };
  const unsigned char c = byteAt(text, i);
  if (c == '\'' || c == 0xE2) {
    // "Kate's", "Kate’s"
    const std::string_view mark = c == '\'' ? std::string_view("'s") : kRightQuoteS;
    if (text.substr(i, mark.size()) == mark) {
      if (const std::size_t start = capWordStartBefore(text, i); start != kNone) {
        emit(start, i + mark.size());
      }
    }
    return;
  }
  const std::size_t upper = upperLetterAt(text, i);
  if (upper == 0 || byteAt(text, i - 1) != ' ') {
    return;
  }
  // "Anna Schmidt": the word before the space. "Ludwig van Beethoven": the word before a
  // particle, which is the whole lower-case word between two spaces, so there is at most one.
  std::size_t start = capWordStartBefore(text, i - 1);
  std::size_t word = i - 1;
  while (word > 0 && i - 1 - word < 5 && isAsciiLowerByte(byteAt(text, word - 1))) {
    --word;
  }
  if (word < i - 1 && word >= 2 && byteAt(text, word - 1) == ' ') {
    const std::string_view particle = text.substr(word, i - 1 - word);
    if (isParticle(particle)) {
      start = std::min(start, capWordStartBefore(text, word - 1));
    }
  }
  if (start != kNone) {
    emit(start, i + upper);
  }
}

} // namespace

namespace {

/// First bytes of kTitles.
constexpr auto kTitleLeads = [] {
  std::array<bool, 256> leads{};
  for (const std::string_view title : kTitles) {
    leads[static_cast<unsigned char>(title.front())] = true;
  }
  return leads;
}();

/// Length of a kUpper match at i (an ASCII capital, C3 80-9E, or C4/C5 80-BF), else 0. Not
/// upperAt(): the row's class is wider (it takes U+00D7 and the lower-case letters of Latin
/// Extended-A), and this must match exactly what the row matched.
std::size_t upperClassAt(std::string_view text, std::size_t i) noexcept {
  const unsigned char c = byteAt(text, i);
  if (c >= 'A' && c <= 'Z') {
    return 1;
  }
  const unsigned char d = byteAt(text, i + 1);
  if (c == 0xC3) {
    return d >= 0x80 && d <= 0x9E ? 2 : 0;
  }
  if (c == 0xC4 || c == 0xC5) {
    return d >= 0x80 && d <= 0xBF ? 2 : 0;
  }
  return 0;
}

bool isAsciiLetter(unsigned char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool isBlank(unsigned char c) noexcept {
  return c == ' ' || c == '\t';
}

/// Longest of kTitles.
constexpr std::size_t kLongestTitle = [] {
  std::size_t longest = 0;
  for (const std::string_view title : kTitles) {
    longest = std::max(longest, title.size());
  }
  return longest;
}();

/// The title row's match that starts at pos, if any. Titles are ASCII letters and the row wants
/// a dot or a blank right after one, so the run of letters from pos is the whole title: one
/// lookup instead of a comparison with every title.
void titleAnchorsAt(std::string_view text, std::size_t pos, std::vector<NameAnchor>& out) {
  std::size_t end = pos;
  while (end - pos <= kLongestTitle && isAsciiLetter(byteAt(text, end))) {
    ++end;
  }
  if (end - pos > kLongestTitle || !contains(titleWords(), text.substr(pos, end - pos))) {
    return;
  }
  // (?:\.[ \t]*|[ \t]+), then one upper-case letter.
  if (byteAt(text, end) == '.') {
    ++end;
  } else if (!isBlank(byteAt(text, end))) {
    return;
  }
  while (isBlank(byteAt(text, end))) {
    ++end;
  }
  if (const std::size_t letter = upperClassAt(text, end); letter != 0) {
    out.push_back({static_cast<std::uint32_t>(pos), static_cast<std::uint32_t>(end + letter)});
  }
}

} // namespace

namespace {

/// Whether `phrase` (lower case) is at `pos` as phraseAlternation(…, true) compiles it: a letter
/// that starts one of its words in either case, every other byte exactly.
bool foldedPhraseAt(std::string_view text, std::size_t pos, std::string_view phrase) noexcept {
  if (pos > text.size() || text.size() - pos < phrase.size()) {
    return false;
  }
  bool word_start = true;
  for (std::size_t k = 0; k < phrase.size(); ++k) {
    const auto want = static_cast<unsigned char>(phrase[k]);
    const auto got = static_cast<unsigned char>(text[pos + k]);
    if (got != want && !(word_start && want >= 'a' && want <= 'z' && got == want - 'a' + 'A')) {
      return false;
    }
    word_start = want == ' ';
  }
  return true;
}

/// The closing row's match from the line that starts at `line` (its match starts at `start`:
/// the line break before it, or the text's start), if any.
void closingAnchorAt(std::string_view text, std::size_t start, std::size_t line,
                     std::vector<NameAnchor>& out) {
  const std::size_t pos = skipBlanks(text, line);
  if (pos >= text.size()) {
    return;
  }
  std::size_t reported = kNone;
  const auto first = static_cast<unsigned char>(asciiLower(text[pos]));
  for (const std::string_view phrase : closingsByFirstByte()[first]) {
    if (!foldedPhraseAt(text, pos, phrase)) {
      continue;
    }
    // [ \t]*[,.!]?[ \t]*\r?\n[ \t]* and a capital: one way to read it, as none of these
    // bytes is another's.
    std::size_t cur = skipBlanks(text, pos + phrase.size());
    const unsigned char mark = byteAt(text, cur);
    if (mark == ',' || mark == '.' || mark == '!') {
      cur = skipBlanks(text, cur + 1);
    }
    if (byteAt(text, cur) == '\r') {
      ++cur;
    }
    if (cur >= text.size() || text[cur] != '\n') {
      continue;
    }
    cur = skipBlanks(text, cur + 1);
    const std::size_t letter = upperClassAt(text, cur);
    if (letter != 0 && cur + letter != reported) {
      reported = cur + letter;
      out.push_back({static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(reported)});
    }
  }
}

} // namespace

void CapitalAnchors::clear() noexcept {
  titles.clear();
  pairs.clear();
}

void findCapitalAnchors(std::string_view text, CapitalAnchors& out) {
  if (text.empty()) {
    return;
  }
  // A title starts with an ASCII capital; a capitalised pair ends in a capital (or its lead byte
  // 0xC3-0xC5) after a space, an apostrophe or the first byte of "’".
  const auto at = [&](std::size_t pos, bool title, bool pair) {
    if (title && kTitleLeads[static_cast<unsigned char>(text[pos])]) {
      titleAnchorsAt(text, pos, out.titles);
    }
    if (pair) {
      capitalisedPairsAt(text, pos, out.pairs);
    }
  };
  at(0, true, false);
  std::size_t i = 1;
#if defined(__SSE2__)
  // Sixteen bytes at a time, each row's candidates as a bit mask.
  const auto* data = reinterpret_cast<const unsigned char*>(text.data());
  const __m128i space = _mm_set1_epi8(' ');
  const __m128i upper_shift = _mm_set1_epi8(static_cast<char>(0x80 - 'A'));
  const __m128i upper_limit = _mm_set1_epi8(static_cast<char>(0x80 + 26));
  const __m128i lead_shift = _mm_set1_epi8(static_cast<char>(0x80 - 0xC3));
  const __m128i lead_limit = _mm_set1_epi8(static_cast<char>(0x80 + 3));
  const __m128i apostrophe = _mm_set1_epi8('\'');
  const __m128i quote = _mm_set1_epi8(static_cast<char>(0xE2));
  for (; i + 16 <= text.size(); i += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    const __m128i before = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i - 1));
    const __m128i ascii_upper = _mm_cmplt_epi8(_mm_add_epi8(bytes, upper_shift), upper_limit);
    const __m128i upper =
        _mm_or_si128(ascii_upper, _mm_cmplt_epi8(_mm_add_epi8(bytes, lead_shift), lead_limit));
    const auto titles = static_cast<unsigned>(_mm_movemask_epi8(ascii_upper));
    const auto pairs = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
        _mm_and_si128(upper, _mm_cmpeq_epi8(before, space)),
        _mm_or_si128(_mm_cmpeq_epi8(bytes, apostrophe), _mm_cmpeq_epi8(bytes, quote)))));
    for (unsigned mask = titles | pairs; mask != 0; mask &= mask - 1) {
      const auto k = static_cast<unsigned>(std::countr_zero(mask));
      at(i + k, (titles >> k & 1U) != 0, (pairs >> k & 1U) != 0);
    }
  }
#endif
  // The rest one byte at a time, through the same filters as the blocks above.
  for (; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool upper = (c >= 'A' && c <= 'Z') || (c >= 0xC3 && c <= 0xC5);
    at(i, c >= 'A' && c <= 'Z', (upper && text[i - 1] == ' ') || c == '\'' || c == 0xE2);
  }
}

void findTitleAnchors(std::string_view text, std::vector<NameAnchor>& out) {
  CapitalAnchors anchors;
  findCapitalAnchors(text, anchors);
  out.insert(out.end(), anchors.titles.begin(), anchors.titles.end());
}

void findCapitalisedPairs(std::string_view text, std::vector<NameAnchor>& out) {
  CapitalAnchors anchors;
  findCapitalAnchors(text, anchors);
  out.insert(out.end(), anchors.pairs.begin(), anchors.pairs.end());
}

void findClosingAnchors(std::string_view text, std::vector<NameAnchor>& out) {
  closingAnchorAt(text, 0, 0, out);
  for (std::size_t n = text.find('\n'); n != std::string_view::npos; n = text.find('\n', n + 1)) {
    closingAnchorAt(text, n, n + 1, out);
  }
}

bool refineName(std::string_view text, std::uint32_t& start, std::uint32_t& end) noexcept {
  std::size_t pos = start;
  if (pos >= text.size() || end > text.size()) {
    return false;
  }
  // A letter's closing line: the candidate starts at the line break before it (or the text's
  // start).
  if (pos == 0 || byteAt(text, pos) == '\n') {
    const std::size_t line = skipBlanks(text, byteAt(text, pos) == '\n' ? pos + 1 : pos);
    const std::size_t closing = longestPhrase(text, line, kClosings);
    if (closing != kNone) {
      return closingRule(text, closing, start, end);
    }
  }
  if (const GazetteerEntry* place = lookup(placeNameMap(), text.substr(pos, end - pos))) {
    return placeRule(text, *place, pos, end);
  }
  if (!startsToken(text, pos)) {
    return false;
  }
  if (const std::size_t strong = longestPhrase(text, pos, kStrongTriggers); strong != kNone) {
    return triggerRule(text, strong, true, start, end);
  }
  if (const std::size_t weak = longestPhrase(text, pos, kWeakTriggers); weak != kNone) {
    return triggerRule(text, weak, false, start, end);
  }
  if (titleEnd(text, pos) != kNone) {
    return titleRule(text, pos, start, end);
  }
  return givenNameRule(text, pos, start, end);
}

} // namespace cordon::classify
