//! Recorded state: what the last apply left, in `<DIR>/.docusign-gitops/state/<account-id>.json`
//! (a versioned format with a lineage and a serial), the lock that keeps two applies apart, and
//! the git commit of the state file.

mod error;
pub mod file;
pub mod git;
pub mod lock;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use error::StateError;
pub use lock::Lock;

use crate::model::{Account, BuiltinProfile, EmailKey, NameKey};

/// The state file format this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// The folder of the state files and locks, under the desired-state directory. The YAML loader
/// skips hidden folders, so nothing in it is mistaken for desired state.
const STATE_DIR: &str = ".docusign-gitops/state";

/// What the last apply left for one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedState {
    pub format_version: u32,
    /// A UUID (v4) fixed at the first apply; a state file from another lineage is refused.
    pub lineage: String,
    /// +1 per apply.
    pub serial: u64,
    pub account_id: String,
    /// "demo", "production" or "emulator".
    pub environment: String,
    /// The git commit of the desired state that was applied, when known.
    pub desired_commit: Option<String>,
    /// SHA-256 (hex) of the applied plan's JSON.
    pub plan_hash: String,
    /// RFC 3339 UTC time of the apply.
    pub applied_at: String,
    /// DocuSign Viewer's profile ID, pinned once found (rule 2).
    pub viewer_profile_id: Option<String>,
    /// The managed objects as DocuSign holds them after the apply: IDs and last-applied
    /// attributes, keyed by stable key.
    pub objects: Account,
    /// Live objects that were neither managed nor named by the YAML when this state was
    /// written, so `drift` can tell an unmanaged object that appeared since from an old one.
    #[serde(default)]
    pub unmanaged: UnmanagedKeys,
    /// The managed users a `sync` source generated (under `generated/`) when this state was
    /// written, so a later plan can tell a leaver of the directory from a user removed by hand.
    /// Left out when empty, so a state file with no generated users reads as it always did.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub generated: BTreeSet<EmailKey>,
}

/// What one apply did, to record on top of the state it started from.
#[derive(Clone, Debug)]
pub struct Applied<'a> {
    /// The git commit of the applied desired state, when known ([`git::desired_commit`]).
    pub desired_commit: Option<String>,
    /// The applied plan, as the JSON the plan file holds; only its hash is recorded.
    pub plan_json: &'a [u8],
    /// When the apply ran.
    pub at: jiff::Timestamp,
    /// DocuSign Viewer's profile ID, if the apply found it.
    pub viewer_profile_id: Option<String>,
    /// The managed objects after the apply.
    pub objects: Account,
}

impl RecordedState {
    /// The state before an account's first apply: a fresh lineage at serial 0, with no objects.
    /// It is never written as is; the first apply records its [`next`](Self::next), serial 1.
    #[must_use]
    pub fn first(account_id: &str, environment: &str) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            account_id: account_id.to_owned(),
            environment: environment.to_owned(),
            desired_commit: None,
            plan_hash: String::new(),
            applied_at: String::new(),
            viewer_profile_id: None,
            objects: Account::default(),
            unmanaged: UnmanagedKeys::default(),
            generated: BTreeSet::new(),
        }
    }

    /// The state an apply leaves: same lineage, account and environment, serial + 1, in the
    /// format this build writes. Viewer's ID stays pinned once known; the apply's is used only
    /// when none was pinned yet.
    #[must_use]
    pub fn next(&self, applied: Applied<'_>) -> Self {
        let Applied {
            desired_commit,
            plan_json,
            at,
            viewer_profile_id,
            objects,
        } = applied;
        // Whole seconds: the state file is read by people and diffed in git.
        let at = jiff::Timestamp::from_second(at.as_second()).unwrap_or(at);
        Self {
            format_version: FORMAT_VERSION,
            lineage: self.lineage.clone(),
            serial: self.serial.saturating_add(1),
            account_id: self.account_id.clone(),
            environment: self.environment.clone(),
            desired_commit,
            plan_hash: plan_hash(plan_json),
            applied_at: at.to_string(),
            viewer_profile_id: self.viewer_profile_id.clone().or(viewer_profile_id),
            objects,
            unmanaged: self.unmanaged.clone(),
            generated: self.generated.clone(),
        }
    }

    /// Lets go of the generated users `released` says the tool no longer manages (`sync`'s
    /// `leavers: leave_out`, for someone who left the directory): from here on they are
    /// unmanaged users like any other, left to `policy.unmanaged_users`, not closed as users
    /// removed from the YAML would be.
    pub fn release(&mut self, released: impl Fn(&EmailKey) -> bool) {
        let leaving: Vec<EmailKey> = self
            .generated
            .iter()
            .filter(|key| released(key))
            .cloned()
            .collect();
        for key in leaving {
            self.generated.remove(&key);
            if self.objects.users.remove(&key).is_some() {
                self.unmanaged.users.insert(key);
            }
        }
    }

    /// The state that follows this one now that DocuSign holds `live`, with `managed` as the
    /// managed objects (an apply's or an import's). DocuSign Viewer is kept among them, pinned
    /// by ID, even when the YAML doesn't name it (rule 2); the rest of `live` is noted as
    /// unmanaged, so `drift` can tell it was already there.
    #[must_use]
    pub fn after(
        &self,
        live: &Account,
        mut managed: Account,
        desired_commit: Option<String>,
        plan_json: &[u8],
        at: jiff::Timestamp,
    ) -> Self {
        if let Some((key, viewer)) = live.builtin_profile(BuiltinProfile::DocuSignViewer) {
            managed
                .permission_profiles
                .entry(key.clone())
                .or_insert_with(|| viewer.clone());
        }
        let viewer_profile_id = managed
            .builtin_profile(BuiltinProfile::DocuSignViewer)
            .and_then(|(_, viewer)| viewer.id.clone());
        let mut next = self.next(Applied {
            desired_commit,
            plan_json,
            at,
            viewer_profile_id,
            objects: managed,
        });
        next.unmanaged = UnmanagedKeys::of(live, &next.objects);
        next
    }
}

/// The keys of live objects outside the managed set (closed users and built-ins aside).
/// A kind missing from the file is empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnmanagedKeys {
    pub permission_profiles: BTreeSet<NameKey>,
    pub groups: BTreeSet<NameKey>,
    pub signing_groups: BTreeSet<NameKey>,
    pub users: BTreeSet<EmailKey>,
}

impl UnmanagedKeys {
    /// What of `live` is outside `managed`.
    #[must_use]
    pub fn of(live: &Account, managed: &Account) -> Self {
        use crate::model::{BuiltinGroup, UserStatus};
        Self {
            permission_profiles: outside(
                &live.permission_profiles,
                &managed.permission_profiles,
                |profile| BuiltinProfile::from_name(&profile.name).is_none(),
            ),
            groups: outside(&live.groups, &managed.groups, |group| {
                BuiltinGroup::from_name(&group.name).is_none()
            }),
            signing_groups: outside(&live.signing_groups, &managed.signing_groups, |_| true),
            users: outside(&live.users, &managed.users, |user| {
                user.status != UserStatus::Closed
            }),
        }
    }
}

/// The keys of `live` that `managed` lacks, of the objects `counted` keeps.
fn outside<K: Ord + Clone, V>(
    live: &BTreeMap<K, V>,
    managed: &BTreeMap<K, V>,
    counted: impl Fn(&V) -> bool,
) -> BTreeSet<K> {
    live.iter()
        .filter(|(key, object)| !managed.contains_key(*key) && counted(object))
        .map(|(key, _)| key.clone())
        .collect()
}

/// Where the state file of `account_id` lives under the desired-state directory `dir`.
#[must_use]
pub fn path_for(dir: &Path, account_id: &str) -> PathBuf {
    dir.join(STATE_DIR).join(format!("{account_id}.json"))
}

/// What `import` records in place of a plan: its hash marks a state import wrote.
pub const IMPORT_PLAN: &[u8] = b"import";

impl RecordedState {
    /// Whether `import` wrote this state (no apply has run since).
    #[must_use]
    pub fn is_import(&self) -> bool {
        self.plan_hash == plan_hash(IMPORT_PLAN)
    }
}

/// SHA-256 of a plan's JSON, as lowercase hex.
#[must_use]
pub fn plan_hash(plan_json: &[u8]) -> String {
    format!("{:x}", Sha256::digest(plan_json))
}

#[cfg(test)]
mod tests;
