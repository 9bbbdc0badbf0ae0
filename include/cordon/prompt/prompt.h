// Prompt templates (docs/prompts.md): named, versioned system prompts and message scaffolding
// with {{variables}}, kept in cordon so that switching the model behind a name changes no
// application. Pure functions over the canonical request.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cordon/common/result.h"
#include "cordon/config/config.h"
#include "cordon/protocol/chat.h"

namespace cordon::prompt {

using Variables = std::map<std::string, std::string, std::less<>>;

/// `text` with each {{name}} (spaces inside the braces allowed: {{ name }}) replaced by the
/// variable's value, else its default. Names are [A-Za-z_][A-Za-z0-9_]*; "{{" not followed by a
/// name and "}}" is kept as written. One pass: an inserted value is never scanned again, and its
/// bytes are copied as they are. Errc::BadRequest "prompt NAME@VERSION: missing variable X" for
/// the first variable with neither (the value is never echoed).
Result<std::string> render(std::string_view text, const Variables& variables,
                           const Variables& defaults, std::string_view template_id);

/// The wording of `tmpl` for a target: per_target["backend:model"], else per_target["backend"],
/// else the template's own wording.
const config::PromptWording& wordingFor(const config::PromptTemplate& tmpl,
                                        std::string_view backend, std::string_view model);

/// Puts the rendered wording in front of `request`: the system prompt as the first message (role
/// System; none when it renders empty), then the client's own leading system and developer
/// messages as they were, then the scaffolding messages, then the rest of the client's messages
/// (system text must precede the conversation for Anthropic backends). Errc::BadRequest for a
/// missing variable, or for an embeddings request (a message there is an input); on an error
/// `request` is unchanged.
Result<void> apply(const config::PromptTemplate& tmpl, const config::PromptWording& wording,
                   const Variables& variables, protocol::ChatRequest& request);

/// Reads the variables of a request from its `cordon_variables` member (an object of strings;
/// removed from the passthrough fields so no backend sees it, also when it is refused; when it
/// is repeated the last one counts). Errc::BadRequest when it is not an object of strings whose
/// names are [A-Za-z_][A-Za-z0-9_]*; the detail names a variable, never a value. Absent: no
/// variables.
Result<Variables> takeVariables(protocol::ChatRequest& request);

/// Every wording's static text of `tmpl` (system prompts and scaffolding, variables left as
/// written), for classifying a template at config load: a template may itself be confidential.
std::vector<std::string> staticTexts(const config::PromptTemplate& tmpl);

} // namespace cordon::prompt
