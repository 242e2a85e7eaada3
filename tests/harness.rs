//! Drives the real binary, cut off from the environment the tests run in, in temp dirs: a
//! fixture written file by file, or a copy of a committed folder. Every test that runs the
//! binary starts it through [`Cli`] (or a [`Fixture`], which holds one), so none can forget
//! to cut it off.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use docusign_gitops::emulator::Running;
use tempfile::TempDir;

use crate::emulator_support::TOKEN;

/// How a test runs the binary: with an environment of its own (see [`isolated`]) holding only
/// the settings the test gives it here.
#[derive(Clone, Debug, Default)]
pub struct Cli {
    /// Set (`Some`) or taken away (`None`), in order, on top of the isolated environment.
    env: Vec<(String, Option<OsString>)>,
}

impl Cli {
    /// The binary with no settings but what the harness gives every run.
    pub fn new() -> Self {
        Self::default()
    }

    /// The binary pointed at `running` through the environment alone, as CI would be: the
    /// emulator as auth server (discovery through its userinfo), [`TOKEN`] and the account it
    /// serves first.
    pub fn emulator(running: &Running) -> Self {
        Self::new()
            .env("DOCUSIGN_AUTH_SERVER", &running.url)
            .env("DOCUSIGN_ACCESS_TOKEN", TOKEN)
            .env("DOCUSIGN_ACCOUNT_ID", running.account_id())
    }

    /// Sets `name` for every run, replacing what an earlier setting (or the harness) gave it.
    pub fn env(mut self, name: &str, value: impl AsRef<OsStr>) -> Self {
        self.env
            .push((name.to_owned(), Some(value.as_ref().to_owned())));
        self
    }

    /// Leaves `name` out of every run, even what an earlier setting (or the harness) gave it.
    pub fn without(mut self, name: &str) -> Self {
        self.env.push((name.to_owned(), None));
        self
    }

    /// `docusign-gitops ARGS` in the test's own folder, not yet started: for a test that
    /// needs more than [`Cli::run`] (a folder of its own, a pseudo-terminal, a process it
    /// kills or talks to).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = isolated(Command::new(env!("CARGO_BIN_EXE_docusign-gitops")));
        command.args(args);
        for (name, value) in &self.env {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        command
    }

    /// Runs `docusign-gitops ARGS` in `dir` to its end.
    pub fn run(&self, dir: &Path, args: &[&str]) -> Run {
        Run::of(self.command(args).current_dir(dir))
    }
}

/// A desired-state directory under construction, and how the binary is run in it.
pub struct Fixture {
    dir: TempDir,
    cli: Cli,
}

impl Fixture {
    pub fn new() -> Self {
        Self {
            dir: TempDir::new().expect("create a temp dir"),
            cli: Cli::new(),
        }
    }

    /// A copy of the committed folder `relative` (from the crate root); see [`copy_into`].
    pub fn copy_of(relative: &str) -> Self {
        let fixture = Self::new();
        copy_into(relative, fixture.path());
        fixture
    }

    /// Runs the binary against the emulator `running`; see [`Cli::emulator`].
    pub fn emulator(self, running: &Running) -> Self {
        self.with(Cli::emulator(running))
    }

    /// Runs the binary as `cli` says.
    pub fn with(self, cli: Cli) -> Self {
        Self { cli, ..self }
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

    /// The fixture's root.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `docusign-gitops ARGS` with the fixture as working directory, not yet started.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = self.cli.command(args);
        command.current_dir(self.path());
        command
    }

    /// Runs `docusign-gitops ARGS` with the fixture as working directory.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::of(&mut self.command(args))
    }
}

/// The crate root, where the committed examples and scenarios are.
pub fn crate_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Copies the committed folder `relative` (from the crate root) into `to`, leaving out every
/// `.docusign-gitops/` folder, so a test runs the binary on the inputs alone.
///
/// That folder is where the tool keeps what a run leaves next to the YAML (the recorded state,
/// the account `apply --emulator` keeps, the lock), and the only place it writes there unasked.
/// A developer's earlier `apply --emulator examples/desired-state` would otherwise turn the
/// sample's planned changes into "No changes". Everything else is copied as it is, untracked
/// files too: nothing but the tool writes into these folders, and a file being added should be
/// tested before it is committed (a git-tracked-only copy would skip it silently, and would
/// need a git checkout, which the copy `.ci/run` tests in is not).
pub fn copy_into(relative: &str, to: &Path) {
    let from = crate_root().join(relative);
    assert!(from.is_dir(), "`{}` is not a folder", from.display());
    copy_tree(&from, to);
}

/// The name of the folder the tool keeps its own files in, next to the YAML.
const TOOL_FOLDER: &str = ".docusign-gitops";

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|err| panic!("create `{}`: {err}", to.display()));
    let entries =
        std::fs::read_dir(from).unwrap_or_else(|err| panic!("list `{}`: {err}", from.display()));
    for entry in entries {
        let entry = entry.expect("a folder entry");
        let name = entry.file_name();
        let kind = entry.file_type().expect("a file type");
        if kind.is_dir() {
            if name != TOOL_FOLDER {
                copy_tree(&entry.path(), &to.join(&name));
            }
        } else {
            std::fs::copy(entry.path(), to.join(&name))
                .unwrap_or_else(|err| panic!("copy `{}`: {err}", entry.path().display()));
        }
    }
}

/// What a run of the binary keeps from the test's environment: what lets a process start, be
/// measured and put temporary files somewhere (the loader's search paths, Windows' system
/// folder, coverage output, the temp folder) and what a panic prints. None of it changes what
/// the tool does.
const PASSED_THROUGH: [&str; 9] = [
    "PATH",
    "LD_LIBRARY_PATH",
    "DYLD_FALLBACK_LIBRARY_PATH",
    "SYSTEMROOT",
    "TMPDIR",
    "TMP",
    "TEMP",
    "LLVM_PROFILE_FILE",
    "RUST_BACKTRACE",
];

/// `command` with an environment of its own: of the test's, only [`PASSED_THROUGH`] is kept.
///
/// The rest is dropped because some of it changes results: DocuSign credentials, the account
/// and guard allowances (`DOCUSIGN_*`, `DOCUSIGN_GITOPS_*`); proxies, which reqwest would send
/// the emulator's loopback calls through; colour, hyperlink and terminal hints (`FORCE_COLOR`,
/// `NO_GRAPHICS`, `FORCE_HYPERLINK`…), which change miette's error reports; `HOME` and
/// `XDG_CONFIG_HOME`, whose git config names who commits the state; `USER` and `HOSTNAME`, which
/// the lock records. Dropping all of it, rather than listing what to drop, also covers what a
/// dependency starts reading later. Colour is off, `HOME` is an empty folder, and stdin is
/// empty, so nothing depends on or waits for a terminal.
fn isolated(mut command: Command) -> Command {
    command.env_clear();
    for (name, value) in std::env::vars_os() {
        if is_passed_through(&name) {
            command.env(name, value);
        }
    }
    command
        .env("NO_COLOR", "1")
        .env("HOME", empty_home())
        .stdin(Stdio::null());
    command
}

fn is_passed_through(name: &OsStr) -> bool {
    // Windows spells `SYSTEMROOT` `SystemRoot`, and its names ignore case.
    PASSED_THROUGH
        .iter()
        .any(|kept| name.eq_ignore_ascii_case(kept))
}

/// An empty folder for `HOME`: no git config, no dotfiles. Under cargo's scratch folder for
/// integration tests, so nothing outside the build is read. Emptied when a test process first
/// needs it, in case an earlier run left something there (a rustup proxy started with this
/// `HOME` writes its settings into it).
fn empty_home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("empty-home");
        let held = std::fs::read_dir(&home).map_or(0, Iterator::count);
        if held > 0 {
            std::fs::remove_dir_all(&home)
                .unwrap_or_else(|err| panic!("empty `{}`: {err}", home.display()));
        }
        std::fs::create_dir_all(&home)
            .unwrap_or_else(|err| panic!("create `{}`: {err}", home.display()));
        home
    })
}

/// Whether `switch` (`UPDATE_SCHEMA=1`, say) asks a test to rewrite its expected files from
/// what the code produces. Fails the test instead when `CI` is set: on CI expected files are
/// checked, never made, or a run could pass by rewriting what it should have failed on.
pub fn rewrite_requested(switch: &str) -> bool {
    let requested = is_set(switch);
    if requested {
        refuse_on_ci(&format!("{switch} is set"));
    }
    requested
}

/// Fails the test when `CI` is set and insta is told to rewrite snapshots in place or to pass
/// failing ones. On its own, insta only stops writing `.snap.new` files on CI:
/// `INSTA_UPDATE=always` would still rewrite a snapshot there and pass.
pub fn refuse_snapshot_rewrites_on_ci() {
    let switches: [(&str, &[&str]); 4] = [
        ("INSTA_UPDATE", &["always", "1", "force", "unseen"]),
        ("INSTA_FORCE_UPDATE", &["1"]),
        ("INSTA_FORCE_UPDATE_SNAPSHOTS", &["1"]),
        ("INSTA_FORCE_PASS", &["1"]),
    ];
    for (name, rewriting) in switches {
        if let Ok(value) = std::env::var(name)
            && rewriting.contains(&value.as_str())
        {
            refuse_on_ci(&format!("{name}={value} is set"));
        }
    }
}

fn refuse_on_ci(what: &str) {
    assert!(
        !is_set("CI"),
        "{what}, but so is CI: on CI expected files are checked, never rewritten. Unset it (or, \
         on your own machine, CI) and run the tests again"
    );
}

fn is_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|value| !value.is_empty())
}

/// What one run printed and how it ended.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Runs `command` to its end.
    pub fn of(command: &mut Command) -> Self {
        command.output().expect("run docusign-gitops").into()
    }

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

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().expect("exit code, not a signal"),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }
}

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::process::Command;

    use super::{
        Fixture, PASSED_THROUGH, TOOL_FOLDER, copy_tree, crate_root, empty_home, isolated,
    };

    /// What the probe below prints each variable of its environment after.
    const PRINTED: &str = "probe environment: ";

    /// Settings the tool or its libraries read, other than its own `DOCUSIGN_*`, that a
    /// developer's shell or a CI runner may hold.
    const OTHER_SETTINGS: [&str; 26] = [
        "CI",
        "GITHUB_ACTIONS",
        "GITHUB_TOKEN",
        "GITLAB_CI",
        "GIT_AUTHOR_NAME",
        "GIT_COMMITTER_EMAIL",
        "GIT_DIR",
        "EMAIL",
        "XDG_CONFIG_HOME",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "REQUEST_METHOD",
        "FORCE_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "NO_GRAPHICS",
        "FORCE_HYPERLINK",
        "TERM",
        "COLORTERM",
        "COLUMNS",
        "RUST_LOG",
        "USER",
        "HOSTNAME",
    ];

    /// Every `DOCUSIGN_…` name in the tool's source: the variables it reads, and the ones its
    /// messages tell users to set.
    fn docusign_variables() -> Vec<String> {
        fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).expect("list src").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else if path.extension().is_some_and(|ext| ext == "rs") {
                    let text = std::fs::read_to_string(&path).expect("read a source file");
                    for (at, _) in text.match_indices("DOCUSIGN_") {
                        let name: String = text[at..]
                            .chars()
                            .take_while(|c| {
                                c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_'
                            })
                            .collect();
                        if name.len() > "DOCUSIGN_".len() {
                            found.push(name);
                        }
                    }
                }
            }
        }
        let mut found = Vec::new();
        walk(&crate_root().join("src"), &mut found);
        found.sort();
        found.dedup();
        found
    }

    /// This test binary, running only the test `name` (which may be ignored), output shown.
    fn this_binary_running(mut command: Command, name: &str) -> Command {
        command.args([
            name,
            "--exact",
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ]);
        command
    }

    /// Started with every `DOCUSIGN_*` variable of the source and the other settings above set,
    /// the test process builds its commands as [`Cli::command`](super::Cli::command) does; the process they
    /// start sees none of those, only what is passed through and what the harness sets.
    #[test]
    fn the_binary_sees_none_of_the_callers_settings() {
        let docusign = docusign_variables();
        for expected in [
            "DOCUSIGN_ACCESS_TOKEN",
            "DOCUSIGN_ACCOUNT_ID",
            "DOCUSIGN_BASE_URL",
            "DOCUSIGN_GITOPS_ALLOW",
            "DOCUSIGN_PRIVATE_KEY_FILE",
        ] {
            assert!(
                docusign.iter().any(|name| name == expected),
                "the scan of src/ missed {expected}: {docusign:?}"
            );
        }
        let exe = std::env::current_exe().expect("this test binary");
        let mut caller = this_binary_running(
            Command::new(&exe),
            "harness::tests::print_the_environment_of_an_isolated_process",
        );
        for name in docusign.iter().map(String::as_str).chain(OTHER_SETTINGS) {
            caller.env(name, "set by the caller");
        }
        caller.env("NO_COLOR", "").env("HOME", "/home/the-caller");
        let output = caller.output().expect("run this test binary");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "the probe failed\n--- stdout\n{stdout}\n--- stderr\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        // libtest may start a line with the test's name, so a printed variable can follow it.
        let seen: BTreeMap<&str, &str> = stdout
            .lines()
            .filter_map(|line| line.split_once(PRINTED))
            .map(|(_, variable)| variable.split_once('=').unwrap_or((variable, "")))
            .collect();
        assert_eq!(seen.get("NO_COLOR"), Some(&"1"), "{seen:#?}");
        assert_eq!(
            seen.get("HOME").copied(),
            empty_home().to_str(),
            "{seen:#?}"
        );
        // None of the caller's settings, even if someone adds one to the list of what is kept.
        let leaked: Vec<&str> = docusign
            .iter()
            .map(String::as_str)
            .chain(OTHER_SETTINGS)
            .filter(|name| seen.contains_key(name))
            .collect();
        assert!(leaked.is_empty(), "passed through: {leaked:?}");
        // And nothing else the test process holds (cargo's own variables, say).
        let unlisted: Vec<&str> = seen
            .keys()
            .copied()
            .filter(|name| {
                !["NO_COLOR", "HOME"].contains(name)
                    && !PASSED_THROUGH
                        .iter()
                        .any(|kept| name.eq_ignore_ascii_case(kept))
            })
            .collect();
        assert!(unlisted.is_empty(), "passed through: {unlisted:?}");
    }

    /// Run by the test above, in a process holding the caller's settings: starts this binary
    /// again as the harness starts the tool, to print what it sees.
    #[test]
    #[ignore = "a probe the test above runs in a process of its own"]
    fn print_the_environment_of_an_isolated_process() {
        let exe = std::env::current_exe().expect("this test binary");
        let output = this_binary_running(
            isolated(Command::new(&exe)),
            "harness::tests::print_the_environment",
        )
        .output()
        .expect("run this test binary");
        assert!(output.status.success(), "{output:?}");
        print!("{}", String::from_utf8_lossy(&output.stdout));
    }

    #[test]
    #[ignore = "a probe the test above runs in an isolated process"]
    fn print_the_environment() {
        for (name, value) in std::env::vars_os() {
            println!(
                "{PRINTED}{}={}",
                name.to_string_lossy(),
                value.to_string_lossy()
            );
        }
    }

    /// Each switch that rewrites expected files, set together with `CI`, fails the test that
    /// reads it, saying why, instead of rewriting and passing.
    #[test]
    fn rewrite_switches_are_refused_on_ci() {
        let exe = std::env::current_exe().expect("this test binary");
        for (test, switch, value) in [
            ("schema::committed_schema_is_current", "UPDATE_SCHEMA", "1"),
            (
                "plan_scenarios::every_scenario_plans_as_expected",
                "INSTA_UPDATE",
                "always",
            ),
            ("validate::diagnostics_read_well", "INSTA_UPDATE", "always"),
            ("validate::diagnostics_read_well", "INSTA_FORCE_PASS", "1"),
        ] {
            let output = this_binary_running(isolated(Command::new(&exe)), test)
                .env("CI", "true")
                .env(switch, value)
                .output()
                .expect("run this test binary");
            let printed = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            assert!(
                !output.status.success()
                    && printed.contains(switch)
                    && printed.contains("never rewritten"),
                "{test} with CI and {switch}={value}:\n{printed}"
            );
        }
    }

    /// What `apply --emulator` leaves next to the YAML (the account it keeps, the recorded
    /// state) changes what the next plan says; a copy leaves it behind and plans afresh.
    #[test]
    fn a_copy_leaves_what_a_run_left_behind() {
        let used = Fixture::copy_of("examples/desired-state");
        used.run(&["apply", "--emulator", "--auto-approve", "--no-commit"])
            .exits(0);
        assert!(used.path().join(TOOL_FOLDER).is_dir());
        used.run(&["plan", "--emulator", "--detailed-exitcode"])
            .exits(0)
            .stdout_has("No changes");

        let copy = Fixture::new();
        copy_tree(used.path(), copy.path());
        copy.run(&["plan", "--emulator", "--detailed-exitcode"])
            .exits(2)
            .stdout_has("[4] - close");
        assert!(!copy.path().join(TOOL_FOLDER).exists());
    }
}
