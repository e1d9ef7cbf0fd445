//! The JWT signing secret: from the settings, or generated once and persisted beside the
//! database (mode 0600) so that restarts keep sessions valid.

use std::path::{Path, PathBuf};

use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

/// Shortest accepted secret, in bytes (HS256 wants at least 256 bits).
pub const MIN_SECRET_BYTES: usize = 32;

/// Why no secret could be had.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The configured secret is too short.
    #[error("AUTHGRAPH_JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long")]
    TooShort,
    /// The persisted secret file could not be read or written.
    #[error("cannot read or write the JWT secret file {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// Where the generated secret lives: beside an SQLite database file, otherwise in the
/// working directory.
pub fn secret_path(database_url: &str) -> PathBuf {
    match crate::db::sqlite_file(database_url) {
        Some(path) => {
            let mut path = path.into_os_string();
            path.push(".jwt-secret");
            PathBuf::from(path)
        }
        None => PathBuf::from("authgraph.jwt-secret"),
    }
}

/// The secret to sign with.
pub fn resolve(
    configured: Option<&SecretString>,
    database_url: &str,
) -> Result<SecretString, SecretError> {
    if let Some(secret) = configured {
        if secret.expose_secret().len() < MIN_SECRET_BYTES {
            return Err(SecretError::TooShort);
        }
        return Ok(secret.clone());
    }
    let path = secret_path(database_url);
    load_or_create(&path)
}

fn load_or_create(path: &Path) -> Result<SecretString, SecretError> {
    let io = |source| SecretError::File {
        path: path.to_owned(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(existing) if existing.trim().len() >= MIN_SECRET_BYTES => {
            tracing::warn!(path = %path.display(), "AUTHGRAPH_JWT_SECRET is not set; using the secret persisted in this file. Set it explicitly in production, and to the same value on every instance.");
            return Ok(SecretString::from(existing.trim().to_owned()));
        }
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(io(error)),
    }
    let mut bytes = [0u8; 48];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    write_private(path, &secret).map_err(io)?;
    tracing::warn!(path = %path.display(), "AUTHGRAPH_JWT_SECRET is not set; generated a random secret and saved it to this file. Set it explicitly in production, and to the same value on every instance.");
    Ok(SecretString::from(secret))
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_file_sits_beside_an_sqlite_database() {
        assert_eq!(
            secret_path("sqlite://data/authgraph.db?mode=rwc"),
            PathBuf::from("data/authgraph.db.jwt-secret")
        );
        assert_eq!(
            secret_path("postgres://u@h/db"),
            PathBuf::from("authgraph.jwt-secret")
        );
    }

    #[test]
    fn a_generated_secret_is_persisted_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/a.db?mode=rwc", dir.path().display());
        let first = resolve(None, &url).unwrap();
        let second = resolve(None, &url).unwrap();
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert!(first.expose_secret().len() >= MIN_SECRET_BYTES);
    }

    #[test]
    fn a_short_configured_secret_is_refused() {
        let short = SecretString::from("short".to_owned());
        assert!(matches!(
            resolve(Some(&short), "sqlite::memory:"),
            Err(SecretError::TooShort)
        ));
    }
}
