//! Property tests: no input, however malformed, makes the loader and validator panic, every
//! problem they report renders, and the desired state is produced exactly when no error is.
//!
//! Failing cases are not persisted (nothing is written into the repo); proptest prints the
//! minimal failing input instead. `PROPTEST_CASES=N` overrides the number of cases.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

use docusign_gitops::desired::{self, Desired, Level, Outcome, Problem, SourceFile};
use docusign_gitops::model::{BuiltinGroup, BuiltinProfile};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};
use proptest::prelude::*;
use proptest::test_runner::Config;

/// Cases per property: enough to find shallow bugs, few enough to keep debug runs short.
fn config(default_cases: u32) -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default_cases);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------------------------
// The checks every property makes on an outcome.
// ---------------------------------------------------------------------------------------------

/// Parses and validates `files` in memory and checks everything about the outcome that must
/// hold for any input.
fn check_files(files: &[(String, String)]) -> Outcome {
    let sources = files
        .iter()
        .map(|(name, text)| SourceFile::from_text(name, text))
        .collect();
    let outcome = desired::check(sources, true);
    let texts: HashMap<&str, &str> = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    assert_eq!(outcome.files, files.len(), "file count");
    for problem in &outcome.problems {
        assert_renders(problem);
        assert_spans_in_bounds(problem, &texts);
    }
    let errors = outcome
        .problems
        .iter()
        .filter(|problem| problem.level() == Level::Error)
        .count();
    assert_eq!(
        outcome.desired.is_some(),
        errors == 0,
        "a desired state must be produced exactly when there is no error; problems: {:#?}",
        outcome
            .problems
            .iter()
            .map(|problem| (problem.level(), problem.code(), problem.message()))
            .collect::<Vec<_>>()
    );
    assert!(
        outcome
            .problems
            .iter()
            .all(|problem| problem.level() != Level::Note),
        "notes appear only as related problems"
    );
    if let Some(desired) = &outcome.desired {
        assert_references_resolved(desired);
    }
    outcome
}

fn assert_renders(problem: &Problem) {
    let mut out = String::new();
    let rendered = GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .render_report(&mut out, problem);
    assert!(
        rendered.is_ok(),
        "problem `{}` ({}) does not render: {problem:?}",
        problem.message(),
        problem.code()
    );
    assert!(
        out.contains(problem.code()),
        "the rendering of `{}` lacks its code:\n{out}",
        problem.message()
    );
}

/// Every label (of the problem and of its related notes) can be read from what the problem
/// shows of its file (a bounded excerpt, so its offsets are the excerpt's), names a known file,
/// and starts and ends on character boundaries.
fn assert_spans_in_bounds(problem: &dyn Diagnostic, texts: &HashMap<&str, &str>) {
    if let Some(labels) = problem.labels() {
        let source = problem
            .source_code()
            .unwrap_or_else(|| panic!("`{problem}` has labels but no source code"));
        for label in labels {
            let (start, end) = (label.offset(), label.offset() + label.len());
            let contents = source.read_span(label.inner(), 0, 0).unwrap_or_else(|err| {
                panic!("`{problem}`: label {start}..{end} can't be read: {err}")
            });
            let name = contents.name().unwrap_or_default();
            assert!(
                texts.contains_key(name),
                "`{problem}` points into unknown file `{name}`"
            );
            let around = source
                .read_span(label.inner(), 1, 1)
                .expect("read with context");
            let shown = std::str::from_utf8(around.data()).unwrap_or_else(|_| {
                panic!("`{problem}`: the excerpt of `{name}` splits a character")
            });
            let from = start - around.span().offset();
            assert!(
                end <= around.span().offset() + around.span().len()
                    && shown.is_char_boundary(from)
                    && shown.is_char_boundary(from + label.len()),
                "`{problem}`: label {start}..{end} is outside what is shown of `{name}` or splits a character"
            );
        }
    }
    if let Some(related) = problem.related() {
        for note in related {
            assert_spans_in_bounds(note, texts);
        }
    }
}

/// A produced desired state refers only to objects it declares or that DocuSign builds in.
fn assert_references_resolved(desired: &Desired) {
    let state = &desired.state;
    let profiles: BTreeSet<&str> = state
        .permission_profiles
        .values()
        .map(|profile| profile.name.as_str())
        .chain(BuiltinProfile::ALL.iter().map(|builtin| builtin.api_name()))
        .collect();
    let groups: BTreeSet<&str> = state
        .groups
        .values()
        .map(|group| group.name.as_str())
        .chain([BuiltinGroup::Administrators.api_name()])
        .collect();
    assert!(
        profiles.contains(desired.default_profile.as_str()),
        "default profile `{}` is not declared",
        desired.default_profile
    );
    for group in state.groups.values() {
        if let Some(profile) = &group.permission_profile {
            assert!(
                profiles.contains(profile.as_str()),
                "group `{}` carries undeclared profile `{profile}`",
                group.name
            );
        }
    }
    for user in state.users.values() {
        assert!(
            profiles.contains(user.permission_profile.as_str()),
            "user `{}` holds undeclared profile `{}`",
            user.email,
            user.permission_profile
        );
        for group in &user.groups {
            assert!(
                groups.contains(group.as_str()),
                "user `{}` is in undeclared group `{group}`",
                user.email
            );
        }
    }
    for signing_group in state.signing_groups.values() {
        assert!(
            signing_group.members.len() <= desired::validate::MAX_SIGNING_GROUP_MEMBERS,
            "signing group `{}` has too many members",
            signing_group.name
        );
    }
    assert!(state.signing_groups.len() <= desired::validate::MAX_SIGNING_GROUPS);
}

fn file_names(count: usize) -> Vec<String> {
    ["people/a.yaml", "b.yml", "groups/c.yaml"][..count]
        .iter()
        .map(|name| (*name).to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// A YAML document tree and its rendering.
// ---------------------------------------------------------------------------------------------

/// A YAML value, before rendering.
#[derive(Clone, Debug)]
enum Node {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    /// Rendered double-quoted, so any text is valid YAML.
    Str(String),
    /// Rendered as is: plain scalars YAML resolves in its own ways (`yes`, `~`, `5%`, `*a`).
    Raw(&'static str),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

/// How a file is laid out around its document.
#[derive(Clone, Copy, Debug)]
enum Layout {
    Block,
    /// Block style with Windows line endings.
    BlockCrlf,
    Flow,
}

fn render(node: &Node, layout: Layout, prefix: &str, suffix: &str) -> String {
    let mut out = String::from(prefix);
    let block = matches!(layout, Layout::Block | Layout::BlockCrlf);
    match node {
        Node::Map(entries) if block && !entries.is_empty() => block_map(entries, 0, &mut out),
        Node::Seq(items) if block && !items.is_empty() => block_seq(items, 0, &mut out),
        _ => {
            flow(node, &mut out);
            out.push('\n');
        }
    }
    out.push_str(suffix);
    // Line breaks inside scalars are escaped, so every raw `\n` is a line ending.
    match layout {
        Layout::BlockCrlf => out.replace('\n', "\r\n"),
        Layout::Block | Layout::Flow => out,
    }
}

fn pad(column: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', column));
}

fn block_map(entries: &[(String, Node)], column: usize, out: &mut String) {
    for (key, value) in entries {
        pad(column, out);
        block_entry(key, value, column, out);
    }
}

/// `key: value` with the key at `column`; the cursor is already there.
fn block_entry(key: &str, value: &Node, column: usize, out: &mut String) {
    block_key(key, out);
    out.push(':');
    match value {
        Node::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            block_map(entries, column + 2, out);
        }
        Node::Seq(items) if !items.is_empty() => {
            out.push('\n');
            block_seq(items, column + 2, out);
        }
        _ => {
            out.push(' ');
            flow(value, out);
            out.push('\n');
        }
    }
}

fn block_seq(items: &[Node], column: usize, out: &mut String) {
    for item in items {
        pad(column, out);
        match item {
            Node::Map(entries) if !entries.is_empty() => {
                out.push_str("- ");
                let (first, rest) = entries.split_first().expect("not empty");
                block_entry(&first.0, &first.1, column + 2, out);
                block_map(rest, column + 2, out);
            }
            Node::Seq(inner) if !inner.is_empty() => {
                out.push_str("-\n");
                block_seq(inner, column + 2, out);
            }
            _ => {
                out.push_str("- ");
                flow(item, out);
                out.push('\n');
            }
        }
    }
}

fn block_key(key: &str, out: &mut String) {
    let plain = key
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        out.push_str(key);
    } else {
        quoted(key, out);
    }
}

fn flow(node: &Node, out: &mut String) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Node::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Node::Float(x) if x.is_nan() => out.push_str(".nan"),
        Node::Float(x) if x.is_infinite() => {
            out.push_str(if *x > 0.0 { ".inf" } else { "-.inf" });
        }
        Node::Float(x) => {
            let _ = write!(out, "{x:?}");
        }
        Node::Str(text) => quoted(text, out),
        Node::Raw(text) => out.push_str(text),
        Node::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                flow(item, out);
            }
            out.push(']');
        }
        Node::Map(entries) => {
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                quoted(key, out);
                out.push_str(": ");
                flow(value, out);
            }
            out.push('}');
        }
    }
}

/// A YAML double-quoted scalar; characters YAML does not allow in a stream are escaped.
fn quoted(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..
                if c != '\u{feff}' =>
            {
                out.push(c);
            }
            c if u32::from(c) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08x}", u32::from(c));
            }
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------------------------
// Strategies for documents shaped like the desired-state format.
// ---------------------------------------------------------------------------------------------

/// How wrong one file is. serde stops at a file's first type error, so a file that is wrong in
/// both ways would rarely reach validation: each file is wrong in one way only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mess {
    /// Valid values, fresh names, references to built-ins only: usually a valid file.
    Clean,
    /// The right keys and types, with wrong or clashing values: exercises validation.
    Semantic,
    /// Misspelt and unknown keys, values of any type, YAML oddities: exercises the parser.
    Syntactic,
}

fn mess() -> impl Strategy<Value = Mess> {
    prop_oneof![
        2 => Just(Mess::Clean),
        3 => Just(Mess::Semantic),
        1 => Just(Mess::Syntactic),
    ]
}

/// Names drawn from a small pool, so duplicates and references to declared names are common.
const NAMES: &[&str] = &[
    "Sales",
    "sales",
    "Finance",
    "Legal",
    "Vertrieb Süd",
    "Everyone",
    "everyone",
    "Administrators",
    "DocuSign Viewer",
    "docusign viewer",
    "DocuSign Sender",
    "Account Administrator",
    "Senders",
    "Senders (custom)",
];

const EMAILS: &[&str] = &[
    "ann@example.com",
    "ANN@Example.com",
    "bob@example.org",
    "carla.diaz+hr@corp.example.co.uk",
    "ü@exämple.de",
    "o'neil@example.ie",
    // Malformed ones.
    "plain",
    "a@b",
    " ann@example.com",
    "ann@example.com ",
    "a b@c.com",
    "@example.com",
    "a@b.c",
    "a@1.2.3.4",
    "a..b@example.com",
];

const KNOWN_SETTINGS: &[&str] = &[
    "allowAccountManagement",
    "allowBulkSending",
    "allowedAddressBookAccess",
    "allowedTemplateAccess",
    "powerFormRole",
    "allowSendersToSetRecipientEmailLanguage",
    "allowaccountmanagement",
    "notASetting",
];

const SETTING_WORDS: &[&str] = &[
    "true",
    "false",
    "TRUE",
    " false ",
    "yes",
    "share",
    "use",
    "create",
    "none",
    "admin",
    "user",
    "personal",
    "useShared",
    "",
    "Share",
];

const RAW_SCALARS: &[&str] = &[
    "~",
    "yes",
    "no",
    "on",
    "off",
    "True",
    "NULL",
    "5%",
    "100%",
    "-1",
    "0x1F",
    "0o17",
    "1e3",
    ".5",
    "1_000",
    "12:30",
    "2024-01-01",
    "&anchor value",
    "*undefined",
    "!!str 3",
    "!!int \"x\"",
    "!custom x",
    "''",
    "'single'",
    "|",
    ">",
    "-",
    "? x",
    "@",
    "`",
    "%",
    "{",
    "]",
    "#",
    "\"unterminated",
];

fn pick(pool: &'static [&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(pool)
        .prop_map(str::to_owned)
        .boxed()
}

/// One of an enum's words; outside clean files, sometimes a word that is not one of them
/// (which stops the file's parse, so rarely in semantically messy files).
fn variant(
    valid: &'static [&'static str],
    invalid: &'static [&'static str],
    mess: Mess,
) -> BoxedStrategy<String> {
    match mess {
        Mess::Clean => pick(valid),
        Mess::Semantic => prop_oneof![12 => pick(valid), 1 => pick(invalid)].boxed(),
        Mess::Syntactic => prop_oneof![pick(valid), pick(invalid)].boxed(),
    }
}

/// Text for a name being declared.
fn name_text(mess: Mess) -> BoxedStrategy<String> {
    if mess == Mess::Clean {
        return "[A-Z][a-z]{2,8}( [A-Z][a-z]{2,8})?".boxed();
    }
    prop_oneof![
        12 => pick(NAMES),
        2 => "[A-Z][a-z]{1,8}( [A-Z][a-z]{1,8})?",
        1 => Just(String::new()),
        1 => Just("   ".to_owned()),
        1 => "[ \t]{0,2}[A-Za-z]{1,6}[ \t]{0,2}",
        1 => "\\PC{0,24}",
        1 => "[a-z]{101,110}",
    ]
    .boxed()
}

/// Text naming a permission profile elsewhere.
fn profile_reference(mess: Mess) -> BoxedStrategy<String> {
    if mess == Mess::Clean {
        return pick(&[
            "DocuSign Viewer",
            "docusign sender",
            "Account Administrator ",
        ]);
    }
    name_text(mess)
}

/// Text naming a group elsewhere.
fn group_reference(mess: Mess) -> BoxedStrategy<String> {
    if mess == Mess::Clean {
        return pick(&["Administrators", "administrators"]);
    }
    name_text(mess)
}

fn email_text(mess: Mess) -> BoxedStrategy<String> {
    let valid = "[a-z]{1,8}(\\.[a-z]{1,5})?@[a-z]{1,8}\\.(com|de|org)";
    if mess == Mess::Clean {
        return valid.boxed();
    }
    prop_oneof![
        6 => pick(EMAILS),
        6 => valid,
        1 => "\\PC{0,30}",
        1 => "[a-z]{65}@example\\.com",
    ]
    .boxed()
}

/// Any YAML value, shallow or nested.
fn any_node() -> BoxedStrategy<Node> {
    let leaf = prop_oneof![
        Just(Node::Null),
        any::<bool>().prop_map(Node::Bool),
        any::<i64>().prop_map(|n| Node::Int(n.into())),
        any::<i128>().prop_map(Node::Int),
        Just(Node::Int(i128::from(u64::MAX) + 1)),
        any::<f64>().prop_map(Node::Float),
        (-1000.0..1000.0f64).prop_map(Node::Float),
        "\\PC{0,16}".prop_map(Node::Str),
        name_text(Mess::Semantic).prop_map(Node::Str),
        email_text(Mess::Semantic).prop_map(Node::Str),
        "[0-9]{1,3}(\\.[0-9]{1,2})? ?%".prop_map(Node::Str),
        proptest::sample::select(RAW_SCALARS).prop_map(Node::Raw),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Node::Seq),
            prop::collection::vec(("[a-z_]{1,10}", inner), 0..4).prop_map(Node::Map),
        ]
    })
    .boxed()
}

/// A value of the expected kind; in a syntactically messy file, sometimes of any kind.
fn mostly(good: BoxedStrategy<Node>, mess: Mess) -> BoxedStrategy<Node> {
    if mess == Mess::Syntactic {
        prop_oneof![6 => good, 1 => any_node()].boxed()
    } else {
        good
    }
}

fn text(strategy: BoxedStrategy<String>, mess: Mess) -> BoxedStrategy<Node> {
    mostly(strategy.prop_map(Node::Str).boxed(), mess)
}

/// A key as written: right, or in a syntactically messy file sometimes misspelt.
fn key(right: &'static str, mess: Mess) -> BoxedStrategy<String> {
    if mess != Mess::Syntactic {
        return Just(right.to_owned()).boxed();
    }
    prop_oneof![
        12 => Just(right.to_owned()),
        1 => Just(right.to_uppercase()),
        1 => Just(format!("{right}s")),
        1 => Just(right.replace('_', "-")),
        1 => Just(right.chars().skip(1).collect()),
        1 => Just(format!(" {right}")),
    ]
    .boxed()
}

/// An optional mapping entry: left out with weight `absent` (against 10), else present.
fn optional(
    name: &'static str,
    absent: u32,
    value: BoxedStrategy<Node>,
    mess: Mess,
) -> BoxedStrategy<Option<(String, Node)>> {
    prop_oneof![
        absent => Just(None),
        10 => (key(name, mess), value).prop_map(Some),
    ]
    .boxed()
}

/// A required mapping entry: left out only in a syntactically messy file.
fn required(
    name: &'static str,
    value: BoxedStrategy<Node>,
    mess: Mess,
) -> BoxedStrategy<Option<(String, Node)>> {
    if mess == Mess::Syntactic {
        optional(name, 1, value, mess)
    } else {
        (key(name, mess), value).prop_map(Some).boxed()
    }
}

/// A mapping of the given entries, in a random order; in a syntactically messy file,
/// sometimes with an unknown key or a key written twice.
fn mapping(entries: Vec<BoxedStrategy<Option<(String, Node)>>>, mess: Mess) -> BoxedStrategy<Node> {
    let extra = if mess == Mess::Syntactic {
        prop_oneof![
            4 => Just(None),
            1 => ("[a-z_]{1,12}", any_node()).prop_map(Some),
        ]
        .boxed()
    } else {
        Just(None).boxed()
    };
    let syntactic = mess == Mess::Syntactic;
    (entries, extra, any::<proptest::sample::Index>())
        .prop_map(move |(entries, extra, index)| {
            let mut entries: Vec<(String, Node)> = entries.into_iter().flatten().collect();
            entries.extend(extra);
            if syntactic && !entries.is_empty() && index.index(6) == 0 {
                let copy = entries[index.index(entries.len())].clone();
                entries.push(copy);
            }
            if !entries.is_empty() {
                let split = index.index(entries.len());
                entries.rotate_left(split);
            }
            Node::Map(entries)
        })
        .boxed()
}

/// A list of `0..=small` items; outside clean files, rarely one of `big` items.
fn list(
    item: BoxedStrategy<Node>,
    small: usize,
    big: std::ops::Range<usize>,
    mess: Mess,
) -> BoxedStrategy<Node> {
    let items = if mess == Mess::Clean {
        prop::collection::vec(item, 0..=small).boxed()
    } else {
        prop_oneof![
            20 => prop::collection::vec(item.clone(), 0..=small),
            1 => prop::collection::vec(item, big),
        ]
        .boxed()
    };
    mostly(items.prop_map(Node::Seq).boxed(), mess)
}

fn names_list(names: BoxedStrategy<String>, mess: Mess) -> BoxedStrategy<Node> {
    list(text(names, mess), 3, 4..6, mess)
}

fn account(mess: Mess) -> BoxedStrategy<Node> {
    let guid = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
    let environment = variant(
        &["demo", "production"],
        &["Demo", "prod", "", "sandbox"],
        mess,
    );
    let id = if mess == Mess::Clean {
        guid.boxed()
    } else {
        prop_oneof![
                4 => guid,
                1 => "[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}",
                1 => " [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} ",
                1 => "[0-9]{1,8}",
            1 => "\\PC{0,40}",
        ]
        .boxed()
    };
    mapping(
        vec![
            required("id", text(id, mess), mess),
            required("environment", text(environment, mess), mess),
        ],
        mess,
    )
}

fn defaults(mess: Mess) -> BoxedStrategy<Node> {
    mostly(
        mapping(
            vec![optional(
                "permission_profile",
                3,
                text(profile_reference(mess), mess),
                mess,
            )],
            mess,
        ),
        mess,
    )
}

fn limit(mess: Mess) -> BoxedStrategy<Node> {
    let good = prop_oneof![
        (0i128..1000).prop_map(Node::Int),
        "[0-9]{1,2}(\\.[0-9]{1,2})?%".prop_map(Node::Str),
        Just(Node::Str("100 %".to_owned())),
        "[0-9]{1,5}".prop_map(Node::Str),
    ];
    if mess == Mess::Clean {
        return good.boxed();
    }
    prop_oneof![
        4 => good,
        1 => any::<i128>().prop_map(Node::Int),
        1 => (-1000.0..1000.0f64).prop_map(Node::Float),
        2 => "[0-9]{1,3}(\\.[0-9]{0,2})? ?%".prop_map(Node::Str),
        1 => "[0-9]{1,25}".prop_map(Node::Str),
        1 => "\\PC{0,8}%?".prop_map(Node::Str),
        1 => any_node(),
    ]
    .boxed()
}

fn policy(mess: Mess) -> BoxedStrategy<Node> {
    let limits = mostly(
        mapping(
            vec![
                optional("user_closures", 2, limit(mess), mess),
                optional("membership_removals", 2, limit(mess), mess),
                optional("admin_grants", 2, limit(mess), mess),
            ],
            mess,
        ),
        mess,
    );
    let unmanaged = variant(
        &["ignore", "report", "reset", "close"],
        &["Close", "delete", ""],
        mess,
    );
    mapping(
        vec![
            optional("unmanaged_users", 2, text(unmanaged, mess), mess),
            optional("limits", 2, limits, mess),
            optional(
                "protected_users",
                2,
                list(text(email_text(mess), mess), 3, 4..6, mess),
                mess,
            ),
        ],
        mess,
    )
}

fn settings(mess: Mess) -> BoxedStrategy<Node> {
    let pair = if mess == Mess::Clean {
        prop_oneof![
            any::<bool>().prop_map(|flag| ("allowBulkSending".to_owned(), Node::Bool(flag))),
            pick(&["true", "False"])
                .prop_map(|flag| ("allowAccountManagement".to_owned(), Node::Str(flag))),
            pick(&["none", "use", "create", "share"])
                .prop_map(|word| ("allowedTemplateAccess".to_owned(), Node::Str(word))),
            pick(&["none", "user", "admin"])
                .prop_map(|word| ("powerFormRole".to_owned(), Node::Str(word))),
        ]
        .boxed()
    } else {
        let value = prop_oneof![
            any::<bool>().prop_map(Node::Bool),
            pick(SETTING_WORDS).prop_map(Node::Str),
        ];
        (pick(KNOWN_SETTINGS), mostly(value.boxed(), mess)).boxed()
    };
    let settings = prop::collection::vec(pair, 0..4).prop_map(|pairs| {
        // Keys once each, as YAML requires (a repeated key is a syntactic mess of its own).
        let mut seen = BTreeSet::new();
        Node::Map(
            pairs
                .into_iter()
                .filter(|(key, _)| seen.insert(key.clone()))
                .collect(),
        )
    });
    mostly(settings.boxed(), mess)
}

fn profile(mess: Mess) -> BoxedStrategy<Node> {
    mapping(
        vec![
            required("name", text(name_text(mess), mess), mess),
            optional("settings", 3, settings(mess), mess),
            optional("previously", 6, names_list(name_text(mess), mess), mess),
        ],
        mess,
    )
}

fn group(mess: Mess) -> BoxedStrategy<Node> {
    mapping(
        vec![
            required("name", text(name_text(mess), mess), mess),
            optional(
                "permission_profile",
                3,
                text(profile_reference(mess), mess),
                mess,
            ),
            optional("previously", 6, names_list(name_text(mess), mess), mess),
        ],
        mess,
    )
}

fn member(mess: Mess) -> BoxedStrategy<Node> {
    mapping(
        vec![
            required("name", text(name_text(mess), mess), mess),
            required("email", text(email_text(mess), mess), mess),
        ],
        mess,
    )
}

fn signing_group(mess: Mess) -> BoxedStrategy<Node> {
    mapping(
        vec![
            required("name", text(name_text(mess), mess), mess),
            optional("email", 4, text(email_text(mess), mess), mess),
            optional("members", 2, list(member(mess), 4, 49..54, mess), mess),
            optional("previously", 6, names_list(name_text(mess), mess), mess),
        ],
        mess,
    )
}

fn user(mess: Mess) -> BoxedStrategy<Node> {
    let status = variant(&["active", "closed"], &["Active", "deleted", ""], mess);
    mapping(
        vec![
            required("email", text(email_text(mess), mess), mess),
            required("first_name", text(name_text(mess), mess), mess),
            required("last_name", text(name_text(mess), mess), mess),
            optional("job_title", 4, text(name_text(mess), mess), mess),
            optional(
                "permission_profile",
                3,
                text(profile_reference(mess), mess),
                mess,
            ),
            optional("groups", 2, names_list(group_reference(mess), mess), mess),
            optional("status", 6, text(status, mess), mess),
        ],
        mess,
    )
}

/// A whole file's document: usually a mapping of top-level sections, rarely anything at all.
fn document(mess: Mess) -> BoxedStrategy<Node> {
    // Singleton sections are rarer in clean files: two files both naming one is an error.
    let singleton = if mess == Mess::Clean { 30 } else { 8 };
    let sections = mapping(
        vec![
            optional("account", singleton, account(mess), mess),
            optional("defaults", singleton, defaults(mess), mess),
            optional("policy", singleton, policy(mess), mess),
            optional(
                "permission_profiles",
                6,
                list(profile(mess), 3, 4..6, mess),
                mess,
            ),
            optional("groups", 5, list(group(mess), 4, 5..7, mess), mess),
            optional(
                "signing_groups",
                6,
                list(signing_group(mess), 3, 50..53, mess),
                mess,
            ),
            optional("users", 3, list(user(mess), 6, 7..10, mess), mess),
        ],
        mess,
    );
    if mess == Mess::Syntactic {
        prop_oneof![12 => sections, 1 => any_node()].boxed()
    } else {
        sections
    }
}

fn layout() -> impl Strategy<Value = Layout> {
    prop_oneof![
        6 => Just(Layout::Block),
        1 => Just(Layout::BlockCrlf),
        2 => Just(Layout::Flow),
    ]
}

/// What may come before a document: nothing usually.
fn prefix() -> BoxedStrategy<String> {
    pick(&[
        "",
        "",
        "",
        "",
        "---\n",
        "# desired state\n",
        "%YAML 1.2\n---\n",
        "\u{feff}",
    ])
}

/// What may come after a document: nothing usually; in a messy file, a second document.
fn suffix(mess: Mess) -> BoxedStrategy<String> {
    if mess == Mess::Syntactic {
        pick(&["", "", "...\n", "# end\n", "---\n", "---\nusers: []\n"])
    } else {
        pick(&["", "", "", "...\n", "# end\n"])
    }
}

/// One file: its document rendered in some layout.
fn structured_file() -> BoxedStrategy<String> {
    mess()
        .prop_flat_map(|mess| (document(mess), layout(), prefix(), suffix(mess)))
        .prop_map(|(node, layout, prefix, suffix)| render(&node, layout, &prefix, &suffix))
        .boxed()
}

/// One to three rendered files.
fn structured_files() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(structured_file(), 1..=3)
        .prop_map(|texts| file_names(texts.len()).into_iter().zip(texts).collect())
}

/// Cuts `text` at a character boundary at a random place.
fn truncate(text: &str, index: proptest::sample::Index) -> String {
    let mut cut = index.index(text.len() + 1);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text[..cut].to_owned()
}

// ---------------------------------------------------------------------------------------------
// The properties.
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(config(512))]

    /// Arbitrary bytes, made UTF-8 the lossy way, as one or two files.
    #[test]
    fn arbitrary_bytes_never_panic(
        files in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..400), 1..=2),
    ) {
        let names = file_names(files.len());
        let files: Vec<(String, String)> = names
            .into_iter()
            .zip(files)
            .map(|(name, bytes)| (name, String::from_utf8_lossy(&bytes).into_owned()))
            .collect();
        check_files(&files);
    }

    /// Arbitrary printable text (and text with YAML's structural characters) as one or two files.
    #[test]
    fn arbitrary_text_never_panics(
        files in prop::collection::vec(
            prop_oneof!["\\PC*", "[-:{}\\[\\],#&*!|>'\"%@` \n\ta-z0-9]{0,200}"],
            1..=2,
        ),
    ) {
        let names = file_names(files.len());
        let files: Vec<(String, String)> = names.into_iter().zip(files).collect();
        check_files(&files);
    }
}

proptest! {
    #![proptest_config(config(512))]

    /// Documents shaped like the desired-state format, right and wrong in every way we could
    /// think of, split over one to three files.
    #[test]
    fn structured_documents_never_panic(files in structured_files()) {
        check_files(&files);
    }

    /// The same documents cut short at a random place, as an editor's half-saved file would be.
    #[test]
    fn truncated_documents_never_panic(
        files in structured_files(),
        cut in any::<proptest::sample::Index>(),
    ) {
        let mut files = files;
        let last = files.len() - 1;
        files[last].1 = truncate(&files[last].1, cut);
        check_files(&files);
    }
}

/// The renderer makes valid YAML: a well-formed document of every kind parses without a YAML
/// syntax error and validates cleanly, so the structured properties exercise validation and
/// not just the parser.
#[test]
fn renderer_produces_a_valid_desired_state() {
    let user = |email: &str, groups: Vec<Node>| {
        Node::Map(vec![
            ("email".into(), Node::Str(email.into())),
            (
                "first_name".into(),
                Node::Str("Ann \"Q\" Ü\t".trim().into()),
            ),
            // Control characters (DEL, say) are refused by `validate`; a backslash and a
            // non-ASCII letter still need the renderer's quoting.
            ("last_name".into(), Node::Str("O'Neil \\ ß".into())),
            ("groups".into(), Node::Seq(groups)),
        ])
    };
    let document = Node::Map(vec![
        (
            "policy".into(),
            Node::Map(vec![(
                "limits".into(),
                Node::Map(vec![
                    ("user_closures".into(), Node::Int(5)),
                    ("admin_grants".into(), Node::Str("2.5%".into())),
                ]),
            )]),
        ),
        (
            "groups".into(),
            Node::Seq(vec![Node::Map(vec![
                ("name".into(), Node::Str("Sales".into())),
                (
                    "permission_profile".into(),
                    Node::Str("docusign sender".into()),
                ),
            ])]),
        ),
        (
            "users".into(),
            Node::Seq(vec![
                user("ann@example.com", vec![Node::Str("sales".into())]),
                user("bob@example.com", vec![]),
            ]),
        ),
    ]);
    for layout in [Layout::Block, Layout::BlockCrlf, Layout::Flow] {
        let text = render(&document, layout, "---\n", "...\n");
        let outcome = check_files(&[("a.yaml".to_owned(), text.clone())]);
        let desired = outcome
            .desired
            .unwrap_or_else(|| panic!("{layout:?} rendering is not valid:\n{text}"));
        assert_eq!(desired.state.users.len(), 2, "{text}");
        assert!(
            outcome
                .problems
                .iter()
                .all(|problem| problem.code() == "desired::profile_differs_from_group"),
            "{text}"
        );
    }
}
