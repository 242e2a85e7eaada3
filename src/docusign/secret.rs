//! A secret value (client secret, refresh token, private key, access token) that can't be
//! printed by accident: `Debug` and `Display` show `[redacted]`.

use std::fmt;

/// A secret. The only way to the text is [`Secret::expose`], at the point of use.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret text, for an HTTP header or a signature; never for a message.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn never_prints_its_value() {
        let secret = Secret::new("canary-1234");
        assert!(!format!("{secret:?} {secret} {secret:#?}").contains("canary"));
        assert_eq!(secret.expose(), "canary-1234");
    }
}
