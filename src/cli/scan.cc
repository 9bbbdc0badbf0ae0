#include "cli/scan.h"

#include <istream>
#include <ostream>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include "cordon/classify/classifier.h"

namespace cordon::cli {
namespace {

namespace json = boost::json;

void appendFindings(std::string& line, const std::vector<classify::Finding>& findings) {
  line += R"("entities":[)";
  bool first = true;
  for (const auto& finding : findings) {
    line += fmt::format(R"({}{{"type":"{}","start":{},"end":{},"score":{:.2f}}})", first ? "" : ",",
                        finding.type, finding.start, finding.end, finding.score);
    first = false;
  }
  line += ']';
}

/// One JSONL record: {"id","text"} → {"id","entities":[...]}; a record that cannot be read
/// still produces a line (with "error") so that output line N answers input line N.
bool scanRecord(const classify::Classifier& classifier, classify::Scratch& scratch,
                std::string_view input, std::vector<classify::Finding>& findings,
                std::string& line) {
  line.clear();
  findings.clear();
  boost::system::error_code ec;
  const json::value record = json::parse(input, ec);
  const json::object* object = ec ? nullptr : record.if_object();
  const json::value* id = object != nullptr ? object->if_contains("id") : nullptr;
  const json::value* text = object != nullptr ? object->if_contains("text") : nullptr;
  line += R"({"id":)";
  line += id != nullptr ? json::serialize(*id) : "null";
  line += ',';
  if (text == nullptr || !text->is_string()) {
    appendFindings(line, findings);
    line += R"(,"error":"expected a JSON object with a string \"text\""})";
    return false;
  }
  const json::string& body = text->get_string();
  if (auto scanned = classifier.scan({body.data(), body.size()}, scratch, findings); !scanned) {
    findings.clear();
    appendFindings(line, findings);
    line += R"(,"error":"scan failed"})";
    return false;
  }
  appendFindings(line, findings);
  line += '}';
  return true;
}

} // namespace

int runScan(const ScanOptions& options, std::istream& in, std::ostream& out, std::ostream& err) {
  auto built = classify::Classifier::build(options.custom);
  if (!built) {
    fmt::print(err, "cordon scan: {}\n", built.error().detail);
    return 2;
  }
  const classify::Classifier& classifier = **built;
  const classify::ScratchPtr scratch = classifier.makeScratch();
  std::vector<classify::Finding> findings;
  std::string input;
  std::string line;
  int exit_code = 0;
  std::size_t line_number = 0;
  while (std::getline(in, input)) {
    ++line_number;
    if (options.jsonl) {
      if (!scanRecord(classifier, *scratch, input, findings, line)) {
        exit_code = 1;
      }
      line += '\n';
      out.write(line.data(), static_cast<std::streamsize>(line.size()));
      continue;
    }
    findings.clear();
    if (!classifier.scan(input, *scratch, findings)) {
      fmt::print(err, "cordon scan: line {}: scan failed\n", line_number);
      exit_code = 1;
      continue;
    }
    for (const auto& finding : findings) {
      // Values are shown only on request: the input is the user's own, but a terminal or a CI
      // log is a place secrets should not land by default.
      if (options.show_values) {
        fmt::print(out, "{}:{}-{}\t{}\t{:.2f}\t{}\n", line_number, finding.start, finding.end,
                   finding.type, finding.score,
                   std::string_view(input).substr(finding.start, finding.end - finding.start));
      } else {
        fmt::print(out, "{}:{}-{}\t{}\t{:.2f}\n", line_number, finding.start, finding.end,
                   finding.type, finding.score);
      }
    }
  }
  out.flush();
  return exit_code;
}

} // namespace cordon::cli
