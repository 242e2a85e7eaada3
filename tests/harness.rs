//! Drives the real binary against a fixture directory written into a temp dir.

use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

/// A desired-state directory under construction.
pub struct Fixture {
    dir: TempDir,
}

impl Fixture {
    pub fn new() -> Self {
        Self {
            dir: TempDir::new().expect("create a temp dir"),
        }
    }

    /// Writes `contents` to `path` (relative to the fixture root), creating folders.
    pub fn file(self, path: &str, contents: &str) -> Self {
        self.write(path, contents.as_bytes());
        self
    }

    pub fn write(&self, path: &str, contents: &[u8]) {
        let full = self.dir.path().join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("create fixture folders");
        }
        std::fs::write(full, contents).expect("write fixture file");
    }

    /// Runs `docusign-gitops ARGS` with the fixture as working directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run_in(self.dir.path(), args)
    }
}

/// The binary, isolated from the environment the tests run in: colour off so output is stable,
/// and no `DOCUSIGN_*` variable (credentials, account, guard overrides) inherited, so a
/// developer's own settings can't change a result. Every test that runs the binary starts here.
pub fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_docusign-gitops"));
    command.env("NO_COLOR", "1");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("DOCUSIGN_") {
            command.env_remove(name);
        }
    }
    command
}

/// Runs the binary in `cwd`.
pub fn run_in(cwd: &Path, args: &[&str]) -> Run {
    let output = binary()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run docusign-gitops");
    Run {
        code: output.status.code().expect("exit code, not a signal"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// What one run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code, showing both streams when it is wrong.
    #[track_caller]
    pub fn exits(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts that stderr holds every one of `needles`. Runs of white space compare equal,
    /// so a help line that miette wrapped still matches.
    #[track_caller]
    pub fn stderr_has(&self, needles: &[&str]) -> &Self {
        let haystack = squeeze(&self.stderr);
        for needle in needles {
            assert!(
                haystack.contains(&squeeze(needle)),
                "stderr lacks {needle:?}\n--- stderr\n{}",
                self.stderr
            );
        }
        self
    }

    /// Asserts that stdout holds `needle`.
    #[track_caller]
    pub fn stdout_has(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// How many diagnostics of the given severity glyph were printed (`×` errors, `⚠` warnings).
    pub fn count(&self, glyph: &str) -> usize {
        self.stderr
            .lines()
            .filter(|line| line.trim_start().starts_with(glyph))
            .count()
    }
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
