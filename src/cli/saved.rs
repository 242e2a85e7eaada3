//! Reading a saved plan (`apply --plan`): one account's, or a workspace's (every account's, as
//! `plan` on a workspace saves them). Its content never reaches an error message.

use std::io::Read as _;
use std::path::Path;

use crate::cli::error::CliError;
use crate::plan::{self, Plan};

/// A saved plan larger than this is refused unread. Far above any real plan (a plan that
/// changes 100,000 users is tens of MB), it keeps a hostile file from filling memory.
const MAX_PLAN_BYTES: u64 = 256 * 1024 * 1024;

/// One account of a workspace's saved plan: its name, and its plan or why it has none.
pub type AccountEntry = (String, Result<Plan, String>);

/// A saved plan file: one account's (`plan --out`), or a workspace's (`plan WORKSPACE --out`:
/// each account's plan under its name, or none where planning it failed).
#[derive(Debug)]
pub enum Saved {
    One(Box<Plan>),
    /// Each account's plan, or why there is none (planning it failed).
    Accounts(Vec<AccountEntry>),
}

impl Saved {
    /// The plan of the workspace account `name` (letter case aside), from a workspace's file.
    ///
    /// # Errors
    /// When the file is one account's, or holds no plan for `name`.
    pub fn of_account(&self, path: &Path, name: &str) -> Result<Plan, CliError> {
        let Self::Accounts(accounts) = self else {
            return Err(CliError::SavedPlanKind {
                path: path.to_path_buf(),
                holds: "one account's plan",
                wanted: "a workspace's plan, which `plan WORKSPACE --out PLAN.json` saves",
            });
        };
        match accounts
            .iter()
            .find(|(account, _)| account.trim().eq_ignore_ascii_case(name.trim()))
        {
            Some((_, Ok(plan))) => Ok(plan.clone()),
            Some((_, Err(_))) => Err(CliError::SavedPlanLacksAccount {
                path: path.to_path_buf(),
                account: name.to_owned(),
                why: "planning it had failed",
            }),
            None => Err(CliError::SavedPlanLacksAccount {
                path: path.to_path_buf(),
                account: name.to_owned(),
                why: "the workspace had no such account when it was planned",
            }),
        }
    }

    /// The plan of a folder of one account, from a file of one account's plan.
    ///
    /// # Errors
    /// When the file is a workspace's.
    pub fn alone(self, path: &Path) -> Result<Plan, CliError> {
        match self {
            Self::One(plan) => Ok(*plan),
            Self::Accounts(_) => Err(CliError::SavedPlanKind {
                path: path.to_path_buf(),
                holds: "a workspace's plans",
                wanted: "one account's plan, which `plan DIR --out PLAN.json` saves",
            }),
        }
    }
}

/// Reads a saved plan: a regular file of one account's plan, or of a workspace's, each of this
/// format version. Its content never reaches an error message (the path may lead to any file),
/// and it is trusted for nothing: apply checks each plan against the one it makes itself.
pub fn read_saved(path: &Path) -> Result<Saved, CliError> {
    let bytes = read_plan_bytes(path)?;
    let workspace = bytes
        .iter()
        .find(|byte| !byte.is_ascii_whitespace())
        .is_some_and(|byte| *byte == b'[');
    if workspace {
        read_accounts(path, &bytes).map(Saved::Accounts)
    } else {
        read_one(path, &bytes).map(|plan| Saved::One(Box::new(plan)))
    }
}

/// A workspace's plans: `[{account, plan} | {account, error}]`, each plan of this format.
fn read_accounts(path: &Path, bytes: &[u8]) -> Result<Vec<AccountEntry>, CliError> {
    // The versions first, as for one plan: another format is refused as such.
    #[derive(serde::Deserialize)]
    struct Versioned {
        plan: Option<Version>,
    }
    #[derive(serde::Deserialize)]
    struct Version {
        format_version: u32,
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Entry {
        account: String,
        plan: Option<Plan>,
        error: Option<String>,
    }
    let versions: Vec<Versioned> =
        serde_json::from_slice(bytes).map_err(|err| not_a_plan(path, &err))?;
    if let Some(found) = versions
        .iter()
        .filter_map(|entry| entry.plan.as_ref())
        .map(|version| version.format_version)
        .find(|found| *found != plan::FORMAT_VERSION)
    {
        return Err(CliError::PlanFormat {
            path: path.to_path_buf(),
            found,
            supported: plan::FORMAT_VERSION,
        });
    }
    let entries: Vec<Entry> =
        serde_json::from_slice(bytes).map_err(|err| not_a_plan(path, &err))?;
    Ok(entries
        .into_iter()
        .map(|entry| {
            let plan = entry
                .plan
                .ok_or_else(|| entry.error.unwrap_or_else(|| "no plan".to_owned()));
            (entry.account, plan)
        })
        .collect())
}

/// Reads one account's plan, of this format version.
fn read_one(path: &Path, bytes: &[u8]) -> Result<Plan, CliError> {
    // The version first, on its own: a plan of another format is refused as such, not for
    // the fields it lacks.
    #[derive(serde::Deserialize)]
    struct Version {
        format_version: u32,
    }
    let Version { format_version } =
        serde_json::from_slice(bytes).map_err(|err| not_a_plan(path, &err))?;
    if format_version != plan::FORMAT_VERSION {
        return Err(CliError::PlanFormat {
            path: path.to_path_buf(),
            found: format_version,
            supported: plan::FORMAT_VERSION,
        });
    }
    serde_json::from_slice(bytes).map_err(|err| not_a_plan(path, &err))
}

fn read_plan_bytes(path: &Path) -> Result<Vec<u8>, CliError> {
    let cant_read = |err: std::io::Error| CliError::PlanUnreadable {
        path: path.to_path_buf(),
        reason: err.to_string(),
    };
    // Judged before opening, so a FIFO or a device never blocks or streams forever.
    let metadata = std::fs::metadata(path).map_err(cant_read)?;
    if !metadata.is_file() {
        return Err(CliError::PlanNotAFile {
            path: path.to_path_buf(),
        });
    }
    let too_big = || CliError::PlanTooLarge {
        path: path.to_path_buf(),
        megabytes: MAX_PLAN_BYTES / (1024 * 1024),
    };
    if metadata.len() > MAX_PLAN_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_PLAN_BYTES + 1).read_to_end(&mut bytes))
        .map_err(cant_read)?;
    if bytes.len() as u64 > MAX_PLAN_BYTES {
        return Err(too_big());
    }
    Ok(bytes)
}

/// Says where the file stops being a plan, never what it holds: serde quotes the values it
/// rejects, and the path may lead to a file of secrets.
fn not_a_plan(path: &Path, err: &serde_json::Error) -> CliError {
    let what = match err.classify() {
        serde_json::error::Category::Io => "it can't be read",
        serde_json::error::Category::Syntax => "it is not JSON",
        serde_json::error::Category::Eof => "it ends too early",
        serde_json::error::Category::Data => {
            "a field is missing, unknown, or not of the plan's shape"
        }
    };
    CliError::NotAPlan {
        path: path.to_path_buf(),
        what,
        line: err.line(),
        column: err.column(),
    }
}
