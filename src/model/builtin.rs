//! The permission profiles and groups every DocuSign account has and nobody can edit.
//!
//! DocuSign's API names are `Account Administrator`, `DocuSign Sender`, `DocuSign Viewer`,
//! `Administrators` and `Everyone`. Since the 2024 rebrand the reference spells the profiles
//! "Docusign …" (lower-case s), so names are matched case-insensitively, which accepts both.

/// A built-in permission profile: it can be assigned, never edited, renamed or deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BuiltinProfile {
    AccountAdministrator,
    DocuSignSender,
    DocuSignViewer,
}

impl BuiltinProfile {
    pub const ALL: [Self; 3] = [
        Self::AccountAdministrator,
        Self::DocuSignSender,
        Self::DocuSignViewer,
    ];

    /// The name the API returns for this profile.
    #[must_use]
    pub const fn api_name(self) -> &'static str {
        match self {
            Self::AccountAdministrator => "Account Administrator",
            Self::DocuSignSender => "DocuSign Sender",
            Self::DocuSignViewer => "DocuSign Viewer",
        }
    }

    /// Recognises a built-in profile by name, in any letter case ("Docusign Viewer" too).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|profile| profile.api_name().eq_ignore_ascii_case(name.trim()))
    }
}

/// A built-in group: it can't be renamed, edited or deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BuiltinGroup {
    /// Holds every user of the account; DocuSign keeps its membership itself.
    Everyone,
    /// The account administrators.
    Administrators,
}

impl BuiltinGroup {
    pub const ALL: [Self; 2] = [Self::Everyone, Self::Administrators];

    /// The name the API returns for this group.
    #[must_use]
    pub const fn api_name(self) -> &'static str {
        match self {
            Self::Everyone => "Everyone",
            Self::Administrators => "Administrators",
        }
    }

    /// Recognises a built-in group by name, in any letter case.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|group| group.api_name().eq_ignore_ascii_case(name.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_profiles_match_both_spellings_in_any_case() {
        assert_eq!(
            BuiltinProfile::from_name("Docusign Viewer"),
            Some(BuiltinProfile::DocuSignViewer)
        );
        assert_eq!(
            BuiltinProfile::from_name("docusign sender"),
            Some(BuiltinProfile::DocuSignSender)
        );
        assert_eq!(
            BuiltinProfile::from_name("ACCOUNT ADMINISTRATOR"),
            Some(BuiltinProfile::AccountAdministrator)
        );
        assert_eq!(BuiltinProfile::from_name("DocuSign Viewers"), None);
    }

    #[test]
    fn builtin_groups_match_in_any_case() {
        assert_eq!(
            BuiltinGroup::from_name("everyone"),
            Some(BuiltinGroup::Everyone)
        );
        assert_eq!(BuiltinGroup::from_name("Admins"), None);
    }
}
