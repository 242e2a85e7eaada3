//! One change the plan makes, and the phase of the plan's fixed order it belongs to.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A change to the account. Objects are named by their stable key (a user's email, an object's
/// name) and carry DocuSign's ID where the live account has one; objects the plan creates get
/// their IDs at apply time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Operation {
    CreateProfile {
        name: String,
        settings: BTreeMap<String, String>,
    },
    RenameProfile {
        id: Option<String>,
        from: String,
        to: String,
    },
    /// Only the settings the YAML lists; the others stay as they are.
    UpdateProfileSettings {
        profile: String,
        id: Option<String>,
        changes: Vec<Change>,
    },
    CreateGroup {
        name: String,
        permission_profile: Option<String>,
    },
    RenameGroup {
        id: Option<String>,
        from: String,
        to: String,
    },
    SetGroupProfile {
        group: String,
        id: Option<String>,
        from: Option<String>,
        to: Option<String>,
    },
    CreateSigningGroup {
        name: String,
        email: Option<String>,
    },
    RenameSigningGroup {
        id: Option<String>,
        from: String,
        to: String,
    },
    SetSigningGroupEmail {
        signing_group: String,
        id: Option<String>,
        from: Option<String>,
        to: Option<String>,
    },
    /// A new user, with the one profile it will hold from the start.
    CreateUser {
        email: String,
        first_name: String,
        last_name: String,
        job_title: Option<String>,
        permission_profile: String,
    },
    /// A closed user who is desired again: reopened with the same user ID.
    ReactivateUser {
        email: String,
        id: Option<String>,
        permission_profile: String,
    },
    AddMember {
        group: String,
        group_id: Option<String>,
        email: String,
        user_id: Option<String>,
    },
    AddSigningGroupMember {
        signing_group: String,
        id: Option<String>,
        name: String,
        email: String,
    },
    UpdateUser {
        email: String,
        id: Option<String>,
        changes: Vec<Change>,
    },
    /// One replacing call: the user never holds no profile.
    ChangeProfile {
        email: String,
        id: Option<String>,
        from: String,
        to: String,
    },
    RemoveMember {
        group: String,
        group_id: Option<String>,
        email: String,
        user_id: Option<String>,
    },
    RemoveSigningGroupMember {
        signing_group: String,
        id: Option<String>,
        email: String,
    },
    CloseUser {
        email: String,
        id: Option<String>,
    },
    DeleteGroup {
        name: String,
        id: Option<String>,
    },
    DeleteSigningGroup {
        name: String,
        id: Option<String>,
    },
    /// Only once no user holds it; `move_users_to` is the safety net DocuSign's API offers.
    DeleteProfile {
        name: String,
        id: Option<String>,
        move_users_to: String,
    },
}

/// One field's before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub field: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The phases of a plan, in the order they run: profiles, then groups and signing groups,
/// then users, memberships added, attributes and profiles, memberships removed, and deletes.
///
/// Signing groups are the exception: their deletes and member removals come first. DocuSign
/// caps an account at 50 signing groups and a signing group at 50 members, and a signing
/// group grants no access, so making room first is what keeps a swap at the cap from failing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Profiles,
    SigningGroupRoom,
    GroupsAndSigningGroups,
    CreateUsers,
    AddMemberships,
    UserChanges,
    RemoveMemberships,
    CloseUsers,
    DeleteGroups,
    DeleteProfiles,
}

impl Phase {
    /// The heading a rendering shows for the phase.
    #[must_use]
    pub const fn title(self) -> &'static str {
        match self {
            Self::Profiles => "Permission profiles",
            Self::SigningGroupRoom => "Signing groups: deletes and members removed first",
            Self::GroupsAndSigningGroups => "Groups and signing groups",
            Self::CreateUsers => "New and returning users",
            Self::AddMemberships => "Memberships added",
            Self::UserChanges => "User changes",
            Self::RemoveMemberships => "Memberships removed",
            Self::CloseUsers => "Users closed",
            Self::DeleteGroups => "Groups deleted",
            Self::DeleteProfiles => "Permission profiles deleted",
        }
    }
}

impl Operation {
    /// The user a step gives a permission profile, and the profile: a create, a return, or a
    /// change.
    #[must_use]
    pub fn profile_given(&self) -> Option<(&str, &str)> {
        match self {
            Self::CreateUser {
                email,
                permission_profile,
                ..
            }
            | Self::ReactivateUser {
                email,
                permission_profile,
                ..
            }
            | Self::ChangeProfile {
                email,
                to: permission_profile,
                ..
            } => Some((email, permission_profile)),
            _ => None,
        }
    }

    #[must_use]
    pub fn phase(&self) -> Phase {
        match self {
            Self::CreateProfile { .. }
            | Self::RenameProfile { .. }
            | Self::UpdateProfileSettings { .. } => Phase::Profiles,
            Self::CreateGroup { .. }
            | Self::RenameGroup { .. }
            | Self::SetGroupProfile { .. }
            | Self::CreateSigningGroup { .. }
            | Self::RenameSigningGroup { .. }
            | Self::SetSigningGroupEmail { .. } => Phase::GroupsAndSigningGroups,
            Self::CreateUser { .. } | Self::ReactivateUser { .. } => Phase::CreateUsers,
            Self::AddMember { .. } | Self::AddSigningGroupMember { .. } => Phase::AddMemberships,
            Self::UpdateUser { .. } | Self::ChangeProfile { .. } => Phase::UserChanges,
            Self::RemoveMember { .. } => Phase::RemoveMemberships,
            Self::RemoveSigningGroupMember { .. } | Self::DeleteSigningGroup { .. } => {
                Phase::SigningGroupRoom
            }
            Self::CloseUser { .. } => Phase::CloseUsers,
            Self::DeleteGroup { .. } => Phase::DeleteGroups,
            Self::DeleteProfile { .. } => Phase::DeleteProfiles,
        }
    }
}
