//! The ready-made CI pipelines in `examples/ci/`: every file parses as YAML with the shape its CI
//! expects, and every `docusign-gitops` command line in their `run:` / `script:` text runs, with
//! exactly its flags, against an emulator of the sample account, in the order CI runs them: the
//! pull request's plan, the merge's apply, the scheduled drift check. The scheduled sync runs
//! against the worked example of `sync`, without DocuSign. A command line the reader below
//! can't take apart fails the test, so a new one can't slip in untested.

use std::path::{Path, PathBuf};

use docusign_gitops::emulator::{self, Config};
use serde_json::Value;

use crate::harness::{self, Cli, Run};

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

fn github_files() -> impl Iterator<Item = &'static str> {
    GITHUB.into_iter().chain([GITHUB_SYNC])
}

fn gitlab_files() -> impl Iterator<Item = &'static str> {
    GITLAB.into_iter().chain([GITLAB_SYNC])
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
    let plan_actions = uses("github/plan.yml");
    for action in [
        "actions/upload-artifact@v4",
        "actions/github-script@v7",
        "actions/cache@v4",
    ] {
        assert!(
            plan_actions.iter().any(|used| used == action),
            "plan.yml uses {action}"
        );
    }
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

#[test]
fn installs_are_locked_and_pinned() {
    for file in github_files().chain(gitlab_files()) {
        let mut installs = 0;
        for text in shell_texts(file) {
            for line in logical_lines(&text) {
                if line.trim_start().starts_with("cargo install") {
                    installs += 1;
                    for flag in ["--locked", "--git"] {
                        assert!(line.contains(flag), "{file}: {flag} in {line}");
                    }
                    assert!(
                        line.contains("--rev") || line.contains("--tag"),
                        "{file}: pinned by --rev or --tag: {line}"
                    );
                }
            }
        }
        assert_eq!(installs, 1, "{file}: one install");
    }
}

// ---- Reading command lines out of the pipelines ----

/// A piece of a shell word: literal text, or a variable (`$NAME`, `${NAME}`, `$?`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Text(String),
    Var(String),
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
}

impl Invocation {
    /// The arguments with [`DIR_VARIABLE`] replaced by `dir`; any other variable is an error.
    fn argv(&self, dir: &str) -> Vec<String> {
        self.args
            .iter()
            .map(|word| {
                word.iter()
                    .map(|piece| match piece {
                        Piece::Text(text) => text.clone(),
                        Piece::Var(name) if name == DIR_VARIABLE => dir.to_owned(),
                        Piece::Var(name) => panic!(
                            "`{}` uses ${name}; the test knows only ${DIR_VARIABLE}",
                            self.line
                        ),
                    })
                    .collect()
            })
            .collect()
    }

    /// Whether the command can exit 2 for "changes" or "drift" rather than for an error.
    fn may_exit_2(&self) -> bool {
        let args = self.argv("DIR");
        args.first().is_some_and(|command| command == "drift")
            || args.iter().any(|arg| arg == "--detailed-exitcode")
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
        for (index, (words, separator)) in commands.iter().enumerate() {
            let is_program = |word: &Word| *word == [Piece::Text(PROGRAM.to_owned())];
            if words.first().is_some_and(is_program) {
                accounted += 1;
                let captured = separator.as_deref() == Some("||")
                    && commands.get(index + 1).is_some_and(
                        |(next, _)| matches!(next.as_slice(), [word] if keeps_exit_code(word)),
                    );
                found.push(Invocation {
                    line: body.trim().to_owned(),
                    args: words[1..].to_vec(),
                    captured,
                    commented,
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

/// Splits tokens into commands (words without redirections), each with the operator after it.
fn commands(tokens: &[Token]) -> Vec<(Vec<Word>, Option<String>)> {
    let mut commands = Vec::new();
    let mut words = Vec::new();
    let mut skip_target = false;
    for token in tokens {
        match token {
            Token::Op(op) if ["&&", "||", "|", ";", "&"].contains(&op.as_str()) => {
                commands.push((std::mem::take(&mut words), Some(op.clone())));
            }
            // A redirection: its target is not an argument (`2>&1` carries its own).
            Token::Op(op) => skip_target = !op.ends_with(|c: char| c.is_ascii_digit() || c == '-'),
            Token::Word(_) if skip_target => skip_target = false,
            Token::Word(word) => words.push(word.clone()),
        }
    }
    if !words.is_empty() {
        commands.push((words, None));
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
    let mut found = Vec::new();
    for text in shell_texts(file) {
        found.extend(invocations(&text).unwrap_or_else(|err| panic!("{file}: {err}")));
    }
    found
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
    let repo = git2::Repository::init(root).expect("git init");
    {
        // What the pipelines' `git config` steps do.
        let mut config = repo.config().expect("config");
        config.set_str("user.name", "CI").expect("user.name");
        config
            .set_str("user.email", "ci@example.com")
            .expect("user.email");
    }
    commit(&repo, "desired state", None);
    let tool = Tool {
        root,
        // The sample emulator accepts the token it made, not the tests' own.
        cli: Cli::emulator(&running).env("DOCUSIGN_ACCESS_TOKEN", &token),
        dir: &stages.dir,
    };

    // The sample account differs from the examples: a pull request, its merge, a scheduled check.
    stages.change_goes_through(&tool, &repo, &account_id, false);

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
        stages.change_goes_through(&tool, &repo, &account_id, true);
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

    /// Plan (the change shows), apply (the active command lines, or the commented variants),
    /// which commits the state for CI to push, then drift, which finds none.
    fn change_goes_through(
        &self,
        tool: &Tool<'_>,
        repo: &git2::Repository,
        account_id: &str,
        variants: bool,
    ) {
        let [plan_file, apply_file, drift_file] = self.files;
        let planned = tool.run_all(plan_file, &self.plan, false);
        assert!(planned.contains(&2), "{plan_file}: the plan has changes");
        let before = repo.head().expect("HEAD").target();
        tool.run_all(apply_file, &self.apply, variants);
        let after = repo.head().expect("HEAD");
        assert_ne!(
            after.target(),
            before,
            "{apply_file}: apply commits the state for CI to push"
        );
        let state = format!("{}/.docusign-gitops/state/{account_id}.json", self.dir);
        after
            .peel_to_tree()
            .expect("tree")
            .get_path(Path::new(&state))
            .expect("the state commit holds the state file");
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
        calls
            .iter()
            .filter(|call| call.commented == commented)
            .map(|call| {
                let run = self.run(&call.argv(self.dir));
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
                run.code
            })
            .collect()
    }

    fn run(&self, args: &[String]) -> Run {
        Run::of(self.cli.command(&[]).args(args).current_dir(self.root))
    }
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
