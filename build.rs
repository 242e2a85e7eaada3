//! Build script: the commit this binary is built from, for `--version`
//! (`docusign-gitops 0.1.0 (commit 1a2b3c4d5e6f)`).
//!
//! `DOCUSIGN_GITOPS_COMMIT` names it where the source is no git checkout (a container build, a
//! source archive, `.ci/run`'s copy); otherwise `git` is asked, when there is one. Neither: the
//! version says "unknown commit". Nothing is downloaded and nothing here fails the build.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=DOCUSIGN_GITOPS_COMMIT");
    let given = std::env::var("DOCUSIGN_GITOPS_COMMIT")
        .ok()
        .map(|commit| commit.trim().to_owned())
        .filter(|commit| !commit.is_empty());
    let commit = given.or_else(|| {
        watch_head();
        git(&["rev-parse", "--short=12", "HEAD"])
    });
    let described = commit.map_or_else(|| "unknown commit".to_owned(), |c| format!("commit {c}"));
    println!("cargo:rustc-env=DOCUSIGN_GITOPS_BUILT_FROM={described}");
}

/// What `git ARGS` prints in the package's folder, when git is there and it succeeds.
fn git(args: &[&str]) -> Option<String> {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let output = Command::new("git")
        .args(args)
        .current_dir(manifest)
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && !text.is_empty()).then_some(text)
}

/// Asks cargo to run this again when HEAD moves: HEAD itself (a checkout of another branch),
/// the branch it names (a commit), and packed-refs (a branch packed by `git gc`). A worktree
/// keeps HEAD in its own git folder and the branches in the shared one. Only files that exist
/// are named: cargo runs a script again on every build while a named file is missing.
fn watch_head() {
    let (Some(git_dir), Some(common)) = (
        git(&["rev-parse", "--absolute-git-dir"]),
        git(&["rev-parse", "--git-common-dir"]),
    ) else {
        return;
    };
    let git_dir = PathBuf::from(git_dir);
    let common = if Path::new(&common).is_absolute() {
        PathBuf::from(common)
    } else {
        std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(
            || PathBuf::from(&common),
            |manifest| PathBuf::from(manifest).join(&common),
        )
    };
    let mut watched = vec![git_dir.join("HEAD"), common.join("packed-refs")];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(common.join(branch));
    }
    for path in watched.into_iter().filter(|path| path.is_file()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
