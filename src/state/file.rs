//! Reading and writing the state file: versioned JSON, replaced atomically.

use std::path::Path;

use serde::Deserialize;

use super::{FORMAT_VERSION, RecordedState, StateError, path_for};
use crate::confined::{self, Confinement, FileError};

/// The most read of a state file: one of 100,000 users is some 50 MB; this is room to spare,
/// not a file anyone could mistake for state.
const MAX_STATE_BYTES: u64 = 512 << 20;

/// Only the format version of a state file, whatever else it holds.
#[derive(Deserialize)]
struct Version {
    format_version: u32,
}

/// Reads the state file at `path`; `Ok(None)` when there is none yet (before the first apply).
/// Only a regular file is read, never through a link in the last place, and at most a bound.
pub fn read(path: &Path) -> Result<Option<RecordedState>, StateError> {
    read_at(path, path)
}

/// Reads the state file `shown` (as the user knows it) from `real`, where it really is.
fn read_at(shown: &Path, real: &Path) -> Result<Option<RecordedState>, StateError> {
    let bytes = match confined::read_regular(real, MAX_STATE_BYTES) {
        Ok(bytes) => bytes,
        Err(error) if error.is_not_found() => return Ok(None),
        Err(error @ FileError::Io { .. }) => return Err(StateError::read(shown, &error)),
        Err(error) => return Err(StateError::refused(&error.about(shown))),
    };
    let path = shown;
    // The version first, alone: a newer format may not have this one's shape, and then
    // "upgrade" is the useful answer, not a missing field.
    let Version { format_version } = serde_json::from_slice(&bytes)
        .map_err(|error| StateError::corrupt(path, &bytes, &error))?;
    if format_version > FORMAT_VERSION {
        return Err(StateError::TooNew {
            path: path.to_path_buf(),
            found: format_version,
            supported: FORMAT_VERSION,
        });
    }
    if format_version == 0 {
        return Err(StateError::BadVersion {
            path: path.to_path_buf(),
            found: format_version,
        });
    }
    let state = serde_json::from_slice(&bytes)
        .map_err(|error| StateError::corrupt(path, &bytes, &error))?;
    Ok(Some(state))
}

/// Reads the state file of `account_id` under the desired-state directory `dir`, refusing one
/// that names another account (a copied or renamed file), and one that is (or is in a folder
/// that is) a link leading out of `dir`: its target is never read.
pub fn load(dir: &Path, account_id: &str) -> Result<Option<RecordedState>, StateError> {
    let path = path_for(dir, account_id);
    let confinement = match Confinement::of(dir) {
        Ok(confinement) => confinement,
        // Import reads the state of a directory it has yet to make.
        Err(error) if error.is_not_found() => return Ok(None),
        Err(error) => return Err(StateError::read(&path, &error)),
    };
    let state = match confinement.file(&path) {
        Ok(None) => None,
        Ok(Some(real)) => read_at(&path, &real)?,
        Err(error @ FileError::Io { .. }) => return Err(StateError::read(&path, &error)),
        Err(error) => return Err(StateError::refused(&error)),
    };
    if let Some(state) = &state
        && state.account_id != account_id
    {
        return Err(StateError::OtherAccount {
            path,
            found: state.account_id.clone(),
            expected: account_id.to_owned(),
        });
    }
    Ok(state)
}

/// Writes `state` to `path`, a file under the desired-state directory `dir`, atomically: the
/// whole new file or the old one, never a mix, even if the process dies or the machine loses
/// power. No temporary file is left behind, whatever happens.
///
/// Nothing is written outside `dir`: missing folders are created inside it, and a state file or
/// folder that is a link leading out (or a state file that is not a regular file) is refused,
/// its target left as it was. A link that stays inside is written through, so it stays a link.
pub fn write(dir: &Path, path: &Path, state: &RecordedState) -> Result<(), StateError> {
    let confinement = Confinement::of(dir).map_err(|error| StateError::write(path, &error))?;
    let (Ok(relative), Some(name)) = (path.strip_prefix(dir), path.file_name()) else {
        return Err(StateError::write(
            path,
            &"the state file is not under the desired-state directory; this is a bug, please report it",
        ));
    };
    let refused = |error: FileError| match error {
        FileError::Io { .. } => StateError::write(path, &error),
        error => StateError::refused(&error),
    };
    let dir = confinement
        .folder(relative.parent().unwrap_or(Path::new("")))
        .map_err(refused)?;
    let mut json =
        serde_json::to_vec_pretty(state).map_err(|error| StateError::write(path, &error))?;
    json.push(b'\n');
    confinement
        .write_atomic(&dir, name, &json, super::lock::TEMP_PREFIX)
        .map_err(refused)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::{Path, PathBuf};

    use super::{load, read, write};
    use crate::state::tests::sample;
    use crate::state::{FORMAT_VERSION, StateError, path_for};

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .expect("list the folder")
            .map(|entry| {
                entry
                    .expect("folder entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_missing_file_is_no_state_yet() {
        let dir = tempfile::tempdir().expect("temp dir");
        assert_eq!(read(&dir.path().join("none.json")).expect("read"), None);
        assert_eq!(load(dir.path(), "acct").expect("load"), None);
    }

    #[test]
    fn write_then_read_gives_the_same_state_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = sample();
        let path = path_for(dir.path(), &state.account_id);
        write(dir.path(), &path, &state).expect("first write");
        let mut second = state.clone();
        second.serial += 1;
        write(dir.path(), &path, &second).expect("write over the first");

        assert_eq!(read(&path).expect("read"), Some(second.clone()));
        assert_eq!(
            load(dir.path(), &state.account_id).expect("load"),
            Some(second)
        );
        let folder = path.parent().expect("state folder");
        assert_eq!(names_in(folder), [format!("{}.json", state.account_id)]);
        let text = fs::read_to_string(&path).expect("read text");
        assert!(
            text.ends_with("}\n"),
            "pretty JSON with a final newline: {text:?}"
        );
        assert!(text.contains("\n  \"serial\": "), "pretty JSON: {text}");
    }

    #[cfg(unix)]
    #[test]
    fn the_state_file_is_not_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("state.json");
        write(dir.path(), &path, &sample()).expect("write");
        // Whatever the umask, the state file reads like any file created here (minus execute
        // and others' write bits), not like tempfile's private 0600.
        let plain = dir.path().join("plain");
        fs::write(&plain, "x").expect("plain file");
        let mode_of = |path: &Path| fs::metadata(path).expect("metadata").permissions().mode();
        assert_eq!(mode_of(&path) & 0o777, mode_of(&plain) & 0o644);
    }

    #[test]
    fn a_failed_write_leaves_no_temp_file_and_names_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        // The target is a non-empty folder, so the final rename must fail after the
        // temporary file was written.
        let path = dir.path().join("state.json");
        fs::create_dir(&path).expect("folder in the way");
        fs::write(path.join("keep"), "x").expect("file in the folder");

        let error = write(dir.path(), &path, &sample()).expect_err("can't replace a folder");
        assert!(matches!(error, StateError::Refused { .. }), "{error:?}");
        assert!(error.to_string().contains("state.json"), "{error}");
        assert_eq!(names_in(dir.path()), ["state.json"]);
    }

    /// What reading a state file that holds `text` is refused with, the file's path, and the
    /// folder it is in (removed when dropped).
    fn refusal(text: &str) -> (StateError, PathBuf, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("acct.json");
        fs::write(&path, text).expect("write");
        let error = read(&path).expect_err("refused");
        (error, path, dir)
    }

    fn help_of(error: &StateError) -> String {
        miette::Diagnostic::help(error).expect("a help").to_string()
    }

    fn sample_json() -> serde_json::Value {
        serde_json::to_value(sample()).expect("to JSON")
    }

    #[test]
    fn a_truncated_file_is_refused_naming_the_file_and_line() {
        let text = serde_json::to_string_pretty(&sample_json()).expect("text");
        let cut = text.find("\"users\"").expect("users in the file");
        let lines = text[..cut].lines().count();

        let (error, path, _dir) = refusal(&text[..cut + 5]);
        let StateError::Corrupt { line, .. } = &error else {
            panic!("not a corrupt-file error: {error:?}");
        };
        assert_eq!(*line, lines);
        let message = error.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains(&format!("line {lines}")), "{message}");
        assert!(help_of(&error).contains("git"), "{error:?}");
    }

    #[test]
    fn a_wrong_shape_is_refused_with_the_field() {
        let mut json = sample_json();
        json.as_object_mut().expect("object").remove("lineage");
        let (error, _, _dir) = refusal(&json.to_string());
        assert!(matches!(error, StateError::Corrupt { .. }), "{error:?}");
        assert!(error.to_string().contains("lineage"), "{error}");
    }

    #[test]
    fn an_empty_file_is_refused() {
        let (error, _, _dir) = refusal("");
        assert!(
            matches!(error, StateError::Corrupt { line: 1, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn a_newer_format_is_refused_asking_for_an_upgrade() {
        // A future format may look nothing like this one; only the version is read.
        let (error, _, _dir) = refusal(&format!(
            "{{\"format_version\": {}, \"objects\": []}}\n",
            FORMAT_VERSION + 1
        ));
        assert!(matches!(error, StateError::TooNew { .. }), "{error:?}");
        assert!(
            help_of(&error).contains("upgrade docusign-gitops"),
            "{error:?}"
        );
    }

    #[test]
    fn version_zero_is_refused() {
        let mut json = sample_json();
        json["format_version"] = 0.into();
        let (error, _, _dir) = refusal(&json.to_string());
        assert!(
            matches!(error, StateError::BadVersion { found: 0, .. }),
            "{error:?}"
        );
    }

    #[test]
    fn a_file_of_another_account_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = sample();
        write(dir.path(), &path_for(dir.path(), "other"), &state).expect("write");
        let error = load(dir.path(), "other").expect_err("another account's state");
        assert!(
            matches!(error, StateError::OtherAccount { .. }),
            "{error:?}"
        );
        assert!(error.to_string().contains(&state.account_id), "{error}");
    }
}
