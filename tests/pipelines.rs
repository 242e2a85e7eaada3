//! The ready-made CI pipelines in `examples/ci/`: every file parses as YAML with the shape its CI
//! expects, and every `docusign-gitops` command line in their `run:` / `script:` text runs, with
//! exactly its flags, against an emulator of the sample account, in the order CI runs them: the
//! pull request's plan, the merge's apply, the scheduled drift check. The scheduled sync runs
//! against the worked example of `sync`, without DocuSign. The same plan, apply and drift files
//! then take a change to the example workspace through; the workspace's matrix files plan it
//! with one job per account (each job once per account of its matrix) and merge the plans into
//! the comment the single job gives. A command line the reader below can't take apart fails
//! the test, so a new one can't slip in untested.

use std::path::{Path, PathBuf};

use docusign_gitops::emulator::{self, Config};
use serde_json::Value;

use crate::harness::{self, Cli, Run};
use crate::workspace_support::{self, ACCOUNTS};

/// Every pipeline file, by CI, in the order a change goes through them.
const GITHUB: [&str; 3] = ["github/plan.yml", "github/apply.yml", "github/drift.yml"];
const GITLAB: [&str; 3] = [
    "gitlab/plan.gitlab-ci.yml",
    "gitlab/apply.gitlab-ci.yml",
    "gitlab/drift.gitlab-ci.yml",
];
/// The scheduled sync, which proposes the directory's changes as a pull request of their own.
const GITHUB_SYNC: &str = "github/sync.yml";
const GITLAB_SYNC: &str = "gitlab/sync.gitlab-ci.yml";
/// The monthly reclaim, which proposes closing idle seats as a pull request of their own.
const GITHUB_RECLAIM: &str = "github/reclaim.yml";
const GITLAB_RECLAIM: &str = "gitlab/reclaim.gitlab-ci.yml";
/// A workspace planned with one job per account, merged into one comment.
const GITHUB_MATRIX: MatrixCi = MatrixCi {
    file: "github/workspace-plan.yml",
    place_from: "POSITION",
    first_place: 0,
};
const GITLAB_MATRIX: MatrixCi = MatrixCi {
    file: "gitlab/workspace-plan.gitlab-ci.yml",
    place_from: "CI_NODE_INDEX",
    first_place: 1,
};

fn github_files() -> impl Iterator<Item = &'static str> {
    GITHUB
        .into_iter()
        .chain([GITHUB_SYNC, GITHUB_RECLAIM, GITHUB_MATRIX.file])
}

fn gitlab_files() -> impl Iterator<Item = &'static str> {
    GITLAB
        .into_iter()
        .chain([GITLAB_SYNC, GITLAB_RECLAIM, GITLAB_MATRIX.file])
}

/// The variable the pipelines name the desired-state directory with; the only one a command
/// line may use.
const DIR_VARIABLE: &str = "DESIRED_STATE_DIR";

/// The program, as a word of a command line.
const PROGRAM: &str = "docusign-gitops";

fn ci_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci")
}

/// A pipeline file parsed the way GitHub and GitLab read YAML: `on` is a key, not `true`.
fn parse(relative: &str) -> Value {
    let path = ci_root().join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("read `{}`: {err}", path.display()));
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options(&text, options)
        .unwrap_or_else(|err| panic!("`{relative}` is not valid YAML: {err}"))
}

#[test]
fn every_pipeline_file_is_listed_here() {
    let mut found = Vec::new();
    for ci in ["github", "gitlab"] {
        for entry in std::fs::read_dir(ci_root().join(ci)).expect("read examples/ci") {
            let name = entry.expect("entry").file_name();
            found.push(format!("{ci}/{}", name.to_string_lossy()));
        }
    }
    found.sort();
    let mut listed: Vec<String> = github_files()
        .chain(gitlab_files())
        .map(str::to_owned)
        .collect();
    listed.sort();
    assert_eq!(
        found, listed,
        "a pipeline file this test doesn't know is not tested"
    );
}

#[test]
fn github_workflows_have_the_shape_github_expects() {
    for file in github_files() {
        let workflow = parse(file);
        let jobs = workflow["jobs"].as_object().expect("`jobs` is a map");
        assert!(!jobs.is_empty(), "{file}: no jobs");
        assert!(
            workflow["on"].is_object(),
            "{file}: `on` is a map of events"
        );
        assert!(workflow["permissions"].is_object(), "{file}: `permissions`");
        assert!(
            workflow.pointer("/concurrency/group").is_some(),
            "{file}: `concurrency.group`"
        );
        for (name, job) in jobs {
            assert!(job["runs-on"].is_string(), "{file}: job {name}: `runs-on`");
            let steps = job["steps"].as_array().expect("`steps` is a list");
            assert!(!steps.is_empty(), "{file}: job {name}: no steps");
            for step in steps {
                assert!(
                    step["uses"].is_string() != step["run"].is_string(),
                    "{file}: job {name}: a step has one of `uses` or `run`: {step}"
                );
                // Values reach scripts through `env`, never pasted into them by `${{ }}`.
                if let Some(run) = step["run"].as_str() {
                    assert!(!run.contains("${{"), "{file}: `${{{{` in a run: {run}");
                }
            }
        }
    }
    for (file, pointer, expected) in [
        (
            "github/plan.yml",
            "/on/pull_request/paths/0",
            "desired-state/**",
        ),
        ("github/plan.yml", "/permissions/contents", "read"),
        ("github/plan.yml", "/permissions/pull-requests", "write"),
        (
            "github/plan.yml",
            "/jobs/plan/steps/0/uses",
            "actions/checkout@v4",
        ),
        ("github/apply.yml", "/on/push/branches/0", "main"),
        ("github/apply.yml", "/permissions/contents", "write"),
        ("github/apply.yml", "/concurrency/group", "docusign-apply"),
        (
            "github/apply.yml",
            "/jobs/apply/steps/0/uses",
            "actions/checkout@v4",
        ),
        ("github/drift.yml", "/on/schedule/0/cron", "17 6 * * 1-5"),
        ("github/drift.yml", "/permissions/issues", "write"),
        (GITHUB_SYNC, "/on/schedule/0/cron", "41 5 * * 1-5"),
        (GITHUB_SYNC, "/permissions/contents", "write"),
        (GITHUB_SYNC, "/permissions/pull-requests", "write"),
        (GITHUB_SYNC, "/concurrency/group", "docusign-sync"),
        (GITHUB_SYNC, "/env/SYNC_BRANCH", "docusign-gitops/sync"),
        (GITHUB_MATRIX.file, "/permissions/pull-requests", "write"),
        (
            GITHUB_MATRIX.file,
            "/jobs/plan/env/ACCOUNT",
            "${{ matrix.account }}",
        ),
        (
            GITHUB_MATRIX.file,
            "/jobs/plan/steps/2/env/POSITION",
            "${{ strategy.job-index }}",
        ),
        (GITHUB_MATRIX.file, "/jobs/comment/needs", "plan"),
        (
            GITHUB_MATRIX.file,
            "/jobs/comment/steps/1/with/pattern",
            "docusign-plan-*",
        ),
    ] {
        assert_eq!(
            parse(file).pointer(pointer).and_then(Value::as_str),
            Some(expected),
            "{file}: {pointer}"
        );
    }
    // Two applies never run at once, and a running one is never cancelled.
    let apply = parse("github/apply.yml");
    assert_eq!(
        apply.pointer("/concurrency/cancel-in-progress"),
        Some(&Value::Bool(false))
    );
    assert_eq!(
        parse("github/drift.yml").pointer("/concurrency/cancel-in-progress"),
        Some(&Value::Bool(false))
    );
    let uses = |file: &str| -> Vec<String> {
        let workflow = parse(file);
        workflow["jobs"]
            .as_object()
            .expect("jobs")
            .values()
            .flat_map(|job| job["steps"].as_array().expect("steps").clone())
            .filter_map(|step| step["uses"].as_str().map(str::to_owned))
            .collect()
    };
    // Every file installs the tool with this repository's action, pinned to a ref.
    for file in github_files() {
        let ours: Vec<String> = uses(file)
            .into_iter()
            .filter(|used| is_this_action(used))
            .collect();
        assert!(!ours.is_empty(), "{file} uses the docusign-gitops action");
        for used in ours {
            assert!(
                used.split_once('@').is_some_and(|(_, pin)| !pin.is_empty()),
                "{file}: `{used}` is pinned"
            );
        }
    }
    for file in ["github/plan.yml", GITHUB_MATRIX.file] {
        assert!(
            uses(file).contains(&"actions/upload-artifact@v4".to_owned()),
            "{file} keeps the plan"
        );
    }
    for action in ["actions/github-script@v7", "actions/download-artifact@v4"] {
        assert!(
            uses(GITHUB_MATRIX.file).contains(&action.to_owned()),
            "{} uses {action}",
            GITHUB_MATRIX.file
        );
    }
    // Every account is planned, whatever happens to another.
    assert_eq!(
        parse(GITHUB_MATRIX.file).pointer("/jobs/plan/strategy/fail-fast"),
        Some(&Value::Bool(false))
    );
}

/// GitLab's global keywords; every other top-level key is a job (hidden when it starts with
/// a dot).
const GITLAB_GLOBAL_KEYS: [&str; 10] = [
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
];

#[test]
fn gitlab_files_have_the_shape_gitlab_expects() {
    for file in gitlab_files() {
        let pipeline = parse(file);
        let top = pipeline.as_object().expect("a map at the top");
        let jobs: Vec<(&String, &Value)> = top
            .iter()
            .filter(|(key, _)| !key.starts_with('.') && !GITLAB_GLOBAL_KEYS.contains(&key.as_str()))
            .collect();
        assert!(!jobs.is_empty(), "{file}: no jobs");
        for (name, job) in jobs {
            let script = &job["script"];
            let lines = script
                .as_array()
                .map_or_else(|| vec![script.clone()], Clone::clone);
            assert!(
                !lines.is_empty() && lines.iter().all(Value::is_string),
                "{file}: job {name}: `script` is a string or a list of strings"
            );
            // The default stages, so an include needs no `stages:` of its own.
            let stage = job["stage"].as_str().expect("`stage`");
            assert!(["test", "deploy"].contains(&stage), "{file}: job {name}");
            assert!(job["rules"].is_array(), "{file}: job {name}: `rules`");
            if let Some(template) = job["extends"].as_str() {
                assert!(top.contains_key(template), "{file}: extends {template}");
            }
        }
    }
    for (file, pointer, expected) in [
        (
            "gitlab/plan.gitlab-ci.yml",
            "/docusign-plan/rules/0/if",
            "$CI_PIPELINE_SOURCE == \"merge_request_event\"",
        ),
        (
            "gitlab/plan.gitlab-ci.yml",
            "/docusign-plan/artifacts/paths/0",
            "plan.json",
        ),
        (
            "gitlab/apply.gitlab-ci.yml",
            "/docusign-apply/rules/0/if",
            "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == \"push\"",
        ),
        (
            "gitlab/apply.gitlab-ci.yml",
            "/docusign-apply/resource_group",
            "docusign-apply",
        ),
        (
            "gitlab/drift.gitlab-ci.yml",
            "/docusign-drift/rules/0/if",
            "$CI_PIPELINE_SOURCE == \"schedule\" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH",
        ),
        (
            "gitlab/drift.gitlab-ci.yml",
            "/docusign-drift/resource_group",
            "docusign-apply",
        ),
        (
            GITLAB_SYNC,
            "/docusign-sync/rules/0/if",
            "$CI_PIPELINE_SOURCE == \"schedule\" && $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $DOCUSIGN_SYNC == \"true\"",
        ),
        (
            GITLAB_SYNC,
            "/.docusign-sync-tool/variables/SYNC_BRANCH",
            "docusign-gitops/sync",
        ),
        (
            GITLAB_MATRIX.file,
            "/docusign-plan-account/rules/0/if",
            "$CI_PIPELINE_SOURCE == \"merge_request_event\"",
        ),
        (
            GITLAB_MATRIX.file,
            "/docusign-plan/needs/0",
            "docusign-plan-account",
        ),
        (
            GITLAB_MATRIX.file,
            "/docusign-plan/artifacts/paths/0",
            "plan.json",
        ),
    ] {
        assert_eq!(
            parse(file).pointer(pointer).and_then(Value::as_str),
            Some(expected),
            "{file}: {pointer}"
        );
    }
    assert_eq!(
        parse("gitlab/apply.gitlab-ci.yml").pointer("/docusign-apply/interruptible"),
        Some(&Value::Bool(false))
    );
}

/// The action and the GitLab template install a release binary only after checking its sha256
/// against the release's checksum file, and build from source only locked and pinned.
#[test]
fn installs_are_checked_locked_and_pinned() {
    let action = parse_at(ACTION);
    let template = parse_at(GITLAB_TEMPLATE);
    for (name, texts) in [
        (ACTION, {
            let mut texts = Vec::new();
            collect_shell(&action, &["run"], &mut texts);
            texts
        }),
        (GITLAB_TEMPLATE, {
            let mut texts = Vec::new();
            collect_shell(&template, &["before_script", "script"], &mut texts);
            texts
        }),
    ] {
        let all = texts.join("\n");
        for needed in [
            "releases/download/",
            ".sha256",
            "sha256sum",
            "does not match",
        ] {
            assert!(all.contains(needed), "{name}: {needed}");
        }
        let mut installs = 0;
        for line in texts.iter().flat_map(|text| logical_lines(text)) {
            if line.trim_start().starts_with("cargo install") {
                installs += 1;
                assert!(line.contains("--locked"), "{name}: --locked in {line}");
                assert!(
                    line.contains("--path")
                        || (line.contains("--git")
                            && (line.contains("--rev") || line.contains("--tag"))),
                    "{name}: from the action's own source, or pinned by --rev or --tag: {line}"
                );
            }
            // Values reach scripts through `env`, never pasted into them by `${{ }}`.
            assert!(!line.contains("${{"), "{name}: `${{{{` in a script: {line}");
        }
        assert!(installs > 0, "{name}: falls back to building from source");
    }
    assert_eq!(
        action.pointer("/runs/using").and_then(Value::as_str),
        Some("composite")
    );
    for input in [
        "command",
        "directory",
        "format",
        "client-id",
        "user-id",
        "private-key",
        "account-id",
        "base-url",
        "auth-server",
        "version",
    ] {
        assert!(
            action["inputs"][input].is_object(),
            "{ACTION}: input {input}"
        );
    }
    for output in ["exit-code", "plan-file"] {
        assert!(
            action["outputs"][output].is_object(),
            "{ACTION}: output {output}"
        );
    }
    // Every GitLab file installs with the template, pinned to a release.
    for file in gitlab_files() {
        let pipeline = parse(file);
        assert!(
            includes_gitlab_template(&pipeline),
            "{file} includes {GITLAB_TEMPLATE}"
        );
        let mut versions = Vec::new();
        collect_variable(&pipeline, "DOCUSIGN_GITOPS_VERSION", &mut versions);
        assert!(
            !versions.is_empty() && versions.iter().all(|version| version != "latest"),
            "{file}: DOCUSIGN_GITOPS_VERSION pins a release: {versions:?}"
        );
    }
}

/// Every value a GitLab file gives the variable `name`.
fn collect_variable(value: &Value, name: &str, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "variables"
                    && let Some(text) = inner[name].as_str()
                {
                    found.push(text.to_owned());
                }
                collect_variable(inner, name, found);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_variable(item, name, found)),
        _ => {}
    }
}

// ---- Reading command lines out of the pipelines ----

/// A piece of a shell word: literal text, a variable (`$NAME`, `${NAME}`, `$?`), or a variable
/// with a default for when it is unset or empty (`${NAME:-default}`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Var(String),
    Default(String, Word),
}

type Word = Vec<Piece>;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(Word),
    /// `&&`, `||`, `|`, `;`, `&` or a redirection (`>`, `>>`, `2>`, `2>&1`, `<`, `&>`).
    Op(String),
}

/// One `docusign-gitops` command line found in a pipeline.
#[derive(Clone, Debug)]
struct Invocation {
    /// The line as written.
    line: String,
    /// The arguments after the program, unexpanded.
    args: Vec<Word>,
    /// Followed by `|| NAME=$?`: the pipeline keeps the exit code and decides what it means.
    captured: bool,
    /// Shown in a shell comment, as a variant to switch to.
    commented: bool,
    /// The file its standard output goes to (`> FILE`), unexpanded.
    stdout_to: Option<Word>,
}

impl Invocation {
    /// The arguments with [`DIR_VARIABLE`] replaced by `dir`; any other variable is an error.
    fn argv(&self, dir: &str) -> Vec<String> {
        self.expanded(&[(DIR_VARIABLE, dir)])
    }

    /// The arguments with each variable replaced by its value in `vars`; any other variable is
    /// an error.
    fn expanded(&self, vars: &[(&str, &str)]) -> Vec<String> {
        self.args
            .iter()
            .map(|word| self.expand(word, vars))
            .collect()
    }

    fn expand(&self, word: &Word, vars: &[(&str, &str)]) -> String {
        word.iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.clone(),
                Piece::Var(name) => vars.iter().find(|(known, _)| known == name).map_or_else(
                    || {
                        panic!(
                            "`{}` uses ${name}; the test knows only {:?}",
                            self.line,
                            vars.iter().map(|(known, _)| *known).collect::<Vec<_>>()
                        )
                    },
                    |(_, value)| (*value).to_owned(),
                ),
                Piece::Default(name, default) => vars
                    .iter()
                    .find(|(known, value)| known == name && !value.is_empty())
                    .map_or_else(
                        || self.expand(default, vars),
                        |(_, value)| (*value).to_owned(),
                    ),
            })
            .collect()
    }

    /// Where in the checkout its standard output goes: a relative path, expanded. A file
    /// named from a variable or an absolute path (`"$RUNNER_TEMP/sync.txt"`) is out of the
    /// checkout, and is not written.
    fn stdout_file(&self, vars: &[(&str, &str)]) -> Option<String> {
        let target = self.stdout_to.as_ref()?;
        // A quoted word starts with the empty text its quote opened.
        let start = target
            .iter()
            .find(|piece| !matches!(piece, Piece::Text(text) if text.is_empty()));
        match start {
            Some(Piece::Text(text)) if !text.starts_with('/') => Some(self.expand(target, vars)),
            _ => None,
        }
    }

    /// The command (`plan`, `show`), when it is written out.
    fn command(&self) -> Option<&str> {
        match self.args.first()?.as_slice() {
            [Piece::Text(command)] => Some(command),
            _ => None,
        }
    }

    /// Whether it prints markdown.
    fn prints_markdown(&self) -> bool {
        self.args.windows(2).any(|pair| {
            pair[0] == [Piece::Text("--format".to_owned())]
                && pair[1] == [Piece::Text("markdown".to_owned())]
        })
    }

    /// Whether the command can exit 2 for "changes" or "drift" rather than for an error.
    fn may_exit_2(&self) -> bool {
        self.command() == Some("drift")
            || self
                .args
                .iter()
                .any(|word| *word == [Piece::Text("--detailed-exitcode".to_owned())])
    }

    /// The exit codes the pipeline goes on from: 0, and 2 where it keeps the code of a
    /// command that exits 2 for changes or drift.
    fn success(&self) -> &'static [i32] {
        if self.captured && self.may_exit_2() {
            &[0, 2]
        } else {
            &[0]
        }
    }
}

/// The keys whose values are shell text: GitHub's `run`; GitLab's `before_script`, `script` and
/// `after_script` (strings or lists of them), in the order a job runs them.
fn shell_keys(file: &str) -> &'static [&'static str] {
    if file.starts_with("github/") {
        &["run"]
    } else {
        &["before_script", "script", "after_script"]
    }
}

/// Every shell text of a pipeline file, wherever it is.
fn shell_texts(file: &str) -> Vec<String> {
    let mut texts = Vec::new();
    collect_shell(&parse(file), shell_keys(file), &mut texts);
    texts
}

fn collect_shell(value: &Value, keys: &[&str], texts: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for key in keys {
                if let Some(shell) = map.get(*key) {
                    strings_in(shell, texts);
                }
            }
            for (key, inner) in map {
                if !keys.contains(&key.as_str()) {
                    collect_shell(inner, keys, texts);
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_shell(item, keys, texts)),
        _ => {}
    }
}

fn strings_in(value: &Value, texts: &mut Vec<String>) {
    match value {
        Value::String(text) => texts.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|item| strings_in(item, texts)),
        _ => {}
    }
}

/// Lines with their `\`-newline continuations joined.
fn logical_lines(text: &str) -> Vec<String> {
    text.replace("\\\n", " ")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// How many times the program's name stands as a word of its own in `line` (not inside a path,
/// URL or longer name such as `.docusign-gitops/state`).
fn mentions(line: &str) -> usize {
    let part_of_name = |c: char| c.is_alphanumeric() || "-_./".contains(c);
    line.match_indices(PROGRAM)
        .filter(|(at, _)| {
            let before = line[..*at].chars().next_back();
            let after = line[at + PROGRAM.len()..].chars().next();
            !before.is_some_and(part_of_name) && !after.is_some_and(part_of_name)
        })
        .count()
}

/// The `docusign-gitops` command lines of one shell text. Every mention of the program must be
/// a command (a command line, or one shown in a comment) or the package of a `cargo install`;
/// anything else is an error, so no command line is left out.
fn invocations(text: &str) -> Result<Vec<Invocation>, String> {
    let mut found = Vec::new();
    for line in logical_lines(text) {
        let trimmed = line.trim_start();
        let commented = trimmed.starts_with('#');
        let body = trimmed.trim_start_matches('#');
        let expected = mentions(body);
        if expected == 0 {
            continue;
        }
        let commands = commands(&tokenize(body).map_err(|err| format!("`{line}`: {err}"))?);
        let mut accounted = 0;
        for (index, (words, separator, stdout_to)) in commands.iter().enumerate() {
            let is_program = |word: &Word| *word == [Piece::Text(PROGRAM.to_owned())];
            if words.first().is_some_and(is_program) {
                accounted += 1;
                let captured = separator.as_deref() == Some("||")
                    && commands.get(index + 1).is_some_and(
                        |(next, _, _)| matches!(next.as_slice(), [word] if keeps_exit_code(word)),
                    );
                found.push(Invocation {
                    line: body.trim().to_owned(),
                    args: words[1..].to_vec(),
                    captured,
                    commented,
                    stdout_to: stdout_to.clone(),
                });
            } else if words.len() > 2
                && words[0] == [Piece::Text("cargo".to_owned())]
                && words[1] == [Piece::Text("install".to_owned())]
            {
                accounted += words.iter().filter(|word| is_program(word)).count();
            }
        }
        if accounted != expected {
            return Err(format!(
                "`{line}` names {PROGRAM} {expected} time(s), and only {accounted} of them as a command the test can run"
            ));
        }
    }
    Ok(found)
}

/// `NAME=$?`.
fn keeps_exit_code(word: &Word) -> bool {
    matches!(word.as_slice(), [Piece::Text(name), Piece::Var(var)]
        if var == "?" && name.ends_with('=') && name.len() > 1)
}

/// One command's words (without redirections), the operator after it, and the file its
/// standard output goes to.
type ShellCommand = (Vec<Word>, Option<String>, Option<Word>);

/// Splits tokens into commands.
fn commands(tokens: &[Token]) -> Vec<ShellCommand> {
    let mut commands = Vec::new();
    let mut words = Vec::new();
    let mut stdout_to = None;
    // The redirection whose target comes next.
    let mut target_of: Option<&str> = None;
    for token in tokens {
        match token {
            Token::Op(op) if ["&&", "||", "|", ";", "&"].contains(&op.as_str()) => {
                commands.push((
                    std::mem::take(&mut words),
                    Some(op.clone()),
                    stdout_to.take(),
                ));
            }
            // A redirection: its target is not an argument (`2>&1` carries its own).
            Token::Op(op) if !op.ends_with(|c: char| c.is_ascii_digit() || c == '-') => {
                target_of = Some(op);
            }
            Token::Op(_) => {}
            Token::Word(word) => match target_of.take() {
                Some(">" | "1>") => stdout_to = Some(word.clone()),
                Some(_) => {}
                None => words.push(word.clone()),
            },
        }
    }
    if !words.is_empty() {
        commands.push((words, None, stdout_to));
    }
    commands
}

/// Shell words and operators of one line, as far as pipelines write them: quotes, `\` escapes,
/// `$NAME` / `${NAME}` / `$?`, operators and redirections, a trailing `#` comment. Command
/// substitution is refused: its output can't be known here.
fn tokenize(line: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(&next) = chars.peek() else {
            break;
        };
        if next == '#' {
            break;
        }
        if "|&;<>".contains(next) {
            tokens.push(Token::Op(operator(&mut chars, String::new())));
            continue;
        }
        let (word, quoted) = word(&mut chars)?;
        // `2>` and the like: a file descriptor, then a redirection.
        if let [Piece::Text(digits)] = word.as_slice()
            && !quoted
            && digits.chars().all(|c| c.is_ascii_digit())
            && chars.peek().is_some_and(|c| "<>".contains(*c))
        {
            tokens.push(Token::Op(operator(&mut chars, digits.clone())));
            continue;
        }
        tokens.push(Token::Word(word));
    }
    Ok(tokens)
}

fn operator(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, mut op: String) -> String {
    let first = chars.next().expect("an operator character");
    op.push(first);
    match first {
        '|' | '&' | '>' if chars.next_if_eq(&first).is_some() => op.push(first),
        '&' if chars.next_if_eq(&'>').is_some() => op.push('>'),
        '>' | '<' if chars.next_if_eq(&'&').is_some() => {
            op.push('&');
            while let Some(c) = chars.next_if(|c| c.is_ascii_digit() || *c == '-') {
                op.push(c);
            }
        }
        _ => {}
    }
    op
}

/// One word; also says whether any of it was quoted.
fn word(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<(Word, bool), String> {
    fn text(word: &mut Word, c: char) {
        if let Some(Piece::Text(last)) = word.last_mut() {
            last.push(c);
        } else {
            word.push(Piece::Text(c.to_string()));
        }
    }
    let mut word = Word::new();
    let mut quoted = false;
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() || "|&;<>".contains(c) {
            break;
        }
        chars.next();
        match c {
            '\'' => {
                quoted = true;
                word.push(Piece::Text(String::new()));
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => text(&mut word, c),
                        None => return Err("an unclosed '".to_owned()),
                    }
                }
            }
            '"' => {
                quoted = true;
                word.push(Piece::Text(String::new()));
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => text(&mut word, c),
                            Some(c) => {
                                text(&mut word, '\\');
                                text(&mut word, c);
                            }
                            None => return Err("an unclosed \"".to_owned()),
                        },
                        Some('$') => word.push(variable(chars)?),
                        Some('`') => return Err("command substitution".to_owned()),
                        Some(c) => text(&mut word, c),
                        None => return Err("an unclosed \"".to_owned()),
                    }
                }
            }
            '\\' => {
                if let Some(c) = chars.next() {
                    text(&mut word, c);
                }
            }
            '$' => word.push(variable(chars)?),
            '`' => return Err("command substitution".to_owned()),
            c => text(&mut word, c),
        }
    }
    // Drop the empty pieces quotes opened, keeping `""` as an empty word.
    let mut merged = Word::new();
    for piece in word {
        match (merged.last_mut(), piece) {
            (Some(Piece::Text(last)), Piece::Text(more)) => last.push_str(&more),
            (_, piece) => merged.push(piece),
        }
    }
    Ok((merged, quoted))
}

/// After a `$`: `NAME`, `{NAME}` or `?`.
fn variable(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<Piece, String> {
    if chars.next_if_eq(&'?').is_some() {
        return Ok(Piece::Var("?".to_owned()));
    }
    if chars.next_if_eq(&'(').is_some() {
        return Err("command substitution".to_owned());
    }
    let braced = chars.next_if_eq(&'{').is_some();
    let mut name = String::new();
    while let Some(c) = chars.next_if(|c| c.is_ascii_alphanumeric() || *c == '_') {
        name.push(c);
    }
    // `${NAME:-default}`: the default is text and variables, up to the closing brace.
    if braced && !name.is_empty() && chars.next_if_eq(&':').is_some() {
        if chars.next_if_eq(&'-').is_none() {
            return Err(format!(
                "`${{{name}:` is more than a variable with a default"
            ));
        }
        let mut default = Word::new();
        loop {
            match chars.next() {
                Some('}') => break,
                Some('$') => default.push(variable(chars)?),
                Some(c @ ('"' | '\'' | '`' | '\\')) => {
                    return Err(format!("`{c}` in the default of `${{{name}:-…}}`"));
                }
                Some(c) => match default.last_mut() {
                    Some(Piece::Text(last)) => last.push(c),
                    _ => default.push(Piece::Text(c.to_string())),
                },
                None => return Err(format!("an unclosed `${{{name}:-`")),
            }
        }
        return Ok(Piece::Default(name, default));
    }
    if braced && chars.next_if_eq(&'}').is_none() {
        return Err(format!("`${{{name}` is more than a variable"));
    }
    if name.is_empty() {
        return Err("a `$` that is not a variable".to_owned());
    }
    Ok(Piece::Var(name))
}

/// The command lines of one pipeline file, in the order CI runs them.
fn invocations_of(file: &str) -> Vec<Invocation> {
    invocations_in(file, &parse(file))
}

/// The command lines of one part of a pipeline file (a job), in the order CI runs them: those
/// of its shell text, and those the docusign-gitops action runs for a step that uses it. A
/// GitLab file that includes the GitLab template runs the template's first.
fn invocations_in(file: &str, part: &Value) -> Vec<Invocation> {
    let workflow = parse(file);
    let mut found = Vec::new();
    if includes_gitlab_template(&workflow) {
        let template = parse_at(GITLAB_TEMPLATE);
        let mut texts = Vec::new();
        collect_shell(&template, shell_keys(file), &mut texts);
        for text in texts {
            found.extend(
                invocations(&text).unwrap_or_else(|err| panic!("{GITLAB_TEMPLATE}: {err}")),
            );
        }
    }
    walk_invocations(file, &workflow, part, &mut found);
    found
}

fn walk_invocations(file: &str, workflow: &Value, value: &Value, found: &mut Vec<Invocation>) {
    let keys = shell_keys(file);
    match value {
        Value::Object(map) => {
            if let Some(uses) = map.get("uses").and_then(Value::as_str)
                && file.starts_with("github/")
                && is_this_action(uses)
            {
                found.extend(action_invocations(file, workflow, value));
            }
            for key in keys {
                if let Some(shell) = map.get(*key) {
                    let mut texts = Vec::new();
                    strings_in(shell, &mut texts);
                    for text in texts {
                        found.extend(
                            invocations(&text).unwrap_or_else(|err| panic!("{file}: {err}")),
                        );
                    }
                }
            }
            for (key, inner) in map {
                if !keys.contains(&key.as_str()) {
                    walk_invocations(file, workflow, inner, found);
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| walk_invocations(file, workflow, item, found)),
        _ => {}
    }
}

// ---- The GitHub Action and the GitLab template ----

/// The composite GitHub Action at the repository's root.
const ACTION: &str = "action.yml";
/// The GitLab CI template the GitLab examples include.
const GITLAB_TEMPLATE: &str = "ci/gitlab/docusign-gitops.gitlab-ci.yml";

/// A YAML file of the repository, parsed as [`parse`] does.
fn parse_at(relative: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("read `{}`: {err}", path.display()));
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options(&text, options)
        .unwrap_or_else(|err| panic!("`{relative}` is not valid YAML: {err}"))
}

/// Whether a step's `uses:` names this repository's action, as the examples write it
/// (`OWNER/docusign-gitops@REF`) or as a checkout of it does (`./`).
fn is_this_action(uses: &str) -> bool {
    uses == "./"
        || uses
            .split_once('@')
            .is_some_and(|(path, _)| path.ends_with("/docusign-gitops"))
}

/// Whether a GitLab file includes the GitLab template.
fn includes_gitlab_template(pipeline: &Value) -> bool {
    let name = GITLAB_TEMPLATE.rsplit('/').next().expect("a file name");
    pipeline["include"].as_array().is_some_and(|includes| {
        includes.iter().any(|include| {
            include
                .as_object()
                .into_iter()
                .flat_map(|map| map.values())
                .any(|value| value.as_str().is_some_and(|text| text.ends_with(name)))
        })
    })
}

/// The value of a GitHub expression as a shell word, as far as the examples and the action
/// write them: `${{ inputs.NAME }}` and `${{ env.NAME }}` (the desired-state directory stays
/// the variable the test gives; any other is the file's `env`, where `set` may override it),
/// and plain text. Anything else (`${{ secrets.X }}`) becomes a variable no command line may use.
fn evaluate(text: &str, inputs: &[(String, Word)], env: &[(String, String)]) -> Word {
    let Some(inner) = text
        .trim()
        .strip_prefix("${{")
        .and_then(|rest| rest.strip_suffix("}}"))
    else {
        return vec![Piece::Text(text.to_owned())];
    };
    let inner = inner.trim();
    if let Some(name) = inner.strip_prefix("inputs.") {
        return inputs.iter().find(|(known, _)| known == name).map_or_else(
            || panic!("{ACTION}: no input `{name}`"),
            |(_, word)| word.clone(),
        );
    }
    if let Some(name) = inner.strip_prefix("env.") {
        if name == DIR_VARIABLE {
            return vec![Piece::Var(name.to_owned())];
        }
        if let Some((_, value)) = env.iter().rev().find(|(known, _)| known == name) {
            return vec![Piece::Text(value.clone())];
        }
    }
    vec![Piece::Var(format!("{{{{ {inner} }}}}"))]
}

/// The `env` a workflow sets (at the top and in its jobs), as text.
fn workflow_env(workflow: &Value) -> Vec<(String, String)> {
    let mut env = Vec::new();
    let mut from = |map: &Value| {
        for (name, value) in map.as_object().into_iter().flatten() {
            if let Some(text) = value.as_str() {
                env.push((name.clone(), text.to_owned()));
            }
        }
    };
    from(&workflow["env"]);
    for job in workflow["jobs"]
        .as_object()
        .into_iter()
        .flat_map(|jobs| jobs.values())
    {
        from(&job["env"]);
    }
    env
}

/// What the workflow's commented lines would set in `GITHUB_ENV` when uncommented
/// (`#   echo "NAME=VALUE" >> "$GITHUB_ENV"`): the variant they show.
fn commented_env(file: &str) -> Vec<(String, String)> {
    let mut set = Vec::new();
    for text in shell_texts(file) {
        for line in text.lines() {
            let line = line.trim_start();
            let Some(body) = line.strip_prefix('#') else {
                continue;
            };
            let body = body.trim();
            if let Some(assignment) = body
                .strip_prefix("echo \"")
                .and_then(|rest| rest.strip_suffix("\" >> \"$GITHUB_ENV\""))
                && let Some((name, value)) = assignment.split_once('=')
            {
                set.push((name.to_owned(), value.to_owned()));
            }
        }
    }
    set
}

/// The command lines the action runs for one step of a workflow that uses it: the `run` text
/// of each of its steps, less the branches of `case "$COMMAND" in` for other commands and the
/// side of an `if [ -n "$NAME" ]` the inputs don't take, each variable the step's `env` sets
/// from an input replaced by that input's value. With a variant in the workflow's commented
/// lines (see [`commented_env`]), the command lines it changes follow, marked commented.
fn action_invocations(file: &str, workflow: &Value, step: &Value) -> Vec<Invocation> {
    let active = action_invocations_with(file, workflow, step, &[]);
    let variant_env = commented_env(file);
    if variant_env.is_empty() {
        return active;
    }
    let variants: Vec<Invocation> = action_invocations_with(file, workflow, step, &variant_env)
        .into_iter()
        .filter(|call| !active.iter().any(|known| known.args == call.args))
        .map(|call| Invocation {
            commented: true,
            ..call
        })
        .collect();
    active.into_iter().chain(variants).collect()
}

fn action_invocations_with(
    file: &str,
    workflow: &Value,
    step: &Value,
    set: &[(String, String)],
) -> Vec<Invocation> {
    let action = parse_at(ACTION);
    let mut env = workflow_env(workflow);
    env.extend(set.iter().cloned());
    let given = &step["with"];
    let inputs: Vec<(String, Word)> = action["inputs"]
        .as_object()
        .expect("the action's inputs")
        .iter()
        .map(|(name, input)| {
            let text = match (&given[name], &input["default"]) {
                (Value::String(text), _) | (Value::Null, Value::String(text)) => text.clone(),
                (Value::Bool(value), _) | (Value::Null, Value::Bool(value)) => value.to_string(),
                (Value::Null, Value::Null) => String::new(),
                (other, _) => panic!("{file}: input `{name}` is {other}"),
            };
            (name.clone(), evaluate(&text, &[], &env))
        })
        .collect();
    for name in given.as_object().into_iter().flat_map(|with| with.keys()) {
        assert!(
            inputs.iter().any(|(known, _)| known == name),
            "{file}: the action has no input `{name}`"
        );
    }
    let command = match inputs.iter().find(|(name, _)| name == "command") {
        Some((_, word)) => match word.as_slice() {
            [Piece::Text(command)] => command.clone(),
            _ => panic!("{file}: the action's `command` is not written out"),
        },
        None => panic!("{ACTION}: no `command` input"),
    };
    let mut found = Vec::new();
    for action_step in action
        .pointer("/runs/steps")
        .and_then(Value::as_array)
        .expect("steps")
    {
        let Some(run) = action_step["run"].as_str() else {
            continue;
        };
        let bound: Vec<(String, Word)> = action_step["env"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(name, value)| {
                let text = value.as_str()?;
                text.contains("inputs.")
                    .then(|| (name.clone(), evaluate(text, &inputs, &env)))
            })
            .collect();
        let text = lines_for(run, &command, &bound);
        let calls = invocations(&text).unwrap_or_else(|err| panic!("{ACTION}: {err}"));
        found.extend(calls.into_iter().map(|call| Invocation {
            args: call.args.iter().map(|word| bind(word, &bound)).collect(),
            stdout_to: call.stdout_to.as_ref().map(|word| bind(word, &bound)),
            line: format!("{} (run by {ACTION} in {file})", call.line),
            ..call
        }));
    }
    found
}

/// `word` with each variable `bound` names replaced by its value (and a default taken when
/// the value is empty).
fn bind(word: &Word, bound: &[(String, Word)]) -> Word {
    let value = |name: &str| {
        bound
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, word)| word)
    };
    let is_empty = |word: &Word| {
        word.iter()
            .all(|piece| matches!(piece, Piece::Text(text) if text.is_empty()))
    };
    let mut bound_word = Word::new();
    for piece in word {
        match piece {
            Piece::Var(name) => match value(name) {
                Some(replacement) => bound_word.extend(replacement.iter().cloned()),
                None => bound_word.push(piece.clone()),
            },
            Piece::Default(name, default) => match value(name) {
                Some(replacement) if !is_empty(replacement) => {
                    bound_word.extend(replacement.iter().cloned());
                }
                Some(_) => bound_word.extend(bind(default, bound)),
                None => bound_word.push(piece.clone()),
            },
            Piece::Text(_) => bound_word.push(piece.clone()),
        }
    }
    // Adjacent texts as one, as the reader gives them.
    let mut merged = Word::new();
    for piece in bound_word {
        match (merged.last_mut(), piece) {
            (Some(Piece::Text(last)), Piece::Text(more)) => last.push_str(&more),
            (_, piece) => merged.push(piece),
        }
    }
    merged
}

/// The lines of an action's `run` text that run for `command`: outside `case "$COMMAND" in`,
/// or in its branch for `command`; and where an `if [ -n "$NAME" ]; then … else … fi` stands,
/// the side `bound` takes. A command line under an `if` this can't read fails the test.
fn lines_for(run: &str, command: &str, bound: &[(String, Word)]) -> String {
    let mut kept = Vec::new();
    let mut in_case = false;
    let mut branch: Option<bool> = None;
    // Per open `if`: whether its current side runs, or None when the test can't tell.
    let mut sides: Vec<Option<bool>> = Vec::new();
    for line in logical_lines(run) {
        let trimmed = line.trim();
        if trimmed == "case \"$COMMAND\" in" {
            in_case = true;
            continue;
        }
        if in_case && trimmed == "esac" {
            in_case = false;
            branch = None;
            continue;
        }
        if in_case && branch.is_none() && trimmed.ends_with(')') && !trimmed.contains(' ') {
            let labels = trimmed.trim_end_matches(')');
            branch = Some(labels.split('|').any(|label| label.trim() == command));
            continue;
        }
        if in_case && trimmed == ";;" {
            branch = None;
            continue;
        }
        if let Some(name) = trimmed
            .strip_prefix("if [ -n \"$")
            .and_then(|rest| rest.strip_suffix("\" ]; then"))
        {
            let set = bound
                .iter()
                .find(|(known, _)| known == name)
                .map(|(_, word)| {
                    !word
                        .iter()
                        .all(|piece| matches!(piece, Piece::Text(text) if text.is_empty()))
                });
            sides.push(set);
            continue;
        }
        if trimmed.starts_with("if ") && trimmed.ends_with("then") {
            sides.push(None);
            continue;
        }
        if trimmed == "else" {
            if let Some(side) = sides.last_mut() {
                *side = side.map(|runs| !runs);
            }
            continue;
        }
        if trimmed == "fi" {
            sides.pop();
            continue;
        }
        if branch == Some(false) || sides.contains(&Some(false)) {
            continue;
        }
        if sides.contains(&None) {
            let first = trimmed.split_whitespace().next().unwrap_or_default();
            assert_ne!(
                first, PROGRAM,
                "{ACTION}: `{trimmed}` runs under an `if` the test can't read"
            );
        }
        kept.push(line);
    }
    kept.join("\n")
}

/// The desired-state directory a pipeline file names: every definition of [`DIR_VARIABLE`]
/// (GitHub `env`, GitLab `variables`) must agree.
fn desired_state_dir(file: &str) -> String {
    fn collect(value: &Value, found: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    if (key == "env" || key == "variables")
                        && let Some(dir) = inner[DIR_VARIABLE].as_str()
                    {
                        found.push(dir.to_owned());
                    }
                    collect(inner, found);
                }
            }
            Value::Array(items) => items.iter().for_each(|item| collect(item, found)),
            _ => {}
        }
    }
    let mut found = Vec::new();
    collect(&parse(file), &mut found);
    found.dedup();
    assert_eq!(
        found.len(),
        1,
        "{file}: one value of {DIR_VARIABLE}: {found:?}"
    );
    found.remove(0)
}

#[test]
fn the_reader_takes_shell_lines_apart_like_a_shell() {
    let found = invocations(
        "status=0\n\
         docusign-gitops plan \"$DESIRED_STATE_DIR\" --format markdown --out plan.json > plan.md 2>&1 || status=$?\n\
         # a comment that names no program\n\
         #   docusign-gitops apply ${DESIRED_STATE_DIR} --plan 'plan.json' \\\n  --auto-approve\n\
         cargo install --locked --git \"$GIT\" --rev \"$REV\" docusign-gitops\n\
         test -x \"$ROOT/bin/docusign-gitops\" && docusign-gitops --version | tee version.txt\n",
    )
    .expect("readable");
    let shown: Vec<(Vec<String>, bool, bool)> = found
        .iter()
        .map(|call| (call.argv("D"), call.captured, call.commented))
        .collect();
    let strings = |args: &[&str]| args.iter().map(|arg| (*arg).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        shown,
        [
            (
                strings(&["plan", "D", "--format", "markdown", "--out", "plan.json"]),
                true,
                false
            ),
            (
                strings(&["apply", "D", "--plan", "plan.json", "--auto-approve"]),
                false,
                true
            ),
            (strings(&["--version"]), false, false),
        ]
    );
    for unreadable in [
        "echo \"run docusign-gitops plan\"",
        "git config user.name docusign-gitops",
        "docusign-gitops plan $(pwd)",
        "DOCUSIGN_X=1 docusign-gitops plan",
        "# see docusign-gitops --help",
    ] {
        assert!(
            invocations(unreadable).is_err(),
            "{unreadable} should be refused"
        );
    }
    // Inside a longer name, a path or a URL it is no mention at all.
    assert_eq!(
        mentions(
            "ls desired-state/.docusign-gitops/state https://x/docusign-gitops docusign-gitops-bot"
        ),
        0
    );
}

// ---- Running the command lines against an emulator ----

/// One CI's three files run the way a change goes through them, against one emulator of the
/// sample account (the company in `examples/desired-state`, with some hand edits).
fn run_pipelines(files: [&'static str; 3]) {
    let stages = Stages::read(files);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (running, token) = runtime
        .block_on(emulator::start_sample(Config::default()))
        .expect("start the sample emulator");
    let account_id = running.account_id();
    let checkout = tempfile::tempdir().expect("temp dir");
    let root = checkout.path();
    harness::copy_into("examples/desired-state", &root.join(&stages.dir));
    let repo = committed(root);
    let tool = Tool {
        root,
        // The sample emulator accepts the token it made, not the tests' own.
        cli: Cli::emulator(&running).env("DOCUSIGN_ACCESS_TOKEN", &token),
        dir: &stages.dir,
    };

    let state_files = [format!(
        "{}/.docusign-gitops/state/{account_id}.json",
        stages.dir
    )];
    // The sample account differs from the examples: a pull request, its merge, a scheduled check.
    stages.change_goes_through(&tool, &repo, &state_files, false);

    // The variants shown in comments (apply the reviewed plan file): a second pull request
    // changes a job title, and its plan file is applied as it is.
    if stages.apply.iter().any(|call| call.commented) {
        let path = format!("{}/users/operations.yaml", stages.dir);
        let yaml = std::fs::read_to_string(root.join(&path)).expect("read the users");
        assert!(yaml.contains("job_title: Procurement Specialist"));
        let promoted = yaml.replace(
            "job_title: Procurement Specialist",
            "job_title: Procurement Lead",
        );
        std::fs::write(root.join(&path), promoted).expect("write the users");
        commit(&repo, "a promotion", Some(&path));
        stages.change_goes_through(&tool, &repo, &state_files, true);
    }
}

/// The command lines of one CI's plan, apply and drift files.
struct Stages {
    files: [&'static str; 3],
    plan: Vec<Invocation>,
    apply: Vec<Invocation>,
    drift: Vec<Invocation>,
    /// The desired-state directory they all name.
    dir: String,
}

impl Stages {
    fn read(files: [&'static str; 3]) -> Self {
        let [plan, apply, drift] = files.map(invocations_of);
        for (file, calls, command) in [
            (files[0], &plan, "plan"),
            (files[1], &apply, "apply"),
            (files[2], &drift, "drift"),
        ] {
            assert!(
                calls
                    .iter()
                    .any(|call| !call.commented
                        && call.argv("D").first().is_some_and(|c| c == command)),
                "{file} runs {command}"
            );
            for call in calls {
                // Exit 2 means changes or drift: a step that doesn't keep the code fails on it.
                assert!(
                    !call.may_exit_2() || call.captured,
                    "{file}: `{}` can exit 2 and the pipeline doesn't keep its exit code",
                    call.line
                );
            }
        }
        let dirs = files.map(desired_state_dir);
        assert!(dirs.iter().all(|dir| *dir == dirs[0]), "{dirs:?}");
        let [dir, _, _] = dirs;
        Self {
            files,
            plan,
            apply,
            drift,
            dir,
        }
    }

    /// Plan (the change shows), then [`Stages::applied`].
    fn change_goes_through(
        &self,
        tool: &Tool<'_>,
        repo: &git2::Repository,
        state_files: &[String],
        variants: bool,
    ) {
        let plan_file = self.files[0];
        let planned = tool.run_all(plan_file, &self.plan, false);
        assert!(planned.contains(&2), "{plan_file}: the plan has changes");
        self.applied(tool, repo, state_files, variants);
    }

    /// Apply (the active command lines, or the commented variants), which commits the state
    /// files (`state_files`, in the checkout) for CI to push, then drift, which finds none.
    fn applied(
        &self,
        tool: &Tool<'_>,
        repo: &git2::Repository,
        state_files: &[String],
        variants: bool,
    ) {
        let [_, apply_file, drift_file] = self.files;
        let before = repo.head().expect("HEAD").target();
        tool.run_all(apply_file, &self.apply, variants);
        let after = repo.head().expect("HEAD");
        assert_ne!(
            after.target(),
            before,
            "{apply_file}: apply commits the state for CI to push"
        );
        let tree = after.peel_to_tree().expect("tree");
        for state in state_files {
            tree.get_path(Path::new(state))
                .unwrap_or_else(|_| panic!("{apply_file}: the state commit holds `{state}`"));
        }
        let checked = tool.run_all(drift_file, &self.drift, false);
        assert!(
            checked.iter().all(|code| *code == 0),
            "{drift_file}: no drift right after an apply"
        );
    }
}

/// The binary, as a pipeline runs it in a checkout, set up through the environment alone.
struct Tool<'a> {
    root: &'a Path,
    cli: Cli,
    dir: &'a str,
}

impl Tool<'_> {
    /// Runs the file's command lines (the active ones, or the commented variants) in order,
    /// each with exactly its arguments, and checks each exit code is one the pipeline goes on
    /// from. Returns the codes.
    fn run_all(&self, file: &str, calls: &[Invocation], commented: bool) -> Vec<i32> {
        self.run_job(file, calls, commented, &[])
            .iter()
            .map(|(_, run)| run.code)
            .collect()
    }

    /// As [`Tool::run_all`], in a job that also sets `vars` (a matrix value); a word with `*`
    /// is a file-name pattern, as the shell takes it unquoted (no pipeline quotes one), and
    /// standard output goes where the line sends it in the checkout. Returns each command
    /// line with its run.
    fn run_job<'c>(
        &self,
        file: &str,
        calls: &'c [Invocation],
        commented: bool,
        vars: &[(&str, &str)],
    ) -> Vec<(&'c Invocation, Run)> {
        let mut vars = vars.to_vec();
        vars.push((DIR_VARIABLE, self.dir));
        calls
            .iter()
            .filter(|call| call.commented == commented)
            .map(|call| {
                let args: Vec<String> = call
                    .expanded(&vars)
                    .into_iter()
                    .flat_map(|arg| matching_files(self.root, arg))
                    .collect();
                let run = self.run(&args);
                // clap ends a usage error with exit 2 too, which would pass for "changes".
                assert!(
                    !run.stderr.contains("Usage:"),
                    "{file}: `{}` is not a valid command line:\n{}",
                    call.line,
                    run.stderr
                );
                assert!(
                    call.success().contains(&run.code),
                    "{file}: `{}` exited {}, and the pipeline goes on only from {:?}\n--- stdout\n{}\n--- stderr\n{}",
                    call.line,
                    run.code,
                    call.success(),
                    run.stdout,
                    run.stderr
                );
                if let Some(path) = call.stdout_file(&vars) {
                    std::fs::write(self.root.join(&path), &run.stdout)
                        .unwrap_or_else(|err| panic!("write `{path}`: {err}"));
                }
                (call, run)
            })
            .collect()
    }

    fn run(&self, args: &[String]) -> Run {
        Run::of(self.cli.command(&[]).args(args).current_dir(self.root))
    }
}

/// The checkout at `root`: a new repository, set up as the pipelines' `git config` steps set
/// it, with everything in it committed.
fn committed(root: &Path) -> git2::Repository {
    let repo = git2::Repository::init(root).expect("git init");
    {
        let mut config = repo.config().expect("config");
        config.set_str("user.name", "CI").expect("user.name");
        config
            .set_str("user.email", "ci@example.com")
            .expect("user.email");
    }
    commit(&repo, "desired state", None);
    repo
}

/// Commits everything (`only` = None) or one path on top of HEAD.
fn commit(repo: &git2::Repository, message: &str, only: Option<&str>) {
    let mut index = repo.index().expect("index");
    match only {
        Some(path) => index.add_path(Path::new(path)).expect("add"),
        None => index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .expect("add"),
    }
    index.write().expect("write the index");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("tree");
    let signature = repo.signature().expect("signature");
    let parent = repo.head().ok().and_then(|head| head.peel_to_commit().ok());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(
        Some("HEAD"),
        &signature,
        &signature,
        message,
        &tree,
        &parents,
    )
    .expect("commit");
}

#[test]
fn github_pipelines_run_against_the_emulator() {
    run_pipelines(GITHUB);
}

#[test]
fn gitlab_pipelines_run_against_the_emulator() {
    run_pipelines(GITLAB);
}

/// The files in the checkout a word names: the word itself, unless its last part is a pattern
/// (`*`, `?`) that matches some, then those, sorted, as the shell expands them.
fn matching_files(root: &Path, word: String) -> Vec<String> {
    let (folder, pattern) = word.rsplit_once('/').unwrap_or(("", word.as_str()));
    if !pattern.contains(['*', '?']) {
        return vec![word];
    }
    assert!(
        !folder.contains(['*', '?']),
        "a pattern in a folder: {word}"
    );
    let pattern: Vec<char> = pattern.chars().collect();
    let mut matched: Vec<String> = std::fs::read_dir(root.join(folder))
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .filter(|name| {
                    !name.starts_with('.') && matches(&pattern, &name.chars().collect::<Vec<_>>())
                })
                .map(|name| {
                    if folder.is_empty() {
                        name
                    } else {
                        format!("{folder}/{name}")
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    matched.sort();
    if matched.is_empty() {
        vec![word]
    } else {
        matched
    }
}

/// Whether `name` matches the shell pattern `pattern` (`*` any run, `?` one character).
fn matches(pattern: &[char], name: &[char]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some(('*', rest)) => (0..=name.len()).any(|skip| matches(rest, &name[skip..])),
        Some((c, rest)) => name
            .split_first()
            .is_some_and(|(first, others)| (*c == '?' || c == first) && matches(rest, others)),
    }
}

#[test]
fn patterns_match_as_the_shell_matches_them() {
    let chars = |text: &str| text.chars().collect::<Vec<_>>();
    for (pattern, name, expected) in [
        ("*.json", "000-production.json", true),
        ("*.json", "000-production.status", false),
        ("???-*.json", "001-emea.json", true),
        ("???-*.json", "1-emea.json", false),
        ("plan.json", "plan.json", true),
    ] {
        assert_eq!(
            matches(&chars(pattern), &chars(name)),
            expected,
            "{pattern} {name}"
        );
    }
}

// ---- A workspace: one job, or one job per account ----

/// A CI's file that plans a workspace with one job per account, and the variable that gives a
/// job its place in the matrix, from which the file's `place=$(printf '%03d' "$VAR")` names
/// the job's files.
#[derive(Clone, Copy)]
struct MatrixCi {
    file: &'static str,
    place_from: &'static str,
    /// The place of the matrix's first job.
    first_place: usize,
}

/// One job of a matrix file: the accounts of its matrix (none for the job that merges), and
/// its command lines (with those of the template it extends, first).
struct Job {
    name: String,
    accounts: Option<Vec<String>>,
    calls: Vec<Invocation>,
}

impl MatrixCi {
    /// The jobs, those of the matrix first: the merging job needs them.
    fn jobs(self) -> Vec<Job> {
        let file = self.file;
        let workflow = parse(file);
        let (jobs, matrix): (Vec<(&String, &Value)>, &str) = if file.starts_with("github/") {
            let jobs = workflow["jobs"].as_object().expect("jobs");
            (jobs.iter().collect(), "/strategy/matrix/account")
        } else {
            let top = workflow.as_object().expect("a map");
            let jobs = top.iter().filter(|(key, _)| {
                !key.starts_with('.') && !GITLAB_GLOBAL_KEYS.contains(&key.as_str())
            });
            (jobs.collect(), "/parallel/matrix/0/ACCOUNT")
        };
        let mut found: Vec<Job> = jobs
            .into_iter()
            .map(|(name, job)| {
                let mut calls = Vec::new();
                if let Some(template) = job["extends"].as_str() {
                    calls = invocations_in(file, &workflow[template]);
                }
                calls.extend(invocations_in(file, job));
                let accounts = job.pointer(matrix).map(|values| {
                    serde_json::from_value(values.clone()).expect("a list of account names")
                });
                Job {
                    name: name.clone(),
                    accounts,
                    calls,
                }
            })
            .collect();
        found.sort_by_key(|job| job.accounts.is_none());
        let place = format!("place=$(printf '%03d' \"${}\")", self.place_from);
        assert!(
            shell_texts(file)
                .iter()
                .any(|text| text.lines().any(|line| line.trim() == place)),
            "{file}: a job's place is `{place}`, as this test has it"
        );
        found
    }

    /// Every job of the matrix once per account, with the account's name and place set as
    /// CI sets them; then the merging job. Returns the comment it writes.
    fn run(self, tool: &Tool<'_>, jobs: &[Job]) -> String {
        let file = self.file;
        // What the jobs' `mkdir -p plans` does; in CI, the merging job's `plans/` holds what
        // every job of the matrix handed on.
        assert!(
            shell_texts(file)
                .iter()
                .any(|text| text.lines().any(|line| line.trim() == "mkdir -p plans")),
            "{file}: the jobs make `plans/`"
        );
        std::fs::create_dir_all(tool.root.join("plans")).expect("mkdir plans");
        let mut comment = None;
        for job in jobs {
            let Some(accounts) = &job.accounts else {
                let runs = tool.run_job(file, &job.calls, false, &[]);
                comment = markdown_of(&runs).or(comment);
                continue;
            };
            assert_eq!(accounts, &ACCOUNTS, "{file}: {}: every account", job.name);
            for (index, account) in accounts.iter().enumerate() {
                let place = format!("{:03}", index + self.first_place);
                let vars = [("ACCOUNT", account.as_str()), ("place", place.as_str())];
                let runs = tool.run_job(file, &job.calls, false, &vars);
                assert!(
                    runs.iter().any(|(_, run)| run.code == 2),
                    "{file}: {}: `{account}` has changes",
                    job.name
                );
            }
        }
        comment.unwrap_or_else(|| panic!("{file}: no job writes the comment"))
    }
}

/// What the command line that writes markdown printed.
fn markdown_of(runs: &[(&Invocation, Run)]) -> Option<String> {
    runs.iter()
        .find(|(call, _)| call.prints_markdown())
        .map(|(_, run)| run.stdout.clone())
}

/// A comment without the API calls each account had left this hour when it was planned
/// (`(2992 left this hour)`): every plan spends some, so the matrix's plans, made after the
/// single job's, see fewer.
fn without_budget(comment: &str) -> String {
    const LEFT: &str = " left this hour)";
    let mut kept = String::new();
    let mut rest = comment;
    while let Some(at) = rest.find(LEFT) {
        let open = rest[..at].rfind('(').expect("an opening parenthesis");
        assert!(
            rest[open + 1..at].chars().all(|c| c.is_ascii_digit()),
            "{}",
            &rest[open..at + LEFT.len()]
        );
        kept.push_str(&rest[..=open]);
        kept.push('…');
        rest = &rest[at..];
        kept.push_str(LEFT);
        rest = &rest[LEFT.len()..];
    }
    kept.push_str(rest);
    kept
}

/// One CI's plan, apply and drift files, and its matrix file, take two changes to a copy of
/// the example workspace through, against an emulator of its accounts (`emea` with credentials
/// of its own, as its secrets give them): the plan file's single job and the matrix's jobs
/// merged give the same comment; apply (the first time the active lines, the second the
/// reviewed plan variant, given the matrix's merged plan) commits every account's state;
/// drift finds none; and the plan is then empty.
fn run_workspace_pipelines(files: [&'static str; 3], matrix: MatrixCi) {
    let stages = Stages::read(files);
    let jobs = matrix.jobs();
    for command in ["plan", "show"] {
        assert!(
            jobs.iter()
                .flat_map(|job| &job.calls)
                .any(|call| call.command() == Some(command)),
            "{}: runs {command}",
            matrix.file
        );
    }
    assert_eq!(desired_state_dir(matrix.file), stages.dir);
    let (served, token) = workspace_support::serve(Config::default());
    let checkout = tempfile::tempdir().expect("temp dir");
    let root = checkout.path();
    let workspace = root.join(&stages.dir);
    harness::copy_into("examples/workspace", &workspace);
    workspace_support::point_at_emulator(&workspace);
    let repo = committed(root);
    let tool = Tool {
        root,
        cli: Cli::new()
            .env("DOCUSIGN_AUTH_SERVER", &served.running.url)
            .env("DOCUSIGN_ACCESS_TOKEN", &token)
            .env("EMEA_DOCUSIGN_ACCESS_TOKEN", &token),
        dir: &stages.dir,
    };
    let state_files: Vec<String> = ACCOUNTS
        .iter()
        .map(|name| {
            format!(
                "{}/{name}/.docusign-gitops/state/{}.json",
                stages.dir,
                workspace_support::account_id(name)
            )
        })
        .collect();
    let plan_file = files[0];
    let planned_alike = || {
        let runs = tool.run_job(plan_file, &stages.plan, false, &[]);
        assert!(
            runs.iter().any(|(_, run)| run.code == 2),
            "{plan_file}: the plan has changes"
        );
        let single = markdown_of(&runs).expect("the plan's comment");
        assert!(single.contains("| `emea` |"), "{single}");
        let merged = matrix.run(&tool, &jobs);
        assert_eq!(
            without_budget(&merged),
            without_budget(&single),
            "{}: the merged comment is the single job's",
            matrix.file
        );
        // What the merging job keeps as the workspace's plan: every account's, in order.
        let saved: Value = serde_json::from_str(
            &std::fs::read_to_string(root.join("plan.json")).expect("the merged plan.json"),
        )
        .expect("JSON");
        let names: Vec<&str> = saved
            .as_array()
            .expect("an array")
            .iter()
            .map(|entry| entry["account"].as_str().expect("a name"))
            .collect();
        assert_eq!(names, ACCOUNTS, "{}: the merged plan.json", matrix.file);
    };
    let empty = || {
        let codes = tool.run_all(plan_file, &stages.plan, false);
        assert!(
            codes.iter().all(|code| *code == 0),
            "{plan_file}: nothing left to plan"
        );
    };

    planned_alike();
    stages.applied(&tool, &repo, &state_files, false);
    empty();

    // A promotion every account shares, applied from the matrix's merged plan file.
    if stages.apply.iter().any(|call| call.commented) {
        let path = format!("{}/shared/users.yaml", stages.dir);
        let yaml = std::fs::read_to_string(root.join(&path)).expect("read the users");
        assert!(yaml.contains("job_title: Counsel\n"));
        let promoted = yaml.replace("job_title: Counsel\n", "job_title: General Counsel\n");
        std::fs::write(root.join(&path), promoted).expect("write the users");
        commit(&repo, "a promotion", Some(&path));
        planned_alike();
        stages.applied(&tool, &repo, &state_files, true);
        empty();
    }
}

#[test]
fn github_workspace_pipelines_run_against_the_emulator() {
    run_workspace_pipelines(GITHUB, GITHUB_MATRIX);
}

#[test]
fn gitlab_workspace_pipelines_run_against_the_emulator() {
    run_workspace_pipelines(GITLAB, GITLAB_MATRIX);
}

// ---- Running the scheduled sync ----

/// The worked example of `sync`: the sample's YAML has no `sync` section to run.
const SYNC_EXAMPLE: &str = "examples/directory-sync";

/// The sync file's command lines, run in order in a copy of the worked example, with no
/// DocuSign setting at all (sync never calls DocuSign): with the committed export the generated
/// file stays as it is, so the pipeline proposes nothing; with HR's next export (one person
/// moved) it changes, which is what the pipeline commits and proposes.
fn run_sync_pipeline(file: &'static str) {
    let calls = invocations_of(file);
    assert!(
        calls
            .iter()
            .any(|call| !call.commented && call.argv("D").first().is_some_and(|c| c == "sync")),
        "{file} runs sync"
    );
    let dir = desired_state_dir(file);
    let checkout = tempfile::tempdir().expect("temp dir");
    let example = checkout.path().join(&dir);
    harness::copy_into(SYNC_EXAMPLE, &example);
    let tool = Tool {
        root: checkout.path(),
        cli: Cli::new(),
        dir: &dir,
    };
    let read = |relative: &str| {
        std::fs::read_to_string(example.join(relative))
            .unwrap_or_else(|err| panic!("read `{relative}`: {err}"))
    };
    let committed = read("generated/hr.yaml");
    tool.run_all(file, &calls, false);
    assert_eq!(
        read("generated/hr.yaml"),
        committed,
        "{file}: the committed export proposes nothing"
    );
    let export = read("hr/people.csv");
    let moved = export.replacen(
        "Sofia,Rossi,Financial Analyst,Finance,",
        "Sofia,Rossi,Account Executive,Sales,",
        1,
    );
    assert_ne!(moved, export, "the example's export has Sofia in Finance");
    std::fs::write(example.join("hr/people.csv"), moved).expect("write the export");
    tool.run_all(file, &calls, false);
    let proposed = read("generated/hr.yaml");
    let sofia = proposed
        .split("\n\n")
        .find(|entry| entry.contains("- email: sofia.rossi@"))
        .expect("Sofia is proposed");
    assert!(
        sofia.contains("provenance: {source: hr, rules: [sales]}"),
        "{file}: the move is what the pipeline proposes:\n{sofia}"
    );
}

#[test]
fn github_sync_pipeline_runs_on_the_worked_example() {
    run_sync_pipeline(GITHUB_SYNC);
}

#[test]
fn gitlab_sync_pipeline_runs_on_the_worked_example() {
    run_sync_pipeline(GITLAB_SYNC);
}

/// The reclaim pipeline's command lines on the example against the sample account: the seats
/// report and the marks land where the pipeline commits them (the desired-state directory),
/// the marked YAML validates, and the next month's run proposes nothing new.
fn run_reclaim_pipeline(file: &'static str) {
    let calls = invocations_of(file);
    let commands: Vec<String> = calls
        .iter()
        .filter(|call| !call.commented)
        .filter_map(|call| call.argv("D").first().cloned())
        .filter(|command| !command.starts_with('-'))
        .collect();
    assert_eq!(commands, ["seats", "reclaim"], "{file}");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let (running, token) = runtime
        .block_on(emulator::start_sample(Config::default()))
        .expect("start the sample emulator");
    let dir = desired_state_dir(file);
    let checkout = tempfile::tempdir().expect("temp dir");
    let example = checkout.path().join(&dir);
    harness::copy_into("examples/desired-state", &example);
    let tool = Tool {
        root: checkout.path(),
        cli: Cli::emulator(&running).env("DOCUSIGN_ACCESS_TOKEN", &token),
        dir: &dir,
    };
    let runs = tool.run_job(file, &calls, false, &[]);
    let reclaimed = &runs.last().expect("reclaim ran").1;
    assert!(
        reclaimed.stdout.contains("Marked 6 users in 4 files."),
        "{file}: {}",
        reclaimed.stdout
    );
    let sales = std::fs::read_to_string(example.join("users/sales.yaml")).expect("read");
    assert!(sales.contains("status: closed") && sales.contains("# reclaim "));
    tool.run(&["validate".to_owned(), dir.clone()]).exits(0);
    let again = tool.run_job(file, &calls, false, &[]);
    assert!(
        again
            .last()
            .expect("reclaim ran")
            .1
            .stdout
            .contains("Nothing to reclaim")
    );
}

#[test]
fn github_reclaim_pipeline_runs_on_the_example() {
    run_reclaim_pipeline(GITHUB_RECLAIM);
}

#[test]
fn gitlab_reclaim_pipeline_runs_on_the_example() {
    run_reclaim_pipeline(GITLAB_RECLAIM);
}

/// A step that uses the action runs the action's own command lines, with the step's inputs:
/// what the GitHub files run comes out of action.yml, the reviewed-plan variant included.
#[test]
fn github_steps_that_use_the_action_run_its_command_lines() {
    let shown = |file: &str| -> Vec<(Vec<String>, bool, bool)> {
        invocations_of(file)
            .iter()
            .filter(|call| call.line.contains(ACTION))
            .map(|call| (call.argv("D"), call.commented, call.captured))
            .collect()
    };
    let strings = |args: &[&str]| args.iter().map(|arg| (*arg).to_owned()).collect::<Vec<_>>();
    let version = (strings(&["--version"]), false, false);
    assert_eq!(
        shown("github/plan.yml"),
        [
            version.clone(),
            (
                strings(&[
                    "plan",
                    "D",
                    "--format",
                    "markdown",
                    "--out",
                    "plan.json",
                    "--detailed-exitcode"
                ]),
                false,
                true
            ),
        ]
    );
    assert_eq!(
        shown("github/apply.yml"),
        [
            version.clone(),
            (strings(&["apply", "D", "--auto-approve"]), false, true),
            (
                strings(&["apply", "D", "--plan", "plan.json", "--auto-approve"]),
                true,
                true
            ),
        ]
    );
    assert_eq!(
        shown("github/drift.yml"),
        [
            version.clone(),
            (
                strings(&["drift", "D", "--format", "markdown", "--out", "drift.json"]),
                false,
                true
            ),
        ]
    );
    assert_eq!(
        shown(GITHUB_SYNC),
        [version.clone(), (strings(&["sync", "D"]), false, true)]
    );
    // `install` runs nothing but the version.
    assert_eq!(shown(GITHUB_MATRIX.file), [version.clone(), version]);
    // The plan's markdown goes to plan.md in the checkout, where the artifact step finds it.
    let plan = invocations_of("github/plan.yml");
    let planned = plan
        .iter()
        .find(|call| call.command() == Some("plan"))
        .expect("a plan");
    assert_eq!(planned.stdout_file(&[]), Some("plan.md".to_owned()));
    // sync's report goes outside the checkout.
    let synced = invocations_of(GITHUB_SYNC);
    let sync = synced
        .iter()
        .find(|call| call.command() == Some("sync"))
        .expect("a sync");
    assert_eq!(sync.stdout_file(&[]), None);
}
