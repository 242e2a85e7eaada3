//! The apply lock: one apply at a time per account in a checkout, released by the OS when the
//! holding process ends, however it ends.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read as _, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use super::{STATE_DIR, StateError};
use crate::confined::{self, Confinement, FileError};

/// Most of a holder's description we show; the file is ours, but anyone can write into it.
const MAX_HOLDER_LEN: usize = 300;

/// An exclusive advisory lock on `<DIR>/.docusign-gitops/state/<account-id>.lock`, held while
/// this value lives.
///
/// The lock is the OS's (`flock` on Unix, `LockFileEx` on Windows), not the file's existence:
/// a killed process can't leave a stale lock behind. The file stays after release, because
/// deleting a lock file races with a process that has just opened it; a `.gitignore` beside it
/// keeps it out of git.
#[derive(Debug)]
pub struct Lock {
    file: File,
    path: PathBuf,
}

impl Lock {
    /// Takes the apply lock of `account_id` under the desired-state directory `dir`, or fails at
    /// once, saying who holds it.
    ///
    /// The lock file is opened only as a regular file in its folder, never through a link: a
    /// lock file or folder that is a link (a pull request can commit one) is refused, and the
    /// file it points to is left untouched.
    pub fn acquire(dir: &Path, account_id: &str) -> Result<Self, StateError> {
        let name = format!("{account_id}.lock");
        let path = dir.join(STATE_DIR).join(&name);
        let refused = |error: FileError| match error {
            FileError::Io { .. } => StateError::lock(&path, &error),
            error => StateError::refused(&error),
        };
        let confinement = Confinement::of(dir).map_err(refused)?;
        let folder = confinement.folder(Path::new(STATE_DIR)).map_err(refused)?;
        ignore_locks(&folder).map_err(|error| StateError::lock(&path, &error))?;
        let real = folder.join(&name);
        if fs::symlink_metadata(&real).is_ok_and(|metadata| metadata.file_type().is_symlink()) {
            // Say where it leads when that is outside; a link inside is refused all the same.
            confinement
                .resolve(&real)
                .map_err(|error| refused(error.about(&path)))?;
            return Err(refused(FileError::NotRegular {
                path: path.clone(),
                kind: "a link",
            }));
        }

        // Not truncated on open: until we hold the lock, the description is the holder's.
        let mut file = confined::open_regular(
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false),
            &real,
        )
        .map_err(|error| refused(error.about(&path)))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(StateError::Locked {
                    holder: holder_of(&mut file),
                    path,
                });
            }
            Err(TryLockError::Error(error)) => return Err(StateError::lock(&path, &error)),
        }
        describe_holder(&mut file).map_err(|error| StateError::lock(&path, &error))?;
        remove_abandoned_writes(&folder);
        Ok(Self {
            file,
            path: path.clone(),
        })
    }

    /// The lock file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// How the temporary file of a state write is named, so a killed one is found.
pub(super) const TEMP_PREFIX: &str = ".state-";

/// Temporary files of a state write that a killed apply never renamed. Only the lock holder
/// writes state, so once we hold it, any such file is abandoned.
fn remove_abandoned_writes(folder: &Path) {
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(TEMP_PREFIX) && name.ends_with(".tmp") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Clear the description first, so a reader never sees a released lock's holder. Closing
        // the file releases the lock anyway; unlocking is only explicit.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// Writes `*.lock` into the state folder's `.gitignore`, unless a `.gitignore` is already there
/// (then it is the user's, and left alone).
fn ignore_locks(folder: &Path) -> io::Result<()> {
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(folder.join(".gitignore"))
    {
        Ok(mut file) => {
            file.write_all(b"# Apply locks of docusign-gitops; never committed.\n*.lock\n")
        }
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}

/// Replaces the lock file's content with who we are, for the next apply's error message.
fn describe_holder(file: &mut File) -> io::Result<()> {
    let host = fs::read_to_string("/etc/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "an unknown host".to_owned());
    let user = std::env::var("USER").ok();
    let since = jiff::Timestamp::now();
    let since = jiff::Timestamp::from_second(since.as_second()).unwrap_or(since);
    let description = holder_description(std::process::id(), user.as_deref(), &host, since);
    file.set_len(0)?;
    file.rewind()?;
    file.write_all(description.as_bytes())?;
    file.flush()
}

/// How a holder describes itself: its process, its user when the environment names one, its
/// host, and since when.
fn holder_description(pid: u32, user: Option<&str>, host: &str, since: jiff::Timestamp) -> String {
    let user = user
        .map(str::trim)
        .filter(|user| !user.is_empty())
        .map_or_else(String::new, |user| format!(" of user `{user}`"));
    format!("docusign-gitops process {pid}{user} on host `{host}`, since {since}\n")
}

/// Who holds the lock, as its holder described itself.
fn holder_of(file: &mut File) -> String {
    let mut text = String::new();
    // A holder that is still writing, or a file that isn't text, reads as unknown.
    let read = file
        .rewind()
        .and_then(|()| file.take(4096).read_to_string(&mut text));
    let text = text.trim();
    if read.is_err() || text.is_empty() {
        return "a process that has not said who it is".to_owned();
    }
    if text.len() > MAX_HOLDER_LEN {
        let mut end = MAX_HOLDER_LEN;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        return format!("{}…", &text[..end]);
    }
    text.to_owned()
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::{Lock, holder_description};
    use crate::state::StateError;

    #[test]
    fn a_held_lock_refuses_a_second_apply_naming_the_holder() {
        let dir = tempfile::tempdir().expect("temp dir");
        let lock = Lock::acquire(dir.path(), "acct-1").expect("first lock");
        let described = fs::read_to_string(lock.path()).expect("read the lock file");
        assert!(
            described.contains(&format!("process {} ", std::process::id())),
            "{described}"
        );

        // A second handle on the same file, as another process would have: on Linux flock
        // locks belong to the open file, so they conflict even within one process.
        let error = Lock::acquire(dir.path(), "acct-1").expect_err("already held");
        let StateError::Locked { holder, path } = &error else {
            panic!("not a held-lock error: {error:?}");
        };
        assert_eq!(path, lock.path());
        assert!(holder.contains(&std::process::id().to_string()), "{holder}");
        assert!(error.to_string().contains("acct-1.lock"), "{error}");
        let help = miette::Diagnostic::help(&error)
            .expect("a help")
            .to_string();
        assert!(help.contains("released when that process ends"), "{help}");

        // Another account has its own lock.
        Lock::acquire(dir.path(), "acct-2").expect("another account");
    }

    #[test]
    fn dropping_the_lock_releases_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let lock = Lock::acquire(dir.path(), "acct-1").expect("first lock");
        let path = lock.path().to_path_buf();
        drop(lock);
        assert_eq!(fs::read_to_string(&path).expect("lock file stays"), "");
        let again = Lock::acquire(dir.path(), "acct-1").expect("free again");
        assert!(!fs::read_to_string(again.path()).expect("read").is_empty());
    }

    #[test]
    fn lock_files_are_ignored_by_git_but_a_users_gitignore_is_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let lock = Lock::acquire(dir.path(), "acct-1").expect("lock");
        let ignore = lock.path().with_file_name(".gitignore");
        let text = fs::read_to_string(&ignore).expect("a .gitignore");
        assert!(text.lines().any(|line| line == "*.lock"), "{text}");
        drop(lock);

        fs::write(&ignore, "mine\n").expect("user's own");
        let _lock = Lock::acquire(dir.path(), "acct-1").expect("lock");
        assert_eq!(fs::read_to_string(&ignore).expect("read"), "mine\n");
    }

    #[test]
    fn taking_the_lock_removes_only_the_abandoned_state_writes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let folder = dir.path().join(crate::state::STATE_DIR);
        fs::create_dir_all(&folder).expect("the state folder");
        for name in [".state-1a2b.tmp", "notes.tmp", ".state-notes.txt"] {
            fs::write(folder.join(name), "x").expect("a file");
        }
        let _lock = Lock::acquire(dir.path(), "acct-1").expect("lock");
        assert!(
            !folder.join(".state-1a2b.tmp").exists(),
            "abandoned write left"
        );
        for kept in ["notes.tmp", ".state-notes.txt"] {
            assert!(folder.join(kept).exists(), "{kept} was removed");
        }
    }

    /// What a lock file holds, as `holder_of` reads it.
    fn holder_reading(content: &[u8]) -> String {
        use std::io::Write as _;
        let mut file = tempfile::tempfile().expect("a temp file");
        file.write_all(content).expect("write");
        super::holder_of(&mut file)
    }

    #[test]
    fn a_holder_that_said_nothing_is_named_as_such() {
        assert_eq!(holder_reading(b""), "a process that has not said who it is");
        assert_eq!(
            holder_reading(b" \n"),
            "a process that has not said who it is"
        );
        assert_eq!(
            holder_reading(&[0xff, 0xfe]),
            "a process that has not said who it is"
        );
    }

    #[test]
    fn a_long_description_is_cut_on_a_character_boundary() {
        let max = super::MAX_HOLDER_LEN;
        let exact = "a".repeat(max);
        assert_eq!(
            holder_reading(exact.as_bytes()),
            exact,
            "at the bound: whole"
        );
        // Two-byte characters from one byte in: the bound falls inside one.
        let long = format!("a{}", "é".repeat(max));
        let cut = holder_reading(long.as_bytes());
        let kept = cut.strip_suffix('…').expect("cut, with an ellipsis");
        assert!(
            kept.len() <= max && kept.len() >= max - 1,
            "{} bytes kept",
            kept.len()
        );
        assert!(long.starts_with(kept));
    }

    #[test]
    fn a_holder_with_no_user_in_its_environment_names_none() {
        let since = jiff::Timestamp::from_second(1_767_604_800).expect("a time");
        assert_eq!(
            holder_description(42, None, "ci-runner", since),
            "docusign-gitops process 42 on host `ci-runner`, since 2026-01-05T09:20:00Z\n"
        );
        assert_eq!(
            holder_description(42, Some(" "), "ci-runner", since),
            holder_description(42, None, "ci-runner", since)
        );
        assert_eq!(
            holder_description(42, Some("ana"), "laptop", since),
            "docusign-gitops process 42 of user `ana` on host `laptop`, since 2026-01-05T09:20:00Z\n"
        );
    }
}
