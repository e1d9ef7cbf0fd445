//! Profile pictures from Django's `MEDIA_ROOT`: the path in the user table is relative to
//! it; the file goes through the upload rules (`crate::media::inspect`) and is stored under
//! a new random name by `crate::media::store`, exactly as an upload would be.

use std::io::ErrorKind;
use std::path::{Component, Path};

use crate::media::ImageLimits;

use super::summary::WarningReason;

/// What to do about a user's picture.
#[derive(Debug)]
pub enum Picture {
    /// The Django row has none.
    None,
    /// Valid bytes, ready for `crate::media::store`.
    Ready(Vec<u8>),
    /// Not importable; the account is imported without it (and keeps the one it has).
    Problem(WarningReason, String),
}

/// Reads and checks the picture at `relative` under `media_root`.
pub async fn load(media_root: Option<&Path>, relative: &str, limits: &ImageLimits) -> Picture {
    let relative = relative.trim();
    if relative.is_empty() {
        return Picture::None;
    }
    let Some(root) = media_root else {
        return Picture::Problem(
            WarningReason::NoMediaRoot,
            format!("{relative:?} not copied: no --media-root"),
        );
    };
    let outside = || {
        Picture::Problem(
            WarningReason::ProfilePicOutsideMediaRoot,
            format!("{relative:?} is not inside the media root"),
        )
    };
    // Django's storage never makes such names; refuse them rather than follow them.
    if !Path::new(relative)
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return outside();
    }
    let path = root.join(relative);
    // A symbolic link inside the media root must not lead out of it either.
    match (
        tokio::fs::canonicalize(root).await,
        tokio::fs::canonicalize(&path).await,
    ) {
        (Ok(root), Ok(resolved)) if resolved.starts_with(&root) => {}
        (_, Err(error)) if error.kind() == ErrorKind::NotFound => {
            return Picture::Problem(
                WarningReason::ProfilePicMissing,
                format!("{relative:?} does not exist under the media root"),
            );
        }
        (Ok(_), Ok(_)) => return outside(),
        (_, Err(error)) | (Err(error), _) => {
            return Picture::Problem(
                WarningReason::ProfilePicMissing,
                format!("{relative:?} cannot be read: {error}"),
            );
        }
    }
    // Refuse an oversized file before reading it into memory.
    match tokio::fs::metadata(&path).await {
        Ok(meta) if !meta.is_file() => {
            return Picture::Problem(
                WarningReason::ProfilePicMissing,
                format!("{relative:?} is not a file"),
            );
        }
        Ok(meta) if meta.len() > u64::try_from(limits.max_bytes).unwrap_or(u64::MAX) => {
            let error = crate::media::ImageError::TooLarge {
                max_bytes: limits.max_bytes,
                actual_bytes: usize::try_from(meta.len()).unwrap_or(usize::MAX),
            };
            return Picture::Problem(
                WarningReason::ProfilePicRejected,
                format!("{relative:?}: {error}"),
            );
        }
        Ok(_) => {}
        Err(error) => {
            return Picture::Problem(
                WarningReason::ProfilePicMissing,
                format!("{relative:?} cannot be read: {error}"),
            );
        }
    }
    let bytes = match tokio::fs::read(&path).await {
        Ok(bytes) => bytes,
        Err(error) => {
            return Picture::Problem(
                WarningReason::ProfilePicMissing,
                format!("{relative:?} cannot be read: {error}"),
            );
        }
    };
    match crate::media::inspect(&bytes, limits) {
        Ok(_) => Picture::Ready(bytes),
        Err(error) => Picture::Problem(
            WarningReason::ProfilePicRejected,
            format!("{relative:?}: {error}"),
        ),
    }
}
