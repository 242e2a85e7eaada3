//! Files in a directory that a pull request controls: read only when they are regular files,
//! through links only when those stay inside the directory, and never more than a bound.
//!
//! In CI every file of the desired-state directory may be an attacker's, and a link in it can
//! point anywhere the runner can read: `/proc/self/environ` (every secret variable), the
//! private key, or a file the tool would then overwrite. Whatever leaves the directory is
//! refused before it is opened, and a FIFO or device is refused before it can block a read.

use std::ffi::OsStr;
use std::fmt;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Read as _};
use std::path::{Path, PathBuf};

/// Kernel file systems whose "regular" files are views of this process (its environment, its
/// memory), never desired state.
const KERNEL_VIEWS: [&str; 2] = ["/proc", "/sys"];

/// Why a file was not read or written.
#[derive(Debug)]
pub enum FileError {
    /// A link, or a folder on the way, that leads out of the directory.
    Outside {
        path: PathBuf,
        target: PathBuf,
        root: PathBuf,
    },
    /// A link that points to nothing.
    Dangling { path: PathBuf, target: PathBuf },
    /// A FIFO, socket, device, folder, or a kernel view under `/proc`.
    NotRegular { path: PathBuf, kind: &'static str },
    /// Bigger than the caller's bound.
    TooLarge { path: PathBuf, limit: u64 },
    /// The file system said no.
    Io { path: PathBuf, error: io::Error },
}

impl FileError {
    fn io(path: &Path, error: io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            error,
        }
    }

    /// The file the error is about, as the caller named it.
    #[must_use]
    pub fn path(&self) -> &Path {
        match self {
            Self::Outside { path, .. }
            | Self::Dangling { path, .. }
            | Self::NotRegular { path, .. }
            | Self::TooLarge { path, .. }
            | Self::Io { path, .. } => path,
        }
    }

    /// The same error, told about `path`: the name the user knows rather than the real one.
    #[must_use]
    pub fn about(self, path: &Path) -> Self {
        let path = path.to_path_buf();
        match self {
            Self::Outside { target, root, .. } => Self::Outside { path, target, root },
            Self::Dangling { target, .. } => Self::Dangling { path, target },
            Self::NotRegular { kind, .. } => Self::NotRegular { path, kind },
            Self::TooLarge { limit, .. } => Self::TooLarge { path, limit },
            Self::Io { error, .. } => Self::Io { path, error },
        }
    }

    /// Whether the file (or the folder it would be in) does not exist.
    #[must_use]
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Io { error, .. } if error.kind() == io::ErrorKind::NotFound)
    }

    /// How to fix it, in a sentence; the caller knows what the file is for and may say more.
    #[must_use]
    pub fn help(&self) -> &'static str {
        match self {
            Self::Outside { .. } => {
                "links may point only inside the directory: replace the link with the file itself, or remove it"
            }
            Self::Dangling { .. } => "remove the link, or point it at a file that exists",
            Self::NotRegular { .. } => "replace it with a regular file, or remove it",
            Self::TooLarge { .. } => "split it into several smaller files",
            Self::Io { .. } => "check that the file and its folder are readable by this user",
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Outside { path, target, root } => write!(
                f,
                "`{}` points to `{}`, outside the directory `{}`",
                shown(path),
                target.display(),
                root.display()
            ),
            Self::Dangling { path, target } => write!(
                f,
                "`{}` is a link to `{}`, which does not exist",
                shown(path),
                target.display()
            ),
            Self::NotRegular { path, kind } => {
                write!(f, "`{}` is {kind}, not a regular file", shown(path))
            }
            Self::TooLarge { path, limit } => write!(
                f,
                "`{}` is larger than {}, the most read from one file",
                shown(path),
                size_text(*limit)
            ),
            Self::Io { path, error } => write!(f, "can't read `{}`: {error}", shown(path)),
        }
    }
}

impl std::error::Error for FileError {}

/// A path as the user wrote it, without a leading `./`.
#[must_use]
pub fn shown(path: &Path) -> String {
    path.strip_prefix(".").unwrap_or(path).display().to_string()
}

/// Reads a small secret file the operator named (a key, a token): links are followed, as a
/// secret store mounts them, but the file reached must be regular and at most `limit` bytes.
/// Answers where the file really is, and its bytes; on failure, the reason in words, nothing of
/// the content.
pub fn read_secret_file(path: &Path, limit: u64, what: &str) -> Result<(PathBuf, Vec<u8>), String> {
    let real = fs::canonicalize(path).map_err(|err| err.to_string())?;
    let bytes = read_regular(&real, limit).map_err(|err| match err {
        FileError::Io { error, .. } => error.to_string(),
        FileError::TooLarge { .. } => {
            format!("it is larger than {}, so not {what}", size_text(limit))
        }
        other => other.to_string(),
    })?;
    Ok((real, bytes))
}

/// `32 MiB`, `64 KiB`: limits are powers of two.
fn size_text(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} bytes"),
    }
}

/// A directory whose files may be anyone's: everything read or written under it must stay
/// inside it.
#[derive(Clone, Debug)]
pub struct Confinement {
    /// As the user named it: the folders below it are named from it in messages.
    dir: PathBuf,
    /// Canonical: no links, no `..`, so "inside" is a prefix test.
    root: PathBuf,
}

impl Confinement {
    /// The directory `dir`, which must exist.
    pub fn of(dir: &Path) -> Result<Self, FileError> {
        let root = fs::canonicalize(dir).map_err(|error| FileError::io(dir, error))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            root,
        })
    }

    /// The directory's real place.
    #[must_use]
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where `path`, an existing path under the directory, really is once every link on the
    /// way is followed; refused when that is outside the directory or in a kernel view.
    pub fn resolve(&self, path: &Path) -> Result<PathBuf, FileError> {
        let real = match fs::canonicalize(path) {
            Ok(real) => real,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                // Say which link dangles, rather than "no such file" about a name that is
                // right there in the listing.
                return Err(match fs::read_link(path) {
                    Ok(target) => FileError::Dangling {
                        path: path.to_path_buf(),
                        target,
                    },
                    Err(_) => FileError::io(path, error),
                });
            }
            Err(error) => return Err(FileError::io(path, error)),
        };
        if !real.starts_with(&self.root) {
            return Err(FileError::Outside {
                path: path.to_path_buf(),
                target: fs::read_link(path).unwrap_or(real),
                root: self.root.clone(),
            });
        }
        if in_kernel_view(&real) {
            return Err(FileError::NotRegular {
                path: path.to_path_buf(),
                kind: "a file of the kernel's process information",
            });
        }
        Ok(real)
    }

    /// The folder `relative` under the directory, created where missing. Each folder on the way
    /// must be a folder inside the directory (a link to one inside is fine), so nothing is ever
    /// created or written outside it. Returns the folder's real place.
    pub fn folder(&self, relative: &Path) -> Result<PathBuf, FileError> {
        let mut shown = self.dir.clone();
        let mut real = self.root.clone();
        for part in relative.components() {
            shown.push(part);
            let next = real.join(part);
            match fs::symlink_metadata(&next) {
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    // `create_dir` does not follow a link in the last place: a link that
                    // appeared meanwhile makes it fail, not write through.
                    fs::create_dir(&next).or_else(|error| {
                        if error.kind() == io::ErrorKind::AlreadyExists && next.is_dir() {
                            Ok(())
                        } else {
                            Err(FileError::io(&shown, error))
                        }
                    })?;
                    real = self.resolve(&next).map_err(|error| error.about(&shown))?;
                }
                Err(error) => return Err(FileError::io(&shown, error)),
                Ok(metadata) => {
                    if !metadata.is_dir() && !metadata.file_type().is_symlink() {
                        return Err(FileError::NotRegular {
                            path: shown,
                            kind: kind_of(&metadata),
                        });
                    }
                    real = self.resolve(&next).map_err(|error| error.about(&shown))?;
                    if !real.is_dir() {
                        let metadata =
                            fs::metadata(&real).map_err(|error| FileError::io(&shown, error))?;
                        return Err(FileError::NotRegular {
                            path: shown,
                            kind: kind_of(&metadata),
                        });
                    }
                }
            }
        }
        Ok(real)
    }

    /// The real place of a file under the directory that may not exist yet: `None` when it
    /// doesn't; refused when it is a link leading out or not a regular file.
    pub fn file(&self, path: &Path) -> Result<Option<PathBuf>, FileError> {
        match fs::symlink_metadata(path) {
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(FileError::io(path, error)),
            Ok(_) => {
                let real = self.resolve(path)?;
                let metadata = fs::metadata(&real).map_err(|error| FileError::io(path, error))?;
                ensure_regular(path, &metadata)?;
                Ok(Some(real))
            }
        }
    }
}

impl Confinement {
    /// Writes `bytes` to the file `name` in `folder` (a folder [`Confinement::folder`] gave),
    /// atomically: a temporary file in the same folder, flushed, then renamed over the target,
    /// so a reader sees the old file or the new one, never half of one. A target that is a
    /// link out of the directory, or not a regular file, is refused. The temporary file's name
    /// starts with `temp_prefix`, so what a killed writer left can be found and cleared.
    pub fn write_atomic(
        &self,
        folder: &Path,
        name: &OsStr,
        bytes: &[u8],
        temp_prefix: &str,
    ) -> Result<(), FileError> {
        use std::io::Write as _;
        let path = folder.join(name);
        let target = self.file(&path)?.unwrap_or_else(|| path.clone());
        let folder = target.parent().unwrap_or(folder);
        // The temporary file deletes itself when dropped, so every early return cleans up.
        let mut builder = tempfile::Builder::new();
        builder.prefix(temp_prefix).suffix(".tmp");
        #[cfg(unix)]
        {
            // tempfile's default is 0600; these files are no secret (secrets are never written)
            // and should read like the rest of the checkout. The umask still applies.
            use std::os::unix::fs::PermissionsExt as _;
            builder.permissions(fs::Permissions::from_mode(0o644));
        }
        let io = |error: io::Error| FileError::io(&path, error);
        let mut temp = builder.tempfile_in(folder).map_err(io)?;
        temp.write_all(bytes)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(io)?;
        // On failure the error gives the temporary file back; dropping it deletes it.
        temp.persist(&target).map_err(|error| io(error.error))?;
        sync_dir(folder).map_err(io)
    }
}

/// Makes a rename in `dir` durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Windows can't open a folder as a file; its renames are journaled by NTFS.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

fn in_kernel_view(real: &Path) -> bool {
    KERNEL_VIEWS.iter().any(|view| real.starts_with(view))
}

/// Refuses anything but a regular file.
pub fn ensure_regular(path: &Path, metadata: &Metadata) -> Result<(), FileError> {
    if metadata.is_file() {
        Ok(())
    } else {
        Err(FileError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(metadata),
        })
    }
}

/// What a non-regular file is, for a message: "a FIFO", "a folder"…
#[must_use]
pub fn kind_of(metadata: &Metadata) -> &'static str {
    let kind = metadata.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_socket() {
            return "a socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else if kind.is_symlink() {
        "a link"
    } else if kind.is_file() {
        "a regular file"
    } else {
        "not a file"
    }
}

/// Opens `path` with `options` without following a link in its last place and without ever
/// blocking (a FIFO would wait for a writer forever), then refuses it unless it is a regular
/// file. On systems without those flags, only the type check is made.
pub fn open_regular(options: &mut OpenOptions, path: &Path) -> Result<File, FileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(|error| {
        #[cfg(unix)]
        if error.raw_os_error() == Some(libc::ELOOP) {
            return FileError::NotRegular {
                path: path.to_path_buf(),
                kind: "a link",
            };
        }
        FileError::io(path, error)
    })?;
    // Checked on the open file: what was looked at is what is read.
    let metadata = file
        .metadata()
        .map_err(|error| FileError::io(path, error))?;
    ensure_regular(path, &metadata)?;
    Ok(file)
}

/// Reads the regular file `path` whole, refusing a link in its last place, a file that is not
/// regular, and one larger than `limit` bytes. `path` should be real (see
/// [`Confinement::resolve`]) when links are allowed on the way.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let file = open_regular(OpenOptions::new().read(true), path)?;
    let too_large = || FileError::TooLarge {
        path: path.to_path_buf(),
        limit,
    };
    let size = file
        .metadata()
        .map_err(|error| FileError::io(path, error))?
        .len();
    if size > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // The size said is not trusted: a file may grow while it is read.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|error| FileError::io(path, error))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests;
