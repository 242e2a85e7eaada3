//! Git: which commit of the desired state was applied, and the commit of the new state file,
//! made without touching anything else the user has staged or changed.

use std::path::{Path, PathBuf};

use git2::{ErrorCode, Index, Oid, Repository, Signature, Status, StatusOptions};

use super::StateError;

/// Who commits the state file when git has no `user.name` / `user.email` configured (CI).
const FALLBACK_NAME: &str = "docusign-gitops";
const FALLBACK_EMAIL: &str = "docusign-gitops@localhost";

/// The commit that holds the desired state in `dir` as it is on disk: HEAD of the repository
/// containing `dir`, unless a YAML file there differs from HEAD ([`uncommitted_yaml`]). `None`
/// outside a repository, before its first commit, or when no commit holds what is on disk.
#[must_use]
pub fn desired_commit(dir: &Path) -> Option<String> {
    let repo = Repository::discover(dir).ok()?;
    let head = repo.head().ok()?.peel_to_commit().ok()?;
    let clean = uncommitted_in(&repo, dir).is_ok_and(|dirty| dirty.is_empty());
    clean.then(|| head.id().to_string())
}

/// The desired-state files under `dir` (`*.yaml`, `*.yml`, outside hidden folders, as the
/// loader reads them) whose content is not HEAD's: changed, staged, new, deleted, or ignored
/// by git though docusign-gitops reads them. Empty outside a repository.
pub fn uncommitted_yaml(dir: &Path) -> Result<Vec<PathBuf>, StateError> {
    let repo = match Repository::discover(dir) {
        Ok(repo) => repo,
        Err(error) if error.code() == ErrorCode::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(StateError::git(dir, &error.message())),
    };
    uncommitted_in(&repo, dir).map_err(|error| StateError::git(dir, &error))
}

fn uncommitted_in(repo: &Repository, dir: &Path) -> Result<Vec<PathBuf>, String> {
    let workdir = repo
        .workdir()
        .ok_or("the repository has no working tree")?
        .canonicalize()
        .map_err(|err| err.to_string())?;
    let dir = dir.canonicalize().map_err(|err| err.to_string())?;
    let inside = dir.strip_prefix(&workdir).map_err(|err| err.to_string())?;
    let mut options = StatusOptions::new();
    options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(true)
        .recurse_ignored_dirs(false);
    if !inside.as_os_str().is_empty() {
        options.pathspec(inside);
    }
    let statuses = repo
        .statuses(Some(&mut options))
        .map_err(|error| error.message().to_owned())?;
    let mut dirty: Vec<PathBuf> = statuses
        .iter()
        .filter(|entry| entry.status() != Status::CURRENT)
        .filter_map(|entry| entry.path().ok().map(|path| workdir.join(path)))
        .filter(|path| is_desired_file(&dir, path))
        .collect();
    dirty.sort();
    dirty.dedup();
    Ok(dirty)
}

/// A file the desired-state loader reads: YAML under `dir`, in no hidden folder.
fn is_desired_file(dir: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(dir) else {
        return false;
    };
    let yaml = path
        .extension()
        .is_some_and(|ext| ext.eq_ignore_ascii_case("yaml") || ext.eq_ignore_ascii_case("yml"));
    let hidden = relative
        .components()
        .any(|part| part.as_os_str().to_string_lossy().starts_with('.'));
    yaml && !hidden
}

/// Commits the state file at `state_path` (and the state folder's `.gitignore`, when git
/// doesn't have it yet) on top of HEAD in the repository containing `dir`, with `message`.
///
/// Only those files go in: the new tree is HEAD's tree plus them, never the index, so whatever
/// else the user staged or changed stays as it was, staged or not. The index entries of the
/// committed files are updated too, so `git status` shows them clean. Before a repository's
/// first commit, this makes it.
///
/// Returns the commit that holds the state file: the new one, or HEAD when HEAD already holds
/// this exact content (then no commit is made). `Ok(None)` means `dir` is in no repository.
pub fn commit_state(
    dir: &Path,
    state_path: &Path,
    message: &str,
) -> Result<Option<String>, StateError> {
    // One commit at a time: a workspace's accounts are applied side by side, and a repository
    // has one index and one HEAD to move.
    static COMMITTING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = COMMITTING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let repo = match Repository::discover(dir) {
        Ok(repo) => repo,
        Err(error) if error.code() == ErrorCode::NotFound => return Ok(None),
        Err(error) => return Err(StateError::git(state_path, &error.message())),
    };
    commit_in(&repo, state_path, message)
        .map(Some)
        .map_err(|error| StateError::git(state_path, &error))
}

/// The committer: git's configured identity, else docusign-gitops itself.
fn signature(repo: &Repository) -> Result<Signature<'static>, git2::Error> {
    match repo.signature() {
        Ok(signature) => Ok(signature),
        Err(error) if error.code() == ErrorCode::NotFound => fallback_signature(),
        Err(error) => Err(error),
    }
}

fn fallback_signature() -> Result<Signature<'static>, git2::Error> {
    Signature::now(FALLBACK_NAME, FALLBACK_EMAIL)
}

fn commit_in(repo: &Repository, state_path: &Path, message: &str) -> Result<String, String> {
    let workdir = repo
        .workdir()
        .ok_or("the repository is bare; the desired state must be in a checkout")?;
    let state = relative_to(workdir, state_path)?;
    let parent = match repo.head() {
        Ok(head) => Some(head.peel_to_commit().map_err(git_reason)?),
        Err(error) if error.code() == ErrorCode::UnbornBranch => None,
        Err(error) => return Err(git_reason(error)),
    };
    let parent_tree = parent
        .as_ref()
        .map(git2::Commit::tree)
        .transpose()
        .map_err(git_reason)?;

    let mut paths = vec![state.clone()];
    if let Some(folder) = state.parent() {
        let ignore = folder.join(".gitignore");
        let tracked = parent_tree
            .as_ref()
            .is_some_and(|tree| tree.get_path(&ignore).is_ok());
        if !tracked && workdir.join(&ignore).is_file() {
            paths.push(ignore);
        }
    }

    // Stage exactly these paths in the real index, as `git add <path>` would (with git's
    // filters), and use the blobs it made, so the commit and the index agree.
    let mut index = repo.index().map_err(git_reason)?;
    for path in &paths {
        index.add_path(path).map_err(git_reason)?;
    }
    index.write().map_err(git_reason)?;
    let entries = paths
        .iter()
        .map(|path| {
            index
                .get_path(path, 0)
                .ok_or_else(|| format!("`{}` is not in the index after adding it", path.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;

    if let (Some(parent), Some(tree)) = (&parent, &parent_tree)
        && entries.len() == 1
        && tree
            .get_path(&state)
            .is_ok_and(|entry| entry.id() == entries[0].id)
    {
        return Ok(parent.id().to_string());
    }

    // HEAD's tree plus our entries, built in an index of its own: the user's index (with what
    // else they staged) never becomes the tree.
    let mut tree_index = Index::new().map_err(git_reason)?;
    if let Some(tree) = &parent_tree {
        tree_index.read_tree(tree).map_err(git_reason)?;
    }
    for entry in &entries {
        tree_index.add(entry).map_err(git_reason)?;
    }
    let tree_id: Oid = tree_index.write_tree_to(repo).map_err(git_reason)?;
    let tree = repo.find_tree(tree_id).map_err(git_reason)?;
    let signature = signature(repo).map_err(git_reason)?;
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    // Updating HEAD fails if it moved since we read it, rather than dropping a commit.
    let commit = repo
        .commit(
            Some("HEAD"),
            &signature,
            &signature,
            message,
            &tree,
            &parents,
        )
        .map_err(git_reason)?;
    Ok(commit.to_string())
}

/// `path` relative to the work tree, as the index wants it.
fn relative_to(workdir: &Path, path: &Path) -> Result<PathBuf, String> {
    let absolute = path
        .canonicalize()
        .map_err(|error| format!("can't find it: {error}"))?;
    // git2 may give the work tree through a symbolic link (a temp folder, say).
    let workdir = workdir
        .canonicalize()
        .map_err(|error| format!("can't find the work tree `{}`: {error}", workdir.display()))?;
    absolute
        .strip_prefix(&workdir)
        .map(Path::to_path_buf)
        .map_err(|_| {
            format!(
                "it is outside the repository's work tree `{}`",
                workdir.display()
            )
        })
}

// By value, to be passed to `map_err` as is.
#[allow(clippy::needless_pass_by_value)]
fn git_reason(error: git2::Error) -> String {
    error.message().to_owned()
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use git2::{Repository, Status};

    use super::{
        FALLBACK_EMAIL, FALLBACK_NAME, commit_state, desired_commit, fallback_signature,
        uncommitted_yaml,
    };
    use crate::state::path_for;

    /// A fresh repository with a committer configured in its own config, which wins over the
    /// machine's global one.
    fn repo_in(dir: &Path) -> Repository {
        let repo = Repository::init(dir).expect("git init");
        let mut config = repo.config().expect("config");
        config.set_str("user.name", "Test Bot").expect("name");
        config
            .set_str("user.email", "bot@example.com")
            .expect("email");
        repo
    }

    fn head_paths(repo: &Repository) -> Vec<String> {
        let tree = repo
            .head()
            .expect("HEAD")
            .peel_to_tree()
            .expect("HEAD's tree");
        let mut paths = Vec::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |root, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) {
                paths.push(format!("{root}{}", entry.name().unwrap_or("?")));
            }
            git2::TreeWalkResult::Ok
        })
        .expect("walk");
        paths
    }

    fn status_of(repo: &Repository, path: &str) -> Status {
        repo.status_file(Path::new(path)).expect("status")
    }

    #[test]
    fn commits_only_the_state_file_from_an_unborn_head_on() {
        let temp = tempfile::tempdir().expect("temp dir");
        let root = temp.path();
        let repo = repo_in(root);
        // The desired state lives in a subfolder of the repository.
        let dir = root.join("desired");
        let state = path_for(&dir, "acct-1");
        fs::create_dir_all(state.parent().expect("folder")).expect("state folder");
        fs::write(&state, "{\"serial\": 1}\n").expect("state");
        fs::write(state.with_file_name(".gitignore"), "*.lock\n").expect("ignore");
        fs::write(state.with_file_name("acct-1.lock"), "pid 1\n").expect("lock file");
        // Something the user staged, and something they changed without staging.
        fs::write(root.join("staged.yaml"), "users: []\n").expect("staged file");
        fs::write(dir.join("loose.yaml"), "groups: []\n").expect("loose file");
        let mut index = repo.index().expect("index");
        index.add_path(Path::new("staged.yaml")).expect("stage");
        index.write().expect("write index");

        assert_eq!(desired_commit(&dir), None, "unborn HEAD");
        let first = commit_state(&dir, &state, "state: apply 1")
            .expect("commit")
            .expect("in a repository");
        // HEAD doesn't hold the loose YAML, so no commit holds the desired state on disk.
        assert_eq!(desired_commit(&dir), None);
        assert_eq!(
            uncommitted_yaml(&dir).expect("git status"),
            [dir.canonicalize().expect("the folder").join("loose.yaml")]
        );
        assert_eq!(
            head_paths(&repo),
            [
                "desired/.docusign-gitops/state/.gitignore",
                "desired/.docusign-gitops/state/acct-1.json"
            ]
        );
        let head = repo.head().expect("HEAD").peel_to_commit().expect("commit");
        assert_eq!(head.message().ok(), Some("state: apply 1"));
        assert_eq!(head.parent_count(), 0);
        assert_eq!(head.author().name().ok(), Some("Test Bot"));

        // The user's staged file is still staged and not committed; the state is clean.
        assert_eq!(status_of(&repo, "staged.yaml"), Status::INDEX_NEW);
        assert_eq!(status_of(&repo, "desired/loose.yaml"), Status::WT_NEW);
        // Without it, HEAD holds the desired state as it is on disk.
        fs::remove_file(dir.join("loose.yaml")).expect("remove the loose file");
        assert_eq!(desired_commit(&dir).as_deref(), Some(first.as_str()));
        assert_eq!(
            status_of(&repo, "desired/.docusign-gitops/state/acct-1.json"),
            Status::CURRENT
        );
        assert_eq!(
            status_of(&repo, "desired/.docusign-gitops/state/.gitignore"),
            Status::CURRENT
        );

        // A second apply: one more commit on top, with only the state file changed.
        fs::write(&state, "{\"serial\": 2}\n").expect("state");
        fs::write(state.with_file_name(".gitignore"), "*.lock\nmine\n").expect("user's edit");
        let second = commit_state(&dir, &state, "state: apply 2")
            .expect("commit")
            .expect("in a repository");
        assert_ne!(second, first);
        let head = repo.head().expect("HEAD").peel_to_commit().expect("commit");
        assert_eq!(head.id().to_string(), second);
        assert_eq!(head.parent_id(0).expect("parent").to_string(), first);
        let mut walk = repo.revwalk().expect("revwalk");
        walk.push_head().expect("from HEAD");
        let messages: Vec<String> = walk
            .map(|id| {
                let commit = repo.find_commit(id.expect("id")).expect("commit");
                commit.message().unwrap_or_default().to_owned()
            })
            .collect();
        assert_eq!(messages, ["state: apply 2", "state: apply 1"]);
        let blob = head
            .tree()
            .expect("tree")
            .get_path(Path::new("desired/.docusign-gitops/state/acct-1.json"))
            .expect("state in the tree")
            .to_object(&repo)
            .expect("blob")
            .peel_to_blob()
            .expect("blob");
        assert_eq!(blob.content(), b"{\"serial\": 2}\n");
        // The user's edit of a tracked .gitignore is theirs to commit.
        assert_eq!(
            status_of(&repo, "desired/.docusign-gitops/state/.gitignore"),
            Status::WT_MODIFIED
        );
        assert_eq!(status_of(&repo, "staged.yaml"), Status::INDEX_NEW);
        assert_eq!(
            status_of(&repo, "desired/.docusign-gitops/state/acct-1.json"),
            Status::CURRENT
        );

        // Nothing changed: no commit, HEAD is the answer.
        let again = commit_state(&dir, &state, "state: apply 3")
            .expect("commit")
            .expect("in a repository");
        assert_eq!(again, second);
        assert_eq!(desired_commit(&dir).as_deref(), Some(second.as_str()));
    }

    #[test]
    fn outside_a_repository_nothing_is_committed() {
        let temp = tempfile::tempdir().expect("temp dir");
        // A temp folder could sit inside some repository on a developer's machine; a folder
        // that *is* not in one can't be made portably, so only assert when discovery agrees.
        if Repository::discover(temp.path()).is_ok() {
            return;
        }
        let state = path_for(temp.path(), "acct-1");
        fs::create_dir_all(state.parent().expect("folder")).expect("folder");
        fs::write(&state, "{}\n").expect("state");
        assert_eq!(
            commit_state(temp.path(), &state, "m").expect("no error"),
            None
        );
        assert_eq!(desired_commit(temp.path()), None);
    }

    #[test]
    fn a_state_file_outside_the_work_tree_is_refused() {
        let repo_dir = tempfile::tempdir().expect("temp dir");
        let elsewhere = tempfile::tempdir().expect("temp dir");
        repo_in(repo_dir.path());
        let state = elsewhere.path().join("acct-1.json");
        fs::write(&state, "{}\n").expect("state");
        let error = commit_state(repo_dir.path(), &state, "m").expect_err("outside");
        assert!(error.to_string().contains("acct-1.json"), "{error}");
        assert!(error.to_string().contains("outside"), "{error}");
    }

    #[test]
    fn the_fallback_committer_is_docusign_gitops() {
        let signature = fallback_signature().expect("signature");
        assert_eq!(signature.name().ok(), Some(FALLBACK_NAME));
        assert_eq!(signature.email().ok(), Some(FALLBACK_EMAIL));
        assert_eq!(
            signature.to_string(),
            "docusign-gitops <docusign-gitops@localhost>"
        );
    }
}
