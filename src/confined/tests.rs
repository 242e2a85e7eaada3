use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use super::{Confinement, FileError, read_regular};

fn outside_and_dir() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let root = tempfile::tempdir().expect("temp dir");
    let dir = root.path().join("dir");
    let outside = root.path().join("outside");
    fs::create_dir(&dir).expect("dir");
    fs::create_dir(&outside).expect("outside");
    (root, dir, outside)
}

#[test]
fn a_link_inside_resolves_and_one_leading_out_is_refused_naming_both_ends() {
    let (_root, dir, outside) = outside_and_dir();
    fs::write(dir.join("real.yaml"), "a: 1\n").expect("write");
    fs::write(outside.join("secret"), "s").expect("write");
    symlink("real.yaml", dir.join("in.yaml")).expect("link in");
    symlink(outside.join("secret"), dir.join("out.yaml")).expect("link out");
    let confinement = Confinement::of(&dir).expect("confinement");

    let real = confinement.resolve(&dir.join("in.yaml")).expect("inside");
    assert_eq!(real, confinement.root().join("real.yaml"));

    let error = confinement
        .resolve(&dir.join("out.yaml"))
        .expect_err("outside");
    assert!(matches!(error, FileError::Outside { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("out.yaml"), "{message}");
    assert!(
        message.contains(&outside.join("secret").display().to_string()),
        "{message}"
    );
}

#[test]
fn kernel_views_are_refused_even_as_regular_files() {
    // A link to /proc leaves any directory but /; the check on the real path stands alone.
    assert!(super::in_kernel_view(Path::new("/proc/self/environ")));
    assert!(super::in_kernel_view(Path::new("/sys/kernel")));
    assert!(!super::in_kernel_view(Path::new("/processes/x.yaml")));
}

#[test]
fn a_folder_is_created_inside_but_never_through_a_link_leading_out() {
    let (_root, dir, outside) = outside_and_dir();
    let confinement = Confinement::of(&dir).expect("confinement");
    let made = confinement
        .folder(Path::new(".docusign-gitops/state"))
        .expect("created");
    assert!(made.is_dir());
    assert!(made.starts_with(confinement.root()));

    let (_root, dir, outside2) = outside_and_dir();
    drop(outside);
    symlink(&outside2, dir.join(".docusign-gitops")).expect("link out");
    let confinement = Confinement::of(&dir).expect("confinement");
    let error = confinement
        .folder(Path::new(".docusign-gitops/state"))
        .expect_err("leads out");
    assert!(matches!(error, FileError::Outside { .. }), "{error:?}");
    assert!(error.to_string().contains(".docusign-gitops"), "{error}");
    assert_eq!(
        fs::read_dir(&outside2).expect("list").count(),
        0,
        "nothing created outside"
    );
}

#[test]
fn a_folder_link_inside_is_followed() {
    let (_root, dir, _outside) = outside_and_dir();
    fs::create_dir_all(dir.join("kept/state")).expect("folders");
    symlink("kept", dir.join(".docusign-gitops")).expect("link in");
    let confinement = Confinement::of(&dir).expect("confinement");
    let made = confinement
        .folder(Path::new(".docusign-gitops/state"))
        .expect("inside");
    assert_eq!(made, confinement.root().join("kept/state"));
}

#[test]
fn a_file_that_is_missing_is_none_and_a_fifo_is_refused() {
    let (_root, dir, _outside) = outside_and_dir();
    let confinement = Confinement::of(&dir).expect("confinement");
    assert!(
        confinement
            .file(&dir.join("none"))
            .expect("missing")
            .is_none()
    );
    let fifo = dir.join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success()
    );
    let error = confinement.file(&fifo).expect_err("a FIFO");
    assert!(matches!(error, FileError::NotRegular { .. }), "{error:?}");
    assert!(error.to_string().contains("FIFO"), "{error}");
    // Opening it would block until a writer came; it is refused without waiting.
    let error = read_regular(&fifo, 10).expect_err("a FIFO");
    assert!(matches!(error, FileError::NotRegular { .. }), "{error:?}");
}

#[test]
fn reads_are_bounded_and_do_not_follow_a_last_link() {
    let (_root, dir, _outside) = outside_and_dir();
    let file = dir.join("big");
    fs::write(&file, vec![b'x'; 100]).expect("write");
    assert_eq!(read_regular(&file, 100).expect("at the limit").len(), 100);
    let error = read_regular(&file, 99).expect_err("over the limit");
    assert!(
        matches!(error, FileError::TooLarge { limit: 99, .. }),
        "{error:?}"
    );

    symlink("big", dir.join("link")).expect("link");
    let error = read_regular(&dir.join("link"), 100).expect_err("a link");
    assert!(matches!(error, FileError::NotRegular { .. }), "{error:?}");
}

#[test]
fn limits_read_in_binary_units() {
    assert_eq!(super::size_text(32 << 20), "32 MiB");
    assert_eq!(super::size_text(64 << 10), "64 KiB");
    assert_eq!(super::size_text(99), "99 bytes");
}
