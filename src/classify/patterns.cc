#include "classify/patterns.h"

#include <array>
#include <vector>

#include "classify/token_rows.h"
#include "classify/validators.h"
#include "classify/validators_regional.h"

namespace cordon::classify {
namespace {

constexpr std::string_view kCardContext =
    "card|credit|debit|visa|mastercard|amex|kreditkarte|tarjeta|carte";
constexpr std::string_view kSsnContext = "ssn|social security|social sec|ss#|ssn#";
constexpr std::string_view kAbaContext = "routing|aba|rtn|transit number|bank";
constexpr std::string_view kPhoneContext =
    "phone|tel|telephone|mobile|cell|call|fax|whatsapp|contact|number|电话|手机|telefon|teléfono|"
    "numéro";
constexpr std::string_view kIpContext =
    "ip|ipv4|address|addr|host|server|dns|gateway|subnet|ping|connect|proxy|firewall|route";
constexpr std::string_view kPhoneNegative =
    "order|invoice|tracking|ticket|reference|ref|serial|case|po|sku|account";
constexpr std::string_view kDateContext =
    "today|date|dated|due|expir|exp|valid|since|until|heute|datum|fecha|hoy|aujourd";
constexpr std::string_view kIbanContext = "iban|bank|account|konto|cuenta|compte";

// Bare-domain URLs: common generic and country TLDs, never ones that read as file extensions or
// English words after a dot (.py, .md, .sh, .rs, .js, .ts, .so, .pl, .cc, .in, .is, .at, .it,
// .me, .my, .no, .id ...).
#define CORDON_TLDS                                                                                \
  "(?:com|org|net|edu|gov|mil|io|ai|dev|app|info|biz|co|uk|de|fr|es|nl|be|ch|se|dk|fi|ie|pt|cz|"   \
  "ru|jp|cn|kr|au|nz|ca|br|mx|ar|eu|tv|xyz|online|site|tech|cloud|webcam|store|shop|il|gr|hu|"     \
  "ro|tr|za|sg|hk|tw|vn|ph|ua|sk|hr|bg|lv|lu|cl|ng|ke|eg|ae|pk|bd|news|blog)"

// Month names and their abbreviations (matched caseless).
#define CORDON_MONTHS                                                                              \
  "(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"               \
  "sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"

constexpr std::array kPatterns{
    // E-mail: local@domain.tld.
    PatternSpec{"EMAIL_ADDRESS",
                kEmailDomainRegex,
                Check::Email,
                Boundary::Alnum,
                0.9F,
                0.5F,
                {},
                {},
                false,
                Extend::EmailLocal},
    // Credit cards: 13-19 digits, bare or in groups split by single dashes or spaces.
    PatternSpec{"CREDIT_CARD",
                R"(\d{13})",
                Check::CreditCard,
                Boundary::Alnum,
                0.6F,
                0.5F,
                kCardContext,
                {},
                false,
                Extend::Digits},
    PatternSpec{"CREDIT_CARD", R"(\d{4}(?:-\d{3,6}){2,4})", Check::CreditCard, Boundary::Alnum,
                0.6F, 0.5F, kCardContext},
    PatternSpec{"CREDIT_CARD", R"(\d{4}(?: \d{3,6}){2,4})", Check::CreditCard, Boundary::Alnum,
                0.6F, 0.5F, kCardContext},
    // IBAN with or without spaces (groups of four): the pattern matches the first eight characters;
    // the country's IBAN length decides where it ends (Check::Iban).
    PatternSpec{"IBAN_CODE", R"([A-Z]{2}\d{2} ?[A-Z0-9]{4})", Check::Iban, Boundary::Alnum, 0.8F,
                0.5F, kIbanContext},
    // US SSN: dashed; bare nine digits only next to "ssn" / "social security".
    PatternSpec{"US_SSN", R"(\d{3}-\d{2}-\d{4})", Check::UsSsn, Boundary::Alnum, 0.5F, 0.5F,
                kSsnContext},
    PatternSpec{"US_SSN", R"(\d{3} \d{2} \d{4})", Check::UsSsn, Boundary::Alnum, 0.1F, 0.5F,
                kSsnContext},
    PatternSpec{"US_SSN",
                R"(\d{9})",
                Check::UsSsn,
                Boundary::Alnum,
                0.1F,
                0.5F,
                kSsnContext,
                {},
                false,
                Extend::Digits},
    // ABA routing number: "DDDD-DDDD-D" alone, nine bare digits only with context.
    PatternSpec{"ABA_ROUTING_NUMBER", R"(\d{4}-\d{4}-\d)", Check::Aba, Boundary::Alnum, 0.5F, 0.5F,
                kAbaContext},
    PatternSpec{"ABA_ROUTING_NUMBER",
                R"(\d{9})",
                Check::Aba,
                Boundary::Alnum,
                0.15F,
                0.5F,
                kAbaContext,
                {},
                false,
                Extend::Digits},
    // IP addresses.
    PatternSpec{"IP_ADDRESS", R"(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})", Check::Ipv4, Boundary::Alnum,
                0.6F, 0.5F, kIpContext, "version|release|firmware|build"},
    PatternSpec{"IP_ADDRESS", R"([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})", Check::Ipv6,
                Boundary::HexColon, 0.6F, 0.5F},
    // MAC addresses: six pairs by ':' or '-', or three quads by '.' (Cisco).
    PatternSpec{.type = "MAC_ADDRESS",
                .regex = R"([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})",
                .check = Check::Custom,
                .boundary = Boundary::HexColon,
                .score = 0.6F,
                .valid = &macAddressValid},
    PatternSpec{.type = "MAC_ADDRESS",
                .regex = R"([0-9A-Fa-f]{2}(?:-[0-9A-Fa-f]{2}){5})",
                .check = Check::Custom,
                .score = 0.6F,
                .valid = &macAddressValid},
    PatternSpec{.type = "MAC_ADDRESS",
                .regex = R"([0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})",
                .check = Check::Custom,
                .score = 0.6F,
                .valid = &macAddressValid},
    // URLs: with a scheme, www., or a bare domain with a common TLD.
    PatternSpec{"URL",
                R"((?:https?|ftp|wss?)://[^\s<>"'`\\]+)",
                Check::Url,
                Boundary::Alnum,
                0.6F,
                0.5F,
                {},
                {},
                true},
    PatternSpec{"URL",
                R"(www\.[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?:[/?#][^\s<>"'`\\]*)?)",
                Check::Url,
                Boundary::Alnum,
                0.55F,
                0.5F,
                {},
                {},
                true},
    PatternSpec{"URL",
                "\\." CORDON_TLDS "(?:/[^\\s<>\"'`\\\\]*)?",
                Check::Url,
                Boundary::Alnum,
                0.5F,
                0.5F,
                {},
                {},
                false,
                Extend::Hostname},
    // Phone numbers: international +CC, US (NNN) NNN-NNNN and NNN-NNN-NNNN; bare digit runs
    // only with a phone word nearby.
    PatternSpec{"PHONE_NUMBER",
                R"(\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{1,4}){1,5})",
                Check::Phone, Boundary::Alnum, 0.6F, 0.5F, kPhoneContext},
    PatternSpec{"PHONE_NUMBER",
                R"(\(\d{3}\) ?\d{3}[-. ]\d{4}(?: ?(?:x|ext\.?|extension) ?\d{1,5})?)",
                Check::Phone,
                Boundary::Alnum,
                0.6F,
                0.5F,
                kPhoneContext,
                {},
                true},
    PatternSpec{"PHONE_NUMBER",
                R"(\d{3}-\d{3}-\d{4}(?: ?(?:x|ext\.?|extension) ?\d{1,5})?)",
                Check::Phone,
                Boundary::Alnum,
                0.5F,
                0.5F,
                kPhoneContext,
                {},
                true},
    PatternSpec{"PHONE_NUMBER", R"(\d{3}\.\d{3}\.\d{4}|\d{3} \d{3} \d{4}|\d{3} \d{7})",
                Check::Phone, Boundary::Alnum, 0.2F, 0.5F, kPhoneContext, kPhoneNegative},
    PatternSpec{"PHONE_NUMBER", R"(\d{10})", Check::PhoneBare, Boundary::Alnum, 0.2F, 0.5F,
                kPhoneContext, kPhoneNegative, false, Extend::Digits},
    PatternSpec{"PHONE_NUMBER", R"(0\d{1,4}-\d{2,4}-\d{4}|0\d-\d{7}|\d{1,3}-\d{3}-\d{3}-\d{4})",
                Check::Phone, Boundary::Alnum, 0.2F, 0.5F, kPhoneContext, kPhoneNegative},
    // National identifiers with check digits.
    PatternSpec{"FI_PERSONAL_IDENTITY_CODE", R"(\d{6}[-+A-FU-Y]\d{3}[0-9A-FHJ-NPR-Y])",
                Check::FiHetu, Boundary::None, 0.6F, 0.5F, "hetu|henkilötunnus|personal identity"},
    PatternSpec{"TR_NATIONAL_ID",
                R"(\d{11})",
                Check::TrNationalId,
                Boundary::Alnum,
                0.6F,
                0.5F,
                "kimlik|tc no|t.c.|turkish id|national id",
                {},
                false,
                Extend::Digits},
    PatternSpec{"SE_PERSONNUMMER", R"((?:\d{2})?\d{6}[-+]\d{4})", Check::SePersonnummer,
                Boundary::Alnum, 0.6F, 0.5F, "personnummer|pnr"},
    PatternSpec{"SE_PERSONNUMMER",
                R"(\d{10})",
                Check::SePersonnummer,
                Boundary::Alnum,
                0.6F,
                0.5F,
                "personnummer|pnr",
                {},
                false,
                Extend::Digits},
    // Secrets.
    PatternSpec{
        "PRIVATE_KEY",
        R"(-----BEGIN[A-Z ]* PRIVATE KEY(?: BLOCK)?-----[^-]*-----END[A-Z ]* PRIVATE KEY(?: BLOCK)?-----)",
        Check::None, Boundary::None, 1.0F, 0.5F},
    // AWS's documented example key ("AKIAIOSFODNN7EXAMPLE") is not a credential.
    PatternSpec{.type = "AWS_ACCESS_KEY",
                .regex = R"((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16})",
                .check = Check::Custom,
                .boundary = Boundary::Token,
                .score = 0.9F,
                .valid = &awsAccessKeyValid},
    PatternSpec{"GITHUB_TOKEN", R"(gh[pousr]_[A-Za-z0-9]{36})", Check::Secret, Boundary::Token,
                0.95F, 0.5F},
    PatternSpec{"GITHUB_TOKEN", R"(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})", Check::Secret,
                Boundary::Token, 0.95F, 0.5F},
    PatternSpec{"SLACK_TOKEN", R"(xox[abeoprs]-(?:\d+-){1,4}[A-Za-z0-9]{8,})", Check::Secret,
                Boundary::Token, 0.95F, 0.5F},
    PatternSpec{"SLACK_TOKEN", R"(xoxe(?:\.xox[bp])?-\d-[A-Za-z0-9]{40,})", Check::Secret,
                Boundary::Token, 0.95F, 0.5F},
    PatternSpec{"SLACK_TOKEN", R"(xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+)", Check::Secret, Boundary::Token,
                0.95F, 0.5F},
    PatternSpec{
        "SLACK_WEBHOOK",
        R"(https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,})",
        Check::None, Boundary::Token, 1.0F, 0.5F},
    PatternSpec{"GOOGLE_API_KEY", R"(AIza[A-Za-z0-9_-]{35})", Check::Secret, Boundary::Token, 0.9F,
                0.5F},
    PatternSpec{"STRIPE_KEY", R"((?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{10,247})", Check::Secret,
                Boundary::Token, 0.95F, 0.5F},
    PatternSpec{"OPENAI_API_KEY", R"(sk-[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,})",
                Check::Secret, Boundary::Token, 0.95F, 0.5F},
    PatternSpec{"OPENAI_API_KEY", R"(sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{80,})", Check::Secret,
                Boundary::Token, 0.9F, 0.5F},
    PatternSpec{"HUGGINGFACE_TOKEN", R"((?:hf_|api_org_)[A-Za-z]{34})", Check::Secret,
                Boundary::Token, 0.9F, 0.5F},
    // Dates and times. Their default level is public, so they never move a request by
    // themselves; they are found so that a config can give them a level and for `cordon scan`.
    PatternSpec{
        .type = "DATE_TIME",
        .regex =
            R"([0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,9})?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?)",
        .check = Check::Custom,
        .score = 0.85F,
        .valid = &isoDateTimeValid,
        .skip_as_line_prefix = true},
    PatternSpec{
        .type = "DATE_TIME",
        .regex =
            R"([0-9]{1,2}/[0-9]{1,2}/(?:[0-9]{4}|[0-9]{2})|[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}|[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}|[0-9]{1,2}/[0-9]{4})",
        .check = Check::Custom,
        .score = 0.6F,
        .valid = &numericDateValid},
    PatternSpec{.type = "DATE_TIME",
                .regex = CORDON_MONTHS
                R"(\.?\s+[0-9]{1,2}(?:st|nd|rd|th)?,?\s+[0-9]{4}|)"
                R"([0-9]{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?)" CORDON_MONTHS R"(,?\s+[0-9]{4}|)"
                R"([0-9]{1,2}-)" CORDON_MONTHS R"((?:-[0-9]{4}|-[0-9]{2})?|)" CORDON_MONTHS
                R"(-(?:[0-9]{4}|[0-9]{2}))",
                .check = Check::Custom,
                .score = 0.85F,
                .caseless = true,
                // Its SOM on every digit of prose is one of the costliest parts of the scan.
                .extend = Extend::Rescan,
                .valid = &namedDateValid},
    PatternSpec{.type = "DATE_TIME",
                .regex = R"([0-9]{1,2}(?::[0-9]{2})?\s?[ap]m)",
                .check = Check::Custom,
                .score = 0.6F,
                .caseless = true,
                .valid = &clockTimeValid},
    // A month and a two-digit year ("5/21") reads as a fraction or a score as often as a date: only
    // after a date word. Even then it scores no higher than a
    // full date, so that "5/21/21" stays one finding.
    PatternSpec{.type = "DATE_TIME",
                .regex = R"([0-9]{1,2}/[0-9]{2})",
                .check = Check::Custom,
                .score = 0.2F,
                .threshold = 0.55F,
                .context = kDateContext,
                .valid = &numericDateValid},
    PatternSpec{"JWT", R"(ey[A-Za-z0-9_-]{8,}\.ey[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*=*)", Check::None,
                Boundary::Token, 0.9F, 0.5F},
};

#undef CORDON_TLDS
#undef CORDON_MONTHS

} // namespace

std::span<const PatternSpec> corePatterns() noexcept {
  return kPatterns;
}

std::span<const PatternSpec> builtinPatterns() noexcept {
  static const std::vector<PatternSpec> all = [] {
    std::vector<PatternSpec> patterns;
    for (auto group : {corePatterns(), nationalIdPatterns(), secretPatterns(), regionalPatterns(),
                       namePatterns()}) {
      patterns.insert(patterns.end(), group.begin(), group.end());
    }
    return patterns;
  }();
  return all;
}

} // namespace cordon::classify
