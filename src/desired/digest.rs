//! The desired state's content digest: what a saved plan records as the files it was made from,
//! so that apply can refuse a plan made from other YAML.

use std::path::{Component, Path};

use sha2::{Digest as _, Sha256};

use super::files::SourceFile;

/// Keeps a digest of this tool's desired state apart from any other SHA-256 of the same bytes.
const DOMAIN: &[u8] = b"docusign-gitops desired state, v1\n";

/// SHA-256 (hex) over every file's path relative to `dir` and its text, in path order.
///
/// The same files give the same digest on every machine and in every checkout: paths are
/// relative, `/`-separated and sorted here, whatever order the directory listed them in.
/// Each path and text is hashed with its length in front, so moving bytes from the end of one
/// file to the start of the next, or from a file's name into its text, changes the digest.
/// The text is what the loader read (a lone CR already read as a line break, as the parser
/// would), so the digest covers exactly what the plan was made from.
#[must_use]
pub fn of_files(dir: &Path, files: &[SourceFile]) -> String {
    let entries = files
        .iter()
        .map(|file| (relative_key(dir, &file.path), file.text().as_bytes()));
    of_entries(entries)
}

/// The digest of `(path, bytes)` pairs, taken in path order whatever order they come in.
#[must_use]
pub fn of_entries<'a>(entries: impl IntoIterator<Item = (Vec<u8>, &'a [u8])>) -> String {
    let mut sorted: Vec<(Vec<u8>, &[u8])> = entries.into_iter().collect();
    sorted.sort_unstable();
    let mut hash = Sha256::new();
    hash.update(DOMAIN);
    hash.update((sorted.len() as u64).to_be_bytes());
    for (path, bytes) in &sorted {
        hash.update((path.len() as u64).to_be_bytes());
        hash.update(path);
        hash.update((bytes.len() as u64).to_be_bytes());
        hash.update(bytes);
    }
    format!("{:x}", hash.finalize())
}

/// `path` below `dir`, its parts joined with `/` (so Windows and Unix checkouts agree), as
/// bytes: a name that is not UTF-8 is kept as it is rather than made lossy, so two different
/// names never share a key.
fn relative_key(dir: &Path, path: &Path) -> Vec<u8> {
    let relative = path.strip_prefix(dir).unwrap_or(path);
    let mut key = Vec::new();
    for component in relative.components() {
        let Component::Normal(part) = component else {
            continue;
        };
        if !key.is_empty() {
            key.push(b'/');
        }
        key.extend_from_slice(part.as_encoded_bytes());
    }
    key
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn file(dir: &str, relative: &str, text: &str) -> SourceFile {
        SourceFile::from_text(PathBuf::from(dir).join(relative), text)
    }

    fn digest(files: &[(&str, &str)]) -> String {
        let files: Vec<SourceFile> = files
            .iter()
            .map(|(path, text)| file("/checkout/desired", path, text))
            .collect();
        of_files(Path::new("/checkout/desired"), &files)
    }

    const USERS: &str =
        "users:\n  - { email: ana@example.com, first_name: Ana, last_name: Lima }\n";
    const GROUPS: &str = "groups:\n  - name: Sales\n";

    #[test]
    fn the_order_files_are_read_in_does_not_matter() {
        let one = digest(&[("users.yaml", USERS), ("teams/groups.yaml", GROUPS)]);
        let other = digest(&[("teams/groups.yaml", GROUPS), ("users.yaml", USERS)]);
        assert_eq!(one, other);
        assert_eq!(one.len(), 64);
        assert!(one.bytes().all(|byte| byte.is_ascii_hexdigit()), "{one}");
    }

    #[test]
    fn the_same_files_in_another_checkout_give_the_same_digest() {
        let here = of_files(
            Path::new("/home/ana/repo"),
            &[file("/home/ana/repo", "users.yaml", USERS)],
        );
        let there = of_files(
            Path::new("/runner/work/repo/"),
            &[file("/runner/work/repo", "users.yaml", USERS)],
        );
        assert_eq!(here, there);
    }

    #[test]
    fn changing_any_byte_changes_the_digest() {
        let base = digest(&[("users.yaml", USERS), ("groups.yaml", GROUPS)]);
        for at in 0..USERS.len() {
            let mut bytes = USERS.as_bytes().to_vec();
            // Another printable ASCII byte, so the text stays UTF-8.
            bytes[at] = if bytes[at] == b'x' { b'y' } else { b'x' };
            let changed = String::from_utf8(bytes).expect("ASCII");
            assert_ne!(
                digest(&[("users.yaml", &changed), ("groups.yaml", GROUPS)]),
                base,
                "byte {at} changed"
            );
        }
        let longer = format!("{USERS}\n");
        assert_ne!(
            digest(&[("users.yaml", &longer), ("groups.yaml", GROUPS)]),
            base
        );
    }

    #[test]
    fn renaming_adding_or_removing_a_file_changes_the_digest() {
        let base = digest(&[("users.yaml", USERS), ("groups.yaml", GROUPS)]);
        let renamed = digest(&[("people.yaml", USERS), ("groups.yaml", GROUPS)]);
        let same_length = digest(&[("userz.yaml", USERS), ("groups.yaml", GROUPS)]);
        let moved = digest(&[("old/users.yaml", USERS), ("groups.yaml", GROUPS)]);
        let added = digest(&[
            ("users.yaml", USERS),
            ("groups.yaml", GROUPS),
            ("empty.yaml", ""),
        ]);
        let removed = digest(&[("users.yaml", USERS)]);
        for other in [&renamed, &same_length, &moved, &added, &removed] {
            assert_ne!(other, &base);
        }
    }

    #[test]
    fn bytes_moved_across_a_boundary_change_the_digest() {
        let one = digest(&[("a.yaml", "xy"), ("b.yaml", "z")]);
        let other = digest(&[("a.yaml", "x"), ("b.yaml", "yz")]);
        assert_ne!(one, other, "between two files");
        let name = of_entries([(b"a.yaml".to_vec(), b"x".as_slice())]);
        let text = of_entries([(b"a.yam".to_vec(), b"lx".as_slice())]);
        assert_ne!(name, text, "between a name and its text");
    }

    #[test]
    fn a_files_text_cant_pose_as_the_next_file() {
        // Without the text's length in front, "x, then a path `b` of length 1" in `a` and the
        // file `b` itself would hash alike.
        let one_byte_path = |name: &[u8]| [1_u64.to_be_bytes().as_slice(), name].concat();
        let posing = [b"x".as_slice(), &one_byte_path(b"b")].concat();
        let one = of_entries([
            (b"a".to_vec(), posing.as_slice()),
            (b"c".to_vec(), b"y".as_slice()),
        ]);
        let next = [one_byte_path(b"c").as_slice(), b"y"].concat();
        let other = of_entries([
            (b"a".to_vec(), b"x".as_slice()),
            (b"b".to_vec(), next.as_slice()),
        ]);
        assert_ne!(one, other);
    }

    #[test]
    fn paths_are_joined_with_slashes() {
        let nested = of_files(
            Path::new("/d"),
            &[SourceFile::from_text(
                Path::new("/d").join("teams").join("groups.yaml"),
                GROUPS,
            )],
        );
        let written = of_entries([(b"teams/groups.yaml".to_vec(), GROUPS.as_bytes())]);
        assert_eq!(nested, written);
    }
}
