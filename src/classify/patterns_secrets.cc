// Secret and token formats beyond the core ones (patterns.cc): the shapes people paste into
// prompts, each tied to a vendor prefix or a key=value context so plain text never matches.
#include <array>

#include "classify/patterns.h"
#include "classify/token_rows.h"
#include "classify/validators_secrets.h"

namespace cordon::classify {
namespace {

// Context-only shapes (a bare 40- or 88-character base64 run) score below the threshold and are
// reported only when one of these words comes just before.
constexpr std::string_view kArtifactoryContext = "artifactory|artif|jfrog|art-api|x-jfrog";
constexpr std::string_view kAwsSecretContext =
    "aws_secret|secret_access_key|secretaccesskey|aws secret|secret access key|secret key";
constexpr std::string_view kAzureKeyContext =
    "accountkey|account_key|azure_storage_key|storage_account_key";

constexpr std::array kPatterns{
    // JFrog Artifactory: API keys (AKCp + 69), encrypted passwords (AP + hex digit ...) and
    // reference tokens (base64 of "ref..."). The short AKC / AP shapes also occur inside base64
    // blobs, so they need an Artifactory word just before.
    PatternSpec{.type = "ARTIFACTORY_TOKEN",
                .regex = R"(AKCp[A-Za-z0-9]{69})",
                .check = Check::Custom,
                .boundary = Boundary::Token,
                .score = 0.9F,
                .valid = mixedSecretValid},
    PatternSpec{.type = "ARTIFACTORY_TOKEN",
                .regex = R"(AKC[A-Za-z0-9]{10,})",
                .check = Check::Custom,
                .boundary = Boundary::Token,
                .score = 0.3F,
                .context = kArtifactoryContext,
                .valid = mixedSecretValid},
    PatternSpec{.type = "ARTIFACTORY_TOKEN",
                .regex = R"(AP[0-9A-F][A-Za-z0-9]{8,})",
                .check = Check::Custom,
                .boundary = Boundary::Token,
                .score = 0.3F,
                .context = kArtifactoryContext,
                .valid = mixedSecretValid},
    PatternSpec{.type = "ARTIFACTORY_TOKEN",
                .regex = R"(cmVmd[A-Za-z0-9]{59})",
                .check = Check::Custom,
                .boundary = Boundary::Token,
                .score = 0.9F,
                .valid = mixedSecretValid},
    // Telegram bot token: bot id, ':', 'A' and 34 more characters.
    PatternSpec{.type = "TELEGRAM_TOKEN",
                .regex = R"(\d{5,16}:A[A-Za-z0-9_-]{34})",
                .check = Check::Custom,
                .boundary = Boundary::Token,
                .score = 0.9F,
                .valid = mixedSecretValid},
    // Twilio API key (SK) and account SID (AC): 32 lower-case hex digits.
    PatternSpec{.type = "TWILIO_KEY",
                .regex = R"((?:SK|AC)[0-9a-f]{32})",
                .check = Check::Secret,
                .boundary = Boundary::Token,
                .score = 0.9F},
    // Mailchimp API key: 32 lower-case hex digits and the data-centre suffix.
    PatternSpec{.type = "MAILCHIMP_KEY",
                .regex = R"([0-9a-f]{32}-us\d{1,2})",
                .check = Check::Secret,
                .boundary = Boundary::Token,
                .score = 0.9F},
    // PyPI upload token: a macaroon whose base64 starts with the location pypi.org or
    // test.pypi.org.
    PatternSpec{.type = "PYPI_TOKEN",
                .regex = R"(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{70,})",
                .check = Check::Secret,
                .boundary = Boundary::Token,
                .score = 0.95F},
    PatternSpec{.type = "PYPI_TOKEN",
                .regex = R"(pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9_-]{70,})",
                .check = Check::Secret,
                .boundary = Boundary::Token,
                .score = 0.95F},
    // Square OAuth secret.
    PatternSpec{.type = "SQUARE_OAUTH_SECRET",
                .regex = R"(sq0csp-[0-9A-Za-z\\_-]{43})",
                .check = Check::Secret,
                .boundary = Boundary::Token,
                .score = 0.95F},
    // AWS secret access key: 40 base64 characters, only after an AWS secret key name.
    PatternSpec{.type = "AWS_SECRET_KEY",
                .regex = kAwsSecretKeyRegex,
                .check = Check::Custom,
                .boundary = Boundary::Token,
                .score = 0.1F,
                .context = kAwsSecretContext,
                .valid = awsSecretValid},
    // GitLab personal, deploy, runner, service-account, feed, CI-job, OAuth, incoming-mail, agent
    // and feature-flag tokens; runner registration and pipeline trigger tokens.
    PatternSpec{
        .type = "GITLAB_TOKEN",
        .regex =
            R"((?:glpat|gldt|glrt|glsoat|glft|glcbt|gloas|glimt|glagent|glffct)-[A-Za-z0-9_-]{20,}(?:\.[0-9a-z]{9})?)",
        .check = Check::Secret,
        .boundary = Boundary::Token,
        .score = 0.95F},
    PatternSpec{.type = "GITLAB_TOKEN",
                .regex = R"(GR1348941[A-Za-z0-9_-]{20})",
                .check = Check::Secret,
                .boundary = Boundary::Token,
                .score = 0.95F},
    PatternSpec{.type = "GITLAB_TOKEN",
                .regex = R"(glptt-[0-9a-f]{40})",
                .check = Check::Secret,
                .boundary = Boundary::Token,
                .score = 0.95F},
    // npm access token.
    PatternSpec{.type = "NPM_TOKEN",
                .regex = R"(npm_[A-Za-z0-9]{36})",
                .check = Check::Secret,
                .boundary = Boundary::Token,
                .score = 0.95F},
    // SendGrid API key: SG.<22>.<43>.
    PatternSpec{.type = "SENDGRID_KEY",
                .regex = R"(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})",
                .check = Check::Secret,
                .boundary = Boundary::Token,
                .score = 0.95F},
    // Discord bot token: base64 user id, timestamp, HMAC.
    PatternSpec{.type = "DISCORD_TOKEN",
                .regex = kDiscordTokenRegex,
                .check = Check::Custom,
                .boundary = Boundary::Token,
                .score = 0.9F,
                .valid = discordTokenValid},
    // Anthropic API and admin keys.
    PatternSpec{.type = "ANTHROPIC_API_KEY",
                .regex = R"(sk-ant-(?:api|admin|oat|sid)\d{2}-[A-Za-z0-9_-]{40,})",
                .check = Check::Secret,
                .boundary = Boundary::Token,
                .score = 0.95F},
    // Azure storage account key: 64 bytes of base64, only after AccountKey= and the like.
    PatternSpec{.type = "AZURE_STORAGE_KEY",
                .regex = kAzureStorageKeyRegex,
                .check = Check::Custom,
                .boundary = Boundary::Token,
                .score = 0.1F,
                .context = kAzureKeyContext,
                .valid = mixedSecretValid},
    // Bitcoin addresses: base58check P2PKH / P2SH and bech32 / bech32m segwit.
    PatternSpec{.type = "CRYPTO",
                .regex = R"([13][1-9A-HJ-NP-Za-km-z]{25,34})",
                .check = Check::Custom,
                .boundary = Boundary::Alnum,
                .score = 0.9F,
                .valid = bitcoinBase58Valid},
    PatternSpec{.type = "CRYPTO",
                .regex = R"(bc1[02-9ac-hj-np-z]{11,71})",
                .check = Check::Custom,
                .boundary = Boundary::Alnum,
                .score = 0.9F,
                .valid = bitcoinBech32Valid},
    // Passwords in URLs and connection strings; Check::Credential narrows the span to the
    // password itself, so a pseudonymized or refused request names only that.
    PatternSpec{.type = "BASIC_AUTH_CREDENTIALS",
                .regex = R"(://[^\s/?#@:]+:[^\s/?#@]+@)",
                .check = Check::Credential,
                .boundary = Boundary::None,
                .score = 0.9F},
    PatternSpec{.type = "PASSWORD",
                .regex = R"((?:password|passwd|pwd)[ \t]?=[ \t]?[^\s;&'"()\[\]{}<>,]+)",
                .check = Check::Credential,
                .score = 0.6F, // below the vendor formats: "artifactory_password=AP..."
                .caseless = true},
};

} // namespace

std::span<const PatternSpec> secretPatterns() noexcept {
  return kPatterns;
}

} // namespace cordon::classify
