//! When two email addresses name the same DocuSign user: one rule, used by the tool (its
//! `EmailKey`) and by the emulator alike.
//!
//! DocuSign documents emails as case-insensitive without saying which letters fold. The rule
//! here folds ASCII letters only: `Ana@Example.com` is `ana@example.com`, but `Ä` and `ä` stay
//! apart. That is what every mail system agrees on (domains are ASCII-folded; a local part's
//! case is the receiving server's business); a Unicode fold might merge two people DocuSign
//! keeps apart. Addresses that differ only by a non-ASCII letter's case are therefore ambiguous,
//! and `validate` refuses a desired state that holds both.

/// The form two addresses are compared in: trimmed, ASCII letters in lower case.
#[must_use]
pub fn fold(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

/// Whether `a` and `b` name the same user.
#[must_use]
pub fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The form under the wider reading, every letter that has a lower case folded: addresses
/// equal here but not under [`fold`] are ambiguous.
#[must_use]
pub fn fold_unicode(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ascii_letters_fold() {
        assert_eq!(fold("  Ana.Silva@Example.COM "), "ana.silva@example.com");
        assert_eq!(fold("ÄNNE@example.com"), "Änne@example.com");
        assert_ne!(fold("Änne@example.com"), fold("änne@example.com"));
        assert!(same(" Ana@Example.com", "ana@example.COM"));
        assert!(!same("Änne@example.com", "änne@example.com"));
        assert_eq!(
            fold_unicode("Änne@example.com"),
            fold_unicode("änne@example.com")
        );
    }
}
