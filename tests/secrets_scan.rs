//! Looking for secrets in what the tool printed and wrote: the needles (every secret, and
//! distinctive slices of the long ones, so a partial leak is caught too) and the places to
//! look (bytes of output, every file under a directory, and every commit of every git
//! repository there, whose objects are compressed on disk).

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickKind};

/// Slices taken from long secrets: long enough to be unmistakable, short enough that a
/// truncated or wrapped leak still holds one.
const SLICE: usize = 20;

struct Needle {
    what: String,
}

/// Every secret to look for.
#[derive(Default)]
pub struct Needles {
    described: Vec<Needle>,
    patterns: Vec<Vec<u8>>,
    known: HashSet<Vec<u8>>,
}

impl Needles {
    /// Adds one exact needle; a value already added keeps its first description.
    pub fn exact(&mut self, what: &str, value: &str) {
        assert!(
            value.len() >= 6,
            "a needle that short would match by chance"
        );
        if self.known.insert(value.as_bytes().to_vec()) {
            self.described.push(Needle {
                what: what.to_owned(),
            });
            self.patterns.push(value.as_bytes().to_vec());
        }
    }

    /// Adds a secret: the whole value, and for a long one its head, middle and tail slices.
    pub fn secret(&mut self, what: &str, value: &str) {
        self.exact(what, value);
        if value.len() >= 2 * SLICE && value.is_ascii() {
            let middle = (value.len() - SLICE) / 2;
            for (part, at) in [
                ("head", 0),
                ("middle", middle),
                ("tail", value.len() - SLICE),
            ] {
                self.exact(&format!("{what} ({part})"), &value[at..at + SLICE]);
            }
        }
    }

    /// Adds a PEM private key: slices of every base64 line of its body.
    pub fn pem(&mut self, what: &str, pem: &str) {
        let lines = pem
            .lines()
            .filter(|line| !line.starts_with("-----") && line.len() >= SLICE);
        for (number, line) in lines.enumerate() {
            for at in (0..=line.len() - SLICE).step_by(SLICE + 2) {
                self.exact(
                    &format!("{what}, body line {} from column {at}", number + 1),
                    &line[at..at + SLICE],
                );
            }
        }
    }

    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// A searcher for every needle.
    pub fn searcher(&self) -> Searcher<'_> {
        // The contiguous NFA builds quickly and searches fast enough for files of kilobytes.
        let automaton = AhoCorasick::builder()
            .kind(Some(AhoCorasickKind::ContiguousNFA))
            .build(&self.patterns)
            .expect("the needles make an automaton");
        Searcher {
            needles: self,
            automaton,
        }
    }
}

/// Finds needles in bytes.
pub struct Searcher<'a> {
    needles: &'a Needles,
    automaton: AhoCorasick,
}

impl Searcher<'_> {
    /// What each needle found in `haystack` stands for.
    pub fn find(&self, haystack: &[u8]) -> BTreeSet<String> {
        self.automaton
            .find_overlapping_iter(haystack)
            .map(|found| {
                self.needles.described[found.pattern().as_usize()]
                    .what
                    .clone()
            })
            .collect()
    }

    /// Every file under `root` (symbolic links are not followed) and every commit reachable
    /// from HEAD in every git repository there.
    pub fn tree(&self, root: &Path) -> Vec<Leak> {
        let mut leaks = Vec::new();
        self.walk(root, root, &mut leaks);
        leaks
    }

    fn walk(&self, root: &Path, dir: &Path, leaks: &mut Vec<Leak>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|err| panic!("list {}: {err}", dir.display()))
            .map(|entry| entry.expect("a directory entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let place = path.strip_prefix(root).unwrap_or(&path).display();
            let kind = std::fs::symlink_metadata(&path).expect("metadata");
            if kind.is_dir() {
                if path.file_name().is_some_and(|name| name == ".git") {
                    self.git(&format!("{place}"), &path, leaks);
                }
                self.walk(root, &path, leaks);
            } else if kind.is_file() {
                let bytes = std::fs::read(&path).expect("read a written file");
                leaks.extend(Leak::all(&format!("file {place}"), self.find(&bytes)));
            }
        }
    }

    /// Every commit's message and signatures, and every blob of its tree.
    fn git(&self, place: &str, git_dir: &Path, leaks: &mut Vec<Leak>) {
        let repo = git2::Repository::open(git_dir).expect("open the repository");
        let Ok(head) = repo.head() else {
            return; // no commit yet
        };
        let mut walk = repo.revwalk().expect("a revwalk");
        walk.push(head.target().expect("HEAD names a commit"))
            .expect("walk from HEAD");
        let mut seen = HashSet::new();
        for id in walk {
            let commit = repo.find_commit(id.expect("a commit id")).expect("commit");
            let short = &commit.id().to_string()[..8];
            for (part, bytes) in [
                ("message", commit.message_bytes()),
                ("author", commit.author().name_bytes()),
                ("author email", commit.author().email_bytes()),
                ("committer", commit.committer().name_bytes()),
                ("committer email", commit.committer().email_bytes()),
            ] {
                leaks.extend(Leak::all(
                    &format!("{place}: commit {short} {part}"),
                    self.find(bytes),
                ));
            }
            let tree = commit.tree().expect("the commit's tree");
            tree.walk(git2::TreeWalkMode::PreOrder, |folder, entry| {
                if entry.kind() == Some(git2::ObjectType::Blob) && seen.insert(entry.id()) {
                    let blob = repo.find_blob(entry.id()).expect("blob");
                    let name = entry.name().unwrap_or("?");
                    leaks.extend(Leak::all(
                        &format!("{place}: commit {short} file {folder}{name}"),
                        self.find(blob.content()),
                    ));
                }
                git2::TreeWalkResult::Ok
            })
            .expect("walk the tree");
        }
    }
}

/// A needle found somewhere.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Leak {
    pub place: String,
    pub what: String,
}

impl Leak {
    pub fn all(place: &str, found: BTreeSet<String>) -> impl Iterator<Item = Self> {
        found.into_iter().map(move |what| Self {
            place: place.to_owned(),
            what,
        })
    }
}

impl fmt::Display for Leak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} in {}", self.what, self.place)
    }
}

/// The search reaches into git: a secret that only a commit holds (its message, or a file
/// since deleted from the work tree, compressed in the object store) is found, by name.
#[test]
fn the_search_finds_secrets_in_files_commit_messages_and_committed_blobs() {
    let root = tempfile::TempDir::new().expect("temp dir");
    let repo = git2::Repository::init(root.path()).expect("git init");
    std::fs::write(
        root.path().join("state.json"),
        "{\"token\": \"in-a-blob-1234\"}",
    )
    .expect("write");
    let mut index = repo.index().expect("index");
    index.add_path(Path::new("state.json")).expect("git add");
    let tree = repo
        .find_tree(index.write_tree().expect("tree"))
        .expect("find tree");
    let who = git2::Signature::now("Test", "test@example.com").expect("signature");
    repo.commit(
        Some("HEAD"),
        &who,
        &who,
        "apply: in-a-message-5678",
        &tree,
        &[],
    )
    .expect("commit");
    std::fs::remove_file(root.path().join("state.json")).expect("remove");
    std::fs::write(root.path().join("plan.json"), "in-a-file-9012").expect("write");

    let mut needles = Needles::default();
    for (what, value) in [
        ("blob canary", "in-a-blob-1234"),
        ("message canary", "in-a-message-5678"),
        ("file canary", "in-a-file-9012"),
        ("absent canary", "nowhere-3456"),
    ] {
        needles.exact(what, value);
    }
    let found: Vec<String> = needles
        .searcher()
        .tree(root.path())
        .iter()
        .map(ToString::to_string)
        .collect();
    let short = &repo
        .head()
        .expect("HEAD")
        .target()
        .expect("commit")
        .to_string()[..8];
    for expected in [
        format!("blob canary in .git: commit {short} file state.json"),
        format!("message canary in .git: commit {short} message"),
        // The reflog keeps the message too, uncompressed.
        "message canary in file .git/logs/HEAD".to_owned(),
        "file canary in file plan.json".to_owned(),
    ] {
        assert!(found.contains(&expected), "{expected} not in {found:#?}");
    }
    assert!(
        !found.iter().any(|leak| leak.starts_with("absent")),
        "{found:#?}"
    );
}
