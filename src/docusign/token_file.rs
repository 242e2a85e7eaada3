//! `DOCUSIGN_REFRESH_TOKEN_FILE`: where a refresh token lives between runs.
//!
//! DocuSign answers each refresh with a new refresh token and spends the one it was sent, so a
//! refresh token given once (`DOCUSIGN_REFRESH_TOKEN`) works for one run. With a file, the run
//! reads the token there and writes each new one back as soon as DocuSign issues it — before
//! the run does anything else, so a run that fails later still leaves the next one a token.
//! The file is replaced whole (a private temporary file beside it, synced, then renamed), so a
//! crash leaves the old token or the new one, never half of one, and it stays mode 0600.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::error::ClientError;
use super::secret::Secret;
use crate::confined;

/// A refresh token is a few hundred bytes; anything much larger is not one.
const MAX_TOKEN_BYTES: u64 = 16 << 10;

/// The file a refresh token is read from and each rotated one written to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshTokenFile {
    path: PathBuf,
}

impl RefreshTokenFile {
    /// Reads the token in `path`: a regular file holding one token (surrounding white space
    /// is ignored). Its content is never part of a message.
    pub fn read(path: &Path) -> Result<(Self, Secret), ClientError> {
        let failed = |reason: String| {
            ClientError::Settings(format!(
                "can't read the refresh token file `{}` (DOCUSIGN_REFRESH_TOKEN_FILE): {reason}",
                path.display()
            ))
        };
        // The link a secret store mounts is followed; the new token replaces what it points to.
        let (real, bytes) =
            confined::read_secret_file(path, MAX_TOKEN_BYTES, "a refresh token").map_err(failed)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| failed("it is not text".to_owned()))?
            .trim()
            .to_owned();
        if text.is_empty() || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(failed(
                "it must hold one refresh token and nothing else".to_owned(),
            ));
        }
        Ok((Self { path: real }, Secret::new(text)))
    }

    /// Replaces the file's token with `token`, privately and atomically.
    pub fn save(&self, token: &Secret) -> Result<(), ClientError> {
        let failed = |reason: String| {
            ClientError::Settings(format!(
                "DocuSign issued a new refresh token and spent the old one, but it can't be \
                 saved to `{}` (DOCUSIGN_REFRESH_TOKEN_FILE): {reason}; get a new refresh token \
                 and fix the file's folder before the next run",
                self.path.display()
            ))
        };
        let folder = self.path.parent().unwrap_or_else(|| Path::new("."));
        // `tempfile` makes the file 0600 on Unix, so the token is never readable by others.
        let mut temporary = tempfile::Builder::new()
            .prefix(".refresh-token")
            .tempfile_in(folder)
            .map_err(|err| failed(err.to_string()))?;
        temporary
            .write_all(token.expose().as_bytes())
            .and_then(|()| temporary.write_all(b"\n"))
            .and_then(|()| temporary.as_file().sync_all())
            .map_err(|err| failed(err.to_string()))?;
        temporary
            .persist(&self.path)
            .map_err(|err| failed(err.error.to_string()))?;
        // The rename is durable once the folder is.
        if let Ok(dir) = std::fs::File::open(folder) {
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_read_trimmed_and_replaced_whole_and_private() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("refresh-token");
        std::fs::write(&path, "  first-token-0001\n").expect("write");
        let (file, token) = RefreshTokenFile::read(&path).expect("read");
        assert_eq!(token.expose(), "first-token-0001");
        file.save(&Secret::new("second-token-0002")).expect("save");
        assert_eq!(
            std::fs::read_to_string(&path).expect("read back"),
            "second-token-0002\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(left, ["refresh-token"], "no temporary file is left behind");
    }

    #[test]
    fn an_empty_or_odd_file_is_refused_without_quoting_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, text) in [
            ("empty", "\n"),
            ("two", "canary-one canary-two"),
            ("binary", "\u{0}\u{1}"),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            let error = RefreshTokenFile::read(&path).expect_err(name).to_string();
            assert!(!error.contains("canary"), "{error}");
            assert!(error.contains("DOCUSIGN_REFRESH_TOKEN_FILE"), "{error}");
        }
        let missing = RefreshTokenFile::read(&dir.path().join("missing"))
            .expect_err("missing")
            .to_string();
        assert!(missing.contains("missing"), "{missing}");
    }
}
