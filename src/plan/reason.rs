//! Why the plan makes a step.
//!
//! The reasons the planner gives are a closed list ([`Stated`]); what it has to spell out with
//! names (a rename hint, a profile being deleted, a note added later) is [`Reason::Noted`]. A
//! plan file carries the reason as its sentence, so a saved plan reads the same as the fresh
//! one and compares equal with it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a step is planned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Reason {
    Stated(Stated),
    /// A sentence with names in it, or a stated reason with a note added.
    Noted(String),
}

/// The planner's own reasons, each serialized as its sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stated {
    #[serde(rename = "new in the YAML")]
    NewInYaml,
    #[serde(rename = "a member in the YAML")]
    MemberInYaml,
    #[serde(rename = "not a member in the YAML")]
    NotMemberInYaml,
    #[serde(rename = "attributes differ from the YAML")]
    AttributesDiffer,
    #[serde(rename = "the YAML gives another profile")]
    AnotherProfile,
    #[serde(rename = "settings differ from the YAML")]
    SettingsDiffer,
    #[serde(rename = "closed in the YAML")]
    ClosedInYaml,
    #[serde(rename = "the YAML gives the group another profile")]
    GroupGetsAnotherProfile,
    #[serde(rename = "the YAML gives the signing group another email")]
    SigningGroupGetsAnotherEmail,
    #[serde(rename = "renamed in the YAML (`previously`)")]
    RenamedInYaml,
    #[serde(rename = "the YAML spells the name differently")]
    SpelledDifferently,
    #[serde(rename = "renamed outside git; recorded state pins its ID")]
    RenamedOutsideGit,
    #[serde(rename = "the member's name differs from the YAML")]
    MemberNameDiffers,
    #[serde(rename = "removed from the YAML")]
    RemovedFromYaml,
    #[serde(rename = "closed in DocuSign, active in the YAML")]
    ClosedInDocuSign,
    #[serde(
        rename = "closed in DocuSign, active in the YAML: reopened by its DocuSign user name and email (apply checks the user ID, and restores the kept memberships if DocuSign makes a new user)"
    )]
    Reopened,
    #[serde(rename = "not in the YAML; policy: reset")]
    PolicyReset,
    #[serde(rename = "not in the YAML; policy: close")]
    PolicyClose,
}

impl Stated {
    /// Whether the reason only restates the change, so a view for people may leave it out.
    #[must_use]
    pub const fn is_routine(self) -> bool {
        match self {
            Self::NewInYaml
            | Self::MemberInYaml
            | Self::NotMemberInYaml
            | Self::AttributesDiffer
            | Self::AnotherProfile
            | Self::SettingsDiffer
            | Self::ClosedInYaml
            | Self::GroupGetsAnotherProfile
            | Self::SigningGroupGetsAnotherEmail
            | Self::RenamedInYaml => true,
            Self::SpelledDifferently
            | Self::RenamedOutsideGit
            | Self::MemberNameDiffers
            | Self::RemovedFromYaml
            | Self::ClosedInDocuSign
            | Self::Reopened
            | Self::PolicyReset
            | Self::PolicyClose => false,
        }
    }
}

impl Reason {
    /// Whether the reason only restates the change (an empty one says nothing either).
    #[must_use]
    pub fn is_routine(&self) -> bool {
        match self {
            Self::Stated(stated) => stated.is_routine(),
            Self::Noted(text) => text.is_empty(),
        }
    }

    /// The reason with `note` after it.
    #[must_use]
    pub fn with_note(&self, note: &str) -> Self {
        if self.to_string().is_empty() {
            Self::Noted(note.to_owned())
        } else {
            Self::Noted(format!("{self}; {note}"))
        }
    }
}

impl From<Stated> for Reason {
    fn from(stated: Stated) -> Self {
        Self::Stated(stated)
    }
}

impl From<String> for Reason {
    fn from(text: String) -> Self {
        Self::Noted(text)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Stated(stated) => stated.fmt(f),
            Self::Noted(text) => f.write_str(text),
        }
    }
}

impl fmt::Display for Stated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The serde name is the sentence: one spelling for the file and for people.
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(sentence)) => f.write_str(&sentence),
            _ => Err(fmt::Error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stated_reason_reads_back_as_itself_and_a_sentence_as_a_note() {
        for reason in [
            Reason::from(Stated::Reopened),
            Reason::from(Stated::NewInYaml),
            Reason::from("holds `A`, which is deleted".to_owned()),
        ] {
            let json = serde_json::to_string(&reason).expect("serializes");
            assert_eq!(json, format!("{:?}", reason.to_string()));
            let back: Reason = serde_json::from_str(&json).expect("reads back");
            assert_eq!(back, reason);
        }
    }

    #[test]
    fn routine_reasons_restate_the_change_and_others_do_not() {
        assert!(Reason::from(Stated::MemberInYaml).is_routine());
        assert!(!Reason::from(Stated::RemovedFromYaml).is_routine());
        assert!(
            !Reason::from(Stated::MemberInYaml)
                .with_note("reverts drift")
                .is_routine()
        );
        assert!(Reason::Noted(String::new()).is_routine());
    }
}
