//! One redactor for every text a server sends back: an error message, a per-item error, a
//! field of an answer. Servers echo what they were sent — a bearer token in a 401's message, a
//! refresh token in an OAuth refusal — so nothing a server wrote reaches the user before every
//! secret in use has been taken out of it.
//!
//! The redactor knows the secrets the run was given (access token, client secret, refresh
//! token, private key) and those it made or received since (issued access tokens, rotated
//! refresh tokens, signed assertions), each also in the forms it travels in: URL-encoded (form
//! bodies), JSON-escaped, and inside the Basic `Authorization` value of the token endpoint.

use std::sync::{Arc, RwLock};

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;
use oauth2::url::form_urlencoded;

use super::error::ClientError;
use super::secret::Secret;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Shorter "secrets" are left alone: replacing every `abc` in a message would hide more than it
/// protects, and no credential DocuSign issues is this short.
const SHORTEST_SECRET: usize = 8;

/// Every secret in use, and a searcher for all of them at once. Shared by every call.
#[derive(Default)]
pub struct Redactor {
    known: RwLock<Known>,
}

#[derive(Default)]
struct Known {
    needles: Vec<String>,
    searcher: Option<Arc<AhoCorasick>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The needles are the secrets themselves.
        f.write_str("Redactor([redacted])")
    }
}

impl Redactor {
    /// Learns `secret`, in every form it is sent in.
    pub fn know(&self, secret: &Secret) {
        self.learn(forms(secret.expose()));
    }

    /// Learns the Basic `Authorization` value the token endpoint is sent for `client_id` and
    /// `secret`, as `oauth2` builds it (each half URL-encoded) and as RFC 7617 writes it.
    pub fn know_basic_auth(&self, client_id: &str, secret: &Secret) {
        let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect();
        let encoded: String = encode(secret.expose());
        let pairs = [
            format!("{}:{encoded}", encode(client_id) as String),
            format!("{client_id}:{}", secret.expose()),
        ];
        self.learn(
            pairs
                .iter()
                .map(|pair| base64::engine::general_purpose::STANDARD.encode(pair))
                .collect(),
        );
    }

    fn learn(&self, candidates: Vec<String>) {
        let mut known = self
            .known
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let before = known.needles.len();
        for candidate in candidates {
            if candidate.len() >= SHORTEST_SECRET && !known.needles.contains(&candidate) {
                known.needles.push(candidate);
            }
        }
        if known.needles.len() != before {
            // Leftmost-longest, so a secret inside a longer one (a token inside its JSON-escaped
            // form) never leaves the longer one's tail behind.
            known.searcher = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&known.needles)
                .ok()
                .map(Arc::new);
        }
    }

    fn searcher(&self) -> Option<Arc<AhoCorasick>> {
        self.known
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .searcher
            .clone()
    }

    /// `text` with every known secret replaced by [`REDACTED`].
    #[must_use]
    pub fn scrub(&self, text: &str) -> String {
        match self.searcher() {
            Some(searcher) if searcher.is_match(text) => {
                searcher.replace_all(text, &vec![REDACTED; searcher.patterns_len()])
            }
            _ => text.to_owned(),
        }
    }

    /// Whether a JSON answer, as it came, can hold no known secret in any of its strings
    /// once they are decoded: no secret appears in its bytes, and it has no escape (`\`)
    /// that could spell one another way. Every decoded string of such an answer is then a
    /// piece of its bytes as they are, so it can be read without [`Self::scrub_json`].
    #[must_use]
    pub fn clean_as_sent(&self, body: &[u8]) -> bool {
        match self.searcher() {
            None => true,
            Some(searcher) => !body.contains(&b'\\') && !searcher.is_match(body),
        }
    }

    /// Scrubs every string in a JSON answer, keys included.
    pub fn scrub_json(&self, value: &mut serde_json::Value) {
        let Some(searcher) = self.searcher() else {
            return;
        };
        scrub_value(&searcher, value);
    }

    /// The same error with every text in it scrubbed.
    #[must_use]
    pub fn scrub_error(&self, error: ClientError) -> ClientError {
        let scrub = |text: String| self.scrub(&text);
        match error {
            ClientError::Api {
                method,
                path,
                status,
                code,
                message,
            } => ClientError::Api {
                method,
                path: scrub(path),
                status,
                code: scrub(code),
                message: scrub(message),
            },
            ClientError::HourlyBudgetSpent { wait_seconds } => {
                ClientError::HourlyBudgetSpent { wait_seconds }
            }
            ClientError::RetriesExhausted {
                method,
                path,
                attempts,
                last,
            } => ClientError::RetriesExhausted {
                method,
                path: scrub(path),
                attempts,
                last: scrub(last),
            },
            ClientError::Unreachable { url, reason } => ClientError::Unreachable {
                url: scrub(url),
                reason: scrub(reason),
            },
            ClientError::Unreadable {
                method,
                path,
                reason,
            } => ClientError::Unreadable {
                method,
                path: scrub(path),
                reason: scrub(reason),
            },
            ClientError::InconsistentList { path, reason } => ClientError::InconsistentList {
                path: scrub(path),
                reason: scrub(reason),
            },
            ClientError::Auth { error, description } => ClientError::Auth {
                error: scrub(error),
                description: scrub(description),
            },
            ClientError::ConsentRequired { url } => ClientError::ConsentRequired { url },
            ClientError::Settings(text) => ClientError::Settings(scrub(text)),
            ClientError::Account(text) => ClientError::Account(scrub(text)),
        }
    }
}

/// A secret as sent (header, JSON body), URL-encoded (form bodies, query strings) and
/// JSON-escaped, with and without `\/` (a server quoting it inside a JSON string); a PEM key also line by line, since
/// a server that quotes part of a key quotes lines of it.
fn forms(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_owned()];
    forms.push(form_urlencoded::byte_serialize(secret.as_bytes()).collect());
    if let Ok(quoted) = serde_json::to_string(secret) {
        let escaped = &quoted[1..quoted.len() - 1];
        // Some JSON writers (PHP's, .NET's older ones) also escape `/`.
        forms.push(escaped.replace('/', "\\/"));
        forms.push(escaped.to_owned());
    }
    if secret.contains("-----BEGIN") {
        forms.extend(
            secret
                .lines()
                .map(str::trim)
                .filter(|line| !line.starts_with("-----"))
                .map(str::to_owned),
        );
    }
    forms
}

fn scrub_value(searcher: &AhoCorasick, value: &mut serde_json::Value) {
    use serde_json::Value;
    let scrub = |text: &str| {
        if searcher.is_match(text) {
            Some(searcher.replace_all(text, &vec![REDACTED; searcher.patterns_len()]))
        } else {
            None
        }
    };
    match value {
        Value::String(text) => {
            if let Some(clean) = scrub(text) {
                *text = clean;
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| scrub_value(searcher, item)),
        Value::Object(fields) => {
            let dirty_keys: Vec<String> = fields
                .keys()
                .filter(|key| searcher.is_match(key.as_str()))
                .cloned()
                .collect();
            for key in dirty_keys {
                if let (Some(field), Some(clean)) = (fields.remove(&key), scrub(&key)) {
                    fields.insert(clean, field);
                }
            }
            fields
                .values_mut()
                .for_each(|field| scrub_value(searcher, field));
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const TOKEN: &str = "eyJ0eXAiOiJNVCIsImFsZyI6IlJTMjU2In0.canary/token+part=";

    fn knowing(secrets: &[&str]) -> Redactor {
        let redactor = Redactor::default();
        for secret in secrets {
            redactor.know(&Secret::new(*secret));
        }
        redactor
    }

    #[test]
    fn a_secret_is_scrubbed_in_every_form_it_travels_in() {
        let redactor = knowing(&[TOKEN]);
        let url_encoded: String = form_urlencoded::byte_serialize(TOKEN.as_bytes()).collect();
        let json_escaped = TOKEN.replace('/', "\\/");
        for text in [
            format!("The access token Bearer {TOKEN} is not valid."),
            format!("refresh_token={url_encoded}&grant_type=refresh_token"),
            format!("{{\"token\": \"{json_escaped}\"}}"),
        ] {
            let clean = redactor.scrub(&text);
            assert!(!clean.contains("canary"), "{clean}");
            assert!(clean.contains(REDACTED), "{clean}");
        }
    }

    #[test]
    fn text_without_secrets_is_unchanged_and_short_values_are_not_secrets() {
        let redactor = knowing(&[TOKEN, "short"]);
        let text = "a short message about nothing secret";
        assert_eq!(redactor.scrub(text), text);
        assert_eq!(Redactor::default().scrub(text), text);
    }

    #[test]
    fn secrets_learnt_later_are_scrubbed_too() {
        let redactor = knowing(&[TOKEN]);
        let issued = "issued-access-token-0001";
        assert!(redactor.scrub(issued).contains(issued));
        redactor.know(&Secret::new(issued));
        assert_eq!(redactor.scrub(issued), REDACTED);
    }

    #[test]
    fn the_basic_authorization_value_is_scrubbed() {
        let redactor = Redactor::default();
        redactor.know_basic_auth("client-id", &Secret::new("client secret/+="));
        let sent =
            base64::engine::general_purpose::STANDARD.encode("client-id:client+secret%2F%2B%3D");
        assert_eq!(redactor.scrub(&format!("Basic {sent}")), "Basic [redacted]");
    }

    #[test]
    fn a_private_key_is_scrubbed_line_by_line() {
        let key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7canaryline\n-----END PRIVATE KEY-----\n";
        let redactor = knowing(&[key]);
        let clean = redactor.scrub("bad key near BKcwggSjAgEAAoIBAQC7canaryline, sorry");
        assert!(!clean.contains("canary"), "{clean}");
    }

    #[test]
    fn every_string_of_an_answer_is_scrubbed_keys_included() {
        let redactor = knowing(&[TOKEN]);
        let mut answer = json!({
            "users": [{"email": "a@example.com", "errorDetails": {
                "errorCode": "INVALID", "message": format!("token {TOKEN} refused")}}],
            TOKEN: "a key that is a secret",
            "resultSetSize": "1"
        });
        redactor.scrub_json(&mut answer);
        let text = answer.to_string();
        assert!(!text.contains("canary"), "{text}");
        assert_eq!(answer["users"][0]["email"], "a@example.com");
        assert_eq!(
            answer["users"][0]["errorDetails"]["message"],
            "token [redacted] refused"
        );
        assert_eq!(answer[REDACTED], "a key that is a secret");
    }

    #[test]
    fn an_answer_is_clean_as_sent_only_when_no_decoded_string_can_hold_a_secret() {
        let redactor = knowing(&[TOKEN]);
        let plain = br#"{"users": [{"email": "a@example.com", "uri": "/users/1"}]}"#;
        assert!(redactor.clean_as_sent(plain));
        assert!(Redactor::default().clean_as_sent(TOKEN.as_bytes()));
        // The secret as it is, and an escape that could spell it (or anything) another way:
        // `\u0063anary` decodes to `canary`, so such an answer is scrubbed string by string.
        let escaped = TOKEN.replacen('c', "\\u0063", 1);
        for answer in [
            format!(r#"{{"message": "token {TOKEN} refused"}}"#),
            format!(r#"{{"message": "token {escaped} refused"}}"#),
            r#"{"uri": "\/users\/1"}"#.to_owned(),
        ] {
            assert!(!redactor.clean_as_sent(answer.as_bytes()), "{answer}");
            let mut value: serde_json::Value = serde_json::from_str(&answer).expect("JSON");
            redactor.scrub_json(&mut value);
            assert!(!value.to_string().contains("canary"), "{value}");
        }
    }

    #[test]
    fn every_text_of_an_error_is_scrubbed() {
        let redactor = knowing(&[TOKEN]);
        let error = redactor.scrub_error(ClientError::RetriesExhausted {
            method: "GET".to_owned(),
            path: format!("/users?token={TOKEN}"),
            attempts: 3,
            last: format!("401 {TOKEN}"),
        });
        let text = format!("{error} {error:?}");
        assert!(!text.contains("canary"), "{text}");
    }
}
