//! Profile-picture files in the media directory: checking uploaded bytes, storing them under
//! random names, and serving them back.
//!
//! A picture is judged by its content only: the format comes from its magic bytes (never from
//! the file name or the client's Content-Type) and its dimensions from the header alone, so a
//! "decompression bomb" is refused without decoding a single pixel. Stored names are random
//! and never reused, which is what makes [`is_valid_name`] a complete guard against path
//! traversal and what lets [`serve`] mark responses as immutable.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{self, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::RngCore;
use tokio::io::AsyncWriteExt;

/// Bytes in one mebibyte, the unit the default upload limit is stated in.
const MIB: usize = 1024 * 1024;

/// Length of the random hex part of a stored name (16 random bytes).
const NAME_HEX_LEN: usize = 32;

/// Every format the server accepts, used to map a stored name's extension back to a format.
const FORMATS: [ImageFormat; 4] = [
    ImageFormat::Png,
    ImageFormat::Jpeg,
    ImageFormat::Gif,
    ImageFormat::WebP,
];

/// Limits on uploaded pictures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    /// Largest accepted upload, in bytes.
    pub max_bytes: usize,
    /// Largest accepted width and largest accepted height, in pixels (each side on its own).
    pub max_pixels_per_side: u32,
}

impl Default for ImageLimits {
    /// 5 MiB and 4096x4096 pixels, as the image rules of the users service require.
    fn default() -> Self {
        Self {
            max_bytes: 5 * MIB,
            max_pixels_per_side: 4096,
        }
    }
}

/// The formats accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// Portable Network Graphics.
    Png,
    /// JPEG (JFIF or Exif).
    Jpeg,
    /// GIF87a or GIF89a, possibly animated.
    Gif,
    /// WebP, lossy, lossless or extended.
    WebP,
}

impl ImageFormat {
    /// The MIME type to serve the picture with.
    pub fn content_type(&self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::WebP => "image/webp",
        }
    }

    /// The extension (without the dot) of stored names in this format.
    pub fn extension(&self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Gif => "gif",
            Self::WebP => "webp",
        }
    }

    /// The format whose [`extension`](Self::extension) is exactly `extension`.
    fn from_extension(extension: &str) -> Option<Self> {
        FORMATS
            .into_iter()
            .find(|format| format.extension() == extension)
    }
}

/// Why a picture was refused; Display gives the user-facing message (goes into
/// `{"profile_pic": [msg]}`).
///
/// Every variant but [`ImageError::Io`] is the uploader's fault (a 400); `Io` is a server
/// failure whose message is deliberately opaque: see [`ImageError::is_internal`].
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The upload is bigger than [`ImageLimits::max_bytes`]; checked before any parsing.
    #[error("The picture is too large: the limit is {}.", human_bytes(*.max_bytes))]
    TooLarge {
        /// The limit that was exceeded, in bytes.
        max_bytes: usize,
        /// The size of the upload, in bytes.
        actual_bytes: usize,
    },
    /// The bytes are not a picture, or a truncated or corrupted one.
    #[error(
        "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
    )]
    NotAnImage,
    /// A picture in a format that is recognised but not accepted (BMP, TIFF, SVG, HEIC...).
    #[error("Unsupported image format: upload a PNG, JPEG, GIF or WebP picture.")]
    Unsupported,
    /// The header declares a width or height above [`ImageLimits::max_pixels_per_side`].
    #[error(
        "The picture is {width}x{height} pixels: the largest allowed is \
         {max_pixels_per_side}x{max_pixels_per_side}."
    )]
    TooManyPixels {
        /// Width declared in the header.
        width: usize,
        /// Height declared in the header.
        height: usize,
        /// The limit on each side.
        max_pixels_per_side: u32,
    },
    /// Writing the picture failed; the cause is kept as the error source for the logs.
    #[error("The picture could not be saved; please try again later.")]
    Io(#[from] std::io::Error),
}

impl ImageError {
    /// True when the failure is the server's (an I/O error), not a problem with the upload:
    /// the caller should log it and answer 500 rather than 400.
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Io(_))
    }
}

/// Formats a byte count in the largest binary unit that divides it exactly.
fn human_bytes(bytes: usize) -> String {
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

/// Checks bytes: format by magic bytes (never by filename or client Content-Type), dimensions
/// from the header only (no decoding: a PNG header claiming 100000x100000 is refused
/// instantly), byte limit.
///
/// The byte limit is checked first, so an oversized upload is refused before any parsing.
pub fn inspect(bytes: &[u8], limits: &ImageLimits) -> Result<ImageFormat, ImageError> {
    if bytes.len() > limits.max_bytes {
        return Err(ImageError::TooLarge {
            max_bytes: limits.max_bytes,
            actual_bytes: bytes.len(),
        });
    }
    let format = sniff_format(bytes)?;
    // imagesize only reads the header fields it needs; it never decodes pixel data.
    let size = imagesize::blob_size(bytes).map_err(|_| ImageError::NotAnImage)?;
    if size.width == 0 || size.height == 0 {
        return Err(ImageError::NotAnImage);
    }
    let max_side = usize::try_from(limits.max_pixels_per_side).unwrap_or(usize::MAX);
    if size.width > max_side || size.height > max_side {
        return Err(ImageError::TooManyPixels {
            width: size.width,
            height: size.height,
            max_pixels_per_side: limits.max_pixels_per_side,
        });
    }
    Ok(format)
}

/// Identifies an accepted format from its signature.
///
/// Stricter than imagesize's own detection (which accepts e.g. any `\x89PNG` prefix), so that
/// only well-formed headers reach the dimension reader.
fn sniff_format(bytes: &[u8]) -> Result<ImageFormat, ImageError> {
    const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    // The first chunk of every PNG is IHDR, whose data is always 13 bytes long.
    const PNG_IHDR: &[u8] = b"\x00\x00\x00\x0dIHDR";

    if bytes.starts_with(PNG_SIGNATURE) {
        return if bytes.get(8..16) == Some(PNG_IHDR) {
            Ok(ImageFormat::Png)
        } else {
            Err(ImageError::NotAnImage)
        };
    }
    if bytes.starts_with(b"\xff\xd8\xff") {
        return Ok(ImageFormat::Jpeg);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Ok(ImageFormat::Gif);
    }
    if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP") {
        return match bytes.get(12..16) {
            Some(b"VP8 " | b"VP8L" | b"VP8X") => Ok(ImageFormat::WebP),
            _ => Err(ImageError::NotAnImage),
        };
    }
    if is_other_image_format(bytes) {
        return Err(ImageError::Unsupported);
    }
    Err(ImageError::NotAnImage)
}

/// Recognises common picture formats that are not accepted, so the user is told to convert
/// the picture rather than that it is not one.
fn is_other_image_format(bytes: &[u8]) -> bool {
    let bmp = bytes.starts_with(b"BM") && bytes.len() >= 26;
    let tiff = bytes.starts_with(b"II*\0") || bytes.starts_with(b"MM\0*");
    let ico = bytes.starts_with(b"\0\0\x01\0") || bytes.starts_with(b"\0\0\x02\0");
    let jpeg_xl = bytes.starts_with(b"\xff\x0a") || bytes.starts_with(b"\0\0\0\x0cJXL \r\n\x87\n");
    let jpeg_2000 = bytes.starts_with(b"\0\0\0\x0cjP  \r\n\x87\n");
    let iso_bmff_image = bytes.get(4..8) == Some(b"ftyp")
        && matches!(
            bytes.get(8..12),
            Some(b"avif" | b"avis" | b"heic" | b"heix" | b"hevc" | b"mif1" | b"msf1")
        );
    bmp || tiff || ico || jpeg_xl || jpeg_2000 || iso_bmff_image || looks_like_svg(bytes)
}

/// True for an SVG document: refused, since it is markup that can carry scripts.
fn looks_like_svg(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = head[start..].to_ascii_lowercase();
    head.starts_with(b"<svg")
        || ((head.starts_with(b"<?xml") || head.starts_with(b"<!doctype svg"))
            && head.windows(4).any(|window| window == b"<svg"))
}

/// Validates, then writes under a fresh random name (32 hex chars from `rand` 0.8 +
/// extension) in `media_dir` (created if missing), written to a temp file then renamed (no
/// partial files); returns the name.
pub async fn store(
    media_dir: &Path,
    bytes: &[u8],
    limits: &ImageLimits,
) -> Result<String, ImageError> {
    let format = inspect(bytes, limits)?;
    tokio::fs::create_dir_all(media_dir).await?;

    let name = format!("{}.{}", random_hex(), format.extension());
    // The temporary name starts with a dot, so is_valid_name never lets it be served, and it
    // sits in the same directory so that the rename is atomic.
    let temp_path = media_dir.join(format!(".upload-{}.tmp", random_hex()));
    let written = write_then_rename(&temp_path, &media_dir.join(&name), bytes).await;
    if let Err(error) = written {
        if let Err(cleanup) = tokio::fs::remove_file(&temp_path).await {
            if cleanup.kind() != ErrorKind::NotFound {
                tracing::warn!(error = %cleanup, "could not remove a partial media upload");
            }
        }
        return Err(error.into());
    }
    Ok(name)
}

/// Writes and flushes `bytes` to a new file at `temp_path`, then renames it to `final_path`.
async fn write_then_rename(
    temp_path: &Path,
    final_path: &Path,
    bytes: &[u8],
) -> std::io::Result<()> {
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temp_path)
        .await?;
    file.write_all(bytes).await?;
    // Synced before the rename so that a crash can't leave a truncated file under the final name.
    file.sync_all().await?;
    drop(file);
    tokio::fs::rename(temp_path, final_path).await
}

/// 16 random bytes as 32 lowercase hex characters.
fn random_hex() -> String {
    let mut bytes = [0u8; NAME_HEX_LEN / 2];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// True only for names this module makes: 32 lowercase hex + "." + one of png|jpg|gif|webp.
/// Anything else (path separators, "..", NUL, percent-encoding leftovers, other extensions)
/// is refused.
pub fn is_valid_name(name: &str) -> bool {
    format_of_name(name).is_some()
}

/// The format a valid stored name was written in, or None for any name this module would not
/// have made.
fn format_of_name(name: &str) -> Option<ImageFormat> {
    let (stem, extension) = name.split_once('.')?;
    let stem_ok = stem.len() == NAME_HEX_LEN
        && stem
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !stem_ok {
        return None;
    }
    ImageFormat::from_extension(extension)
}

/// Reads a stored picture for serving: None when the name is invalid or the file does not
/// exist.
pub async fn load(media_dir: &Path, name: &str) -> Option<(Vec<u8>, &'static str)> {
    let format = format_of_name(name)?;
    match tokio::fs::read(media_dir.join(name)).await {
        Ok(bytes) => Some((bytes, format.content_type())),
        Err(error) if error.kind() == ErrorKind::NotFound => None,
        Err(error) => {
            tracing::warn!(%error, name, "could not read a media file");
            None
        }
    }
}

/// Removes a stored picture; a missing file is not an error (it is already gone), other
/// failures are logged and otherwise ignored so that account changes still succeed.
pub async fn remove(media_dir: &Path, name: &str) {
    // Stored names are generated by us; refuse anything that could leave the directory.
    if !is_valid_name(name) {
        tracing::warn!(name, "refusing to remove a media file with an unsafe name");
        return;
    }
    match tokio::fs::remove_file(media_dir.join(name)).await {
        Ok(()) => {}
        Err(error) if error.kind() == ErrorKind::NotFound => {}
        Err(error) => tracing::warn!(%error, name, "could not remove a media file"),
    }
}

/// The media directory, as the state of the small router that serves pictures.
#[derive(Debug, Clone)]
pub struct MediaDir(pub Arc<PathBuf>);

/// axum handler for `GET /api/user/media/{name}`: 200 with the bytes, Content-Type from the
/// stored extension, `X-Content-Type-Options: nosniff`, `Cache-Control: public,
/// max-age=31536000, immutable` (names are random and never reused),
/// `Content-Security-Policy: default-src 'none'`; 404 JSON `{"detail": "Not found."}`
/// otherwise.
///
/// A path segment that axum cannot decode (e.g. invalid UTF-8 after percent-decoding) is also
/// a 404, not axum's default 400, so that no name probes differently from an unknown one.
pub async fn serve(
    State(media_dir): State<MediaDir>,
    name: Result<extract::Path<String>, PathRejection>,
) -> Response {
    let Ok(extract::Path(name)) = name else {
        return not_found();
    };
    serve_file(&media_dir.0, &name).await
}

/// The response for picture `name` in `media_dir`: the bytes with safe headers, or 404.
pub async fn serve_file(media_dir: &Path, name: &str) -> Response {
    let Some((bytes, content_type)) = load(media_dir, name).await else {
        return not_found();
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'"),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The DRF-style 404 body.
pub fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        )],
        Json(serde_json::json!({ "detail": "Not found." })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
        bytes.extend_from_slice(&13u32.to_be_bytes());
        bytes.extend_from_slice(b"IHDR");
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&height.to_be_bytes());
        // Bit depth 8, RGBA, deflate, adaptive filter, no interlace; then a (dummy) CRC.
        bytes.extend_from_slice(&[8, 6, 0, 0, 0]);
        bytes.extend_from_slice(&[0, 0, 0, 0]);
        bytes.extend_from_slice(&0u32.to_be_bytes());
        bytes.extend_from_slice(b"IEND");
        bytes.extend_from_slice(&[0xae, 0x42, 0x60, 0x82]);
        bytes
    }

    fn gif(width: u16, height: u16) -> Vec<u8> {
        let mut bytes = b"GIF89a".to_vec();
        bytes.extend_from_slice(&width.to_le_bytes());
        bytes.extend_from_slice(&height.to_le_bytes());
        // No global colour table, background 0, no aspect ratio; then the trailer.
        bytes.extend_from_slice(&[0, 0, 0, b';']);
        bytes
    }

    fn jpeg(width: u16, height: u16) -> Vec<u8> {
        let mut bytes = vec![0xff, 0xd8];
        // APP0 JFIF segment (length 16 includes the two length bytes).
        bytes.extend_from_slice(&[0xff, 0xe0, 0x00, 0x10]);
        bytes.extend_from_slice(b"JFIF\0");
        bytes.extend_from_slice(&[1, 1, 0, 0, 1, 0, 1, 0, 0]);
        // SOF0: length 11, precision 8, height, width, one component.
        bytes.extend_from_slice(&[0xff, 0xc0, 0x00, 0x0b, 8]);
        bytes.extend_from_slice(&height.to_be_bytes());
        bytes.extend_from_slice(&width.to_be_bytes());
        bytes.extend_from_slice(&[1, 1, 0x11, 0]);
        bytes.extend_from_slice(&[0xff, 0xd9]);
        bytes
    }

    fn webp(width: u32, height: u32) -> Vec<u8> {
        let mut chunk = b"VP8X".to_vec();
        chunk.extend_from_slice(&10u32.to_le_bytes());
        chunk.extend_from_slice(&[0, 0, 0, 0]);
        chunk.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
        chunk.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
        let mut bytes = b"RIFF".to_vec();
        let riff_size = u32::try_from(4 + chunk.len()).expect("tiny fixture");
        bytes.extend_from_slice(&riff_size.to_le_bytes());
        bytes.extend_from_slice(b"WEBP");
        bytes.extend_from_slice(&chunk);
        bytes
    }

    fn limits() -> ImageLimits {
        ImageLimits::default()
    }

    fn media_router(dir: &Path) -> Router {
        Router::new()
            .route("/api/user/media/{name}", get(serve))
            .with_state(MediaDir(Arc::new(dir.to_path_buf())))
    }

    async fn get_media(router: Router, uri: &str) -> Response {
        let request = Request::builder()
            .uri(uri)
            .body(Body::empty())
            .expect("valid request");
        router.oneshot(request).await.expect("infallible service")
    }

    #[test]
    fn the_default_limits_are_five_mebibytes_and_4096_pixels_per_side() {
        let limits = ImageLimits::default();

        assert_eq!(limits.max_bytes, 5 * 1024 * 1024);
        assert_eq!(limits.max_pixels_per_side, 4096);
    }

    #[test]
    fn a_minimal_png_is_accepted_as_png() {
        let bytes = png(64, 48);

        let format = inspect(&bytes, &limits());

        assert_eq!(format.expect("accepted"), ImageFormat::Png);
    }

    #[test]
    fn a_minimal_gif_is_accepted_as_gif() {
        let bytes = gif(64, 48);

        let format = inspect(&bytes, &limits());

        assert_eq!(format.expect("accepted"), ImageFormat::Gif);
    }

    #[test]
    fn a_minimal_jpeg_is_accepted_as_jpeg() {
        let bytes = jpeg(64, 48);

        let format = inspect(&bytes, &limits());

        assert_eq!(format.expect("accepted"), ImageFormat::Jpeg);
    }

    #[test]
    fn a_minimal_webp_is_accepted_as_webp() {
        let bytes = webp(64, 48);

        let format = inspect(&bytes, &limits());

        assert_eq!(format.expect("accepted"), ImageFormat::WebP);
    }

    #[test]
    fn a_picture_exactly_at_the_pixel_limit_is_accepted() {
        let bytes = png(4096, 4096);

        let format = inspect(&bytes, &limits());

        assert_eq!(format.expect("accepted"), ImageFormat::Png);
    }

    #[test]
    fn formats_map_to_their_content_type_and_extension() {
        let table: Vec<_> = FORMATS
            .iter()
            .map(|format| (format.content_type(), format.extension()))
            .collect();

        assert_eq!(
            table,
            [
                ("image/png", "png"),
                ("image/jpeg", "jpg"),
                ("image/gif", "gif"),
                ("image/webp", "webp"),
            ]
        );
    }

    #[test]
    fn a_text_file_renamed_png_is_refused_by_its_content() {
        // Only the bytes are looked at: the ".png" name the client gave is never seen here.
        let bytes = b"just some notes, saved as notes.png\n".repeat(4);

        let result = inspect(&bytes, &limits());

        assert!(matches!(result, Err(ImageError::NotAnImage)), "{result:?}");
    }

    #[test]
    fn an_html_payload_is_refused() {
        let bytes = b"<!DOCTYPE html><html><script>alert(document.cookie)</script></html>";

        let result = inspect(bytes, &limits());

        assert!(matches!(result, Err(ImageError::NotAnImage)), "{result:?}");
    }

    #[test]
    fn an_svg_payload_is_refused() {
        let svgs: [&[u8]; 2] = [
            b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
            b"\xef\xbb\xbf  <?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        ];

        for svg in svgs {
            let result = inspect(svg, &limits());

            assert!(matches!(result, Err(ImageError::Unsupported)), "{result:?}");
        }
    }

    #[test]
    fn a_png_header_claiming_100000_by_100000_is_refused_as_too_many_pixels() {
        let bytes = png(100_000, 100_000);

        let result = inspect(&bytes, &limits());

        assert!(
            matches!(
                result,
                Err(ImageError::TooManyPixels {
                    width: 100_000,
                    height: 100_000,
                    max_pixels_per_side: 4096
                })
            ),
            "{result:?}"
        );
    }

    #[test]
    fn one_side_over_the_limit_is_enough_to_refuse() {
        let wide = gif(4097, 1);
        let tall = jpeg(1, 4097);

        assert!(matches!(
            inspect(&wide, &limits()),
            Err(ImageError::TooManyPixels { .. })
        ));
        assert!(matches!(
            inspect(&tall, &limits()),
            Err(ImageError::TooManyPixels { .. })
        ));
    }

    #[test]
    fn bytes_over_the_limit_are_refused_before_any_parsing() {
        let small = ImageLimits {
            max_bytes: 16,
            ..ImageLimits::default()
        };
        let valid_picture = png(1, 1);
        let garbage = vec![0u8; 17];

        let picture_result = inspect(&valid_picture, &small);
        let garbage_result = inspect(&garbage, &small);

        assert!(matches!(
            picture_result,
            Err(ImageError::TooLarge { max_bytes: 16, .. })
        ));
        // Garbage that would be NotAnImage is TooLarge: the size check comes first.
        assert!(matches!(
            garbage_result,
            Err(ImageError::TooLarge {
                max_bytes: 16,
                actual_bytes: 17
            })
        ));
    }

    #[test]
    fn empty_input_is_refused() {
        let result = inspect(&[], &limits());

        assert!(matches!(result, Err(ImageError::NotAnImage)), "{result:?}");
    }

    #[test]
    fn truncated_headers_are_refused() {
        let cases = [
            png(10, 10)[..8].to_vec(),
            png(10, 10)[..20].to_vec(),
            gif(10, 10)[..8].to_vec(),
            jpeg(10, 10)[..6].to_vec(),
            webp(10, 10)[..16].to_vec(),
        ];

        for bytes in cases {
            let result = inspect(&bytes, &limits());

            assert!(matches!(result, Err(ImageError::NotAnImage)), "{result:?}");
        }
    }

    #[test]
    fn a_zero_sized_picture_is_refused() {
        let result = inspect(&png(0, 10), &limits());

        assert!(matches!(result, Err(ImageError::NotAnImage)), "{result:?}");
    }

    #[test]
    fn recognised_but_unaccepted_formats_are_refused_as_unsupported() {
        let mut bmp = b"BM".to_vec();
        bmp.resize(64, 0);
        let tiff = b"II*\0\x08\0\0\0\0\0\0\0".to_vec();

        for bytes in [bmp, tiff] {
            let result = inspect(&bytes, &limits());

            assert!(matches!(result, Err(ImageError::Unsupported)), "{result:?}");
        }
    }

    #[test]
    fn error_messages_are_user_facing() {
        let too_large = ImageError::TooLarge {
            max_bytes: 5 * 1024 * 1024,
            actual_bytes: 6 * 1024 * 1024,
        };
        let too_many = ImageError::TooManyPixels {
            width: 100_000,
            height: 20,
            max_pixels_per_side: 4096,
        };
        let io = ImageError::from(std::io::Error::other("disk on fire at /srv/media"));

        assert_eq!(
            too_large.to_string(),
            "The picture is too large: the limit is 5 MiB."
        );
        assert_eq!(
            too_many.to_string(),
            "The picture is 100000x20 pixels: the largest allowed is 4096x4096."
        );
        assert!(!io.to_string().contains("/srv/media"));
        assert!(io.is_internal());
        assert!(!ImageError::NotAnImage.is_internal());
    }

    #[test]
    fn is_valid_name_refuses_anything_this_module_would_not_make() {
        let hex = "0123456789abcdef0123456789abcdef";
        let refused = [
            "../etc/passwd".to_owned(),
            "a/b.png".to_owned(),
            "..".to_owned(),
            ".".to_owned(),
            "".to_owned(),
            "%2e%2e".to_owned(),
            "%2e%2e%2fetc%2fpasswd".to_owned(),
            "x.png\0".to_owned(),
            format!("{hex}.png\0"),
            format!("{}.png", hex.to_uppercase()),
            "abc.exe".to_owned(),
            format!("{hex}.exe"),
            format!("{hex}.PNG"),
            format!("{hex}.jpeg"),
            format!("{hex}.png.png"),
            format!("{hex}."),
            format!("{hex}png"),
            format!("{}.png", &hex[1..]),
            format!("{hex}0.png"),
            format!("../{hex}.png"),
            format!("{hex}\\.png"),
            format!(".{hex}.png"),
            format!("{}g.png", &hex[1..]),
        ];

        for name in &refused {
            assert!(!is_valid_name(name), "{name:?} should be refused");
        }
        for extension in ["png", "jpg", "gif", "webp"] {
            let name = format!("{hex}.{extension}");
            assert!(is_valid_name(&name), "{name:?} should be accepted");
        }
    }

    #[tokio::test]
    async fn a_name_returned_by_store_is_valid_and_loads_back_the_same_bytes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let bytes = png(32, 32);

        let name = store(dir.path(), &bytes, &limits()).await.expect("stored");
        let loaded = load(dir.path(), &name).await;

        assert!(is_valid_name(&name), "{name:?}");
        assert!(name.ends_with(".png"), "{name:?}");
        assert_eq!(loaded, Some((bytes, "image/png")));
    }

    #[tokio::test]
    async fn store_creates_a_missing_directory_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let media_dir = dir.path().join("nested").join("media");

        let name = store(&media_dir, &webp(8, 8), &limits())
            .await
            .expect("stored");

        let mut entries = std::fs::read_dir(&media_dir)
            .expect("directory exists")
            .map(|entry| entry.expect("entry").file_name())
            .collect::<Vec<_>>();
        entries.sort();
        assert_eq!(entries, [std::ffi::OsString::from(&name)]);
        assert!(name.ends_with(".webp"), "{name:?}");
    }

    #[tokio::test]
    async fn store_gives_each_upload_a_fresh_name() {
        let dir = tempfile::tempdir().expect("temp dir");
        let bytes = gif(2, 2);

        let first = store(dir.path(), &bytes, &limits()).await.expect("stored");
        let second = store(dir.path(), &bytes, &limits()).await.expect("stored");

        assert_ne!(first, second);
    }

    #[tokio::test]
    async fn a_refused_picture_is_not_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let media_dir = dir.path().join("media");

        let result = store(&media_dir, b"<html></html>", &limits()).await;

        assert!(matches!(result, Err(ImageError::NotAnImage)), "{result:?}");
        assert!(!media_dir.exists());
    }

    #[tokio::test]
    async fn load_returns_none_for_invalid_or_unknown_names() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("secret.txt"), "top secret").expect("written");

        let invalid = load(dir.path(), "secret.txt").await;
        let traversal = load(dir.path(), "../secret.txt").await;
        let unknown = load(dir.path(), "0123456789abcdef0123456789abcdef.png").await;

        assert_eq!(invalid, None);
        assert_eq!(traversal, None);
        assert_eq!(unknown, None);
    }

    #[tokio::test]
    async fn remove_deletes_a_stored_picture() {
        let dir = tempfile::tempdir().expect("temp dir");
        let name = store(dir.path(), &jpeg(4, 4), &limits())
            .await
            .expect("stored");

        remove(dir.path(), &name).await;

        assert_eq!(load(dir.path(), &name).await, None);
        assert!(!dir.path().join(&name).exists());
    }

    #[tokio::test]
    async fn remove_ignores_missing_files_and_refuses_other_names() {
        let dir = tempfile::tempdir().expect("temp dir");
        let other = dir.path().join("keep.png");
        std::fs::write(&other, "not ours").expect("written");

        remove(dir.path(), "0123456789abcdef0123456789abcdef.png").await;
        remove(dir.path(), "keep.png").await;

        assert!(other.exists());
    }

    #[tokio::test]
    async fn serve_returns_a_stored_picture_with_safe_headers() {
        let dir = tempfile::tempdir().expect("temp dir");
        let bytes = png(16, 16);
        let name = store(dir.path(), &bytes, &limits()).await.expect("stored");

        let response =
            get_media(media_router(dir.path()), &format!("/api/user/media/{name}")).await;

        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers();
        assert_eq!(headers[header::CONTENT_TYPE], "image/png");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(
            headers[header::CACHE_CONTROL],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            "default-src 'none'"
        );
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        assert_eq!(body.as_ref(), bytes.as_slice());
    }

    #[tokio::test]
    async fn serve_answers_404_to_a_traversal_attempt() {
        let dir = tempfile::tempdir().expect("temp dir");
        let media_dir = dir.path().join("media");
        std::fs::create_dir(&media_dir).expect("created");
        std::fs::write(dir.path().join("passwd"), "root:x:0:0").expect("written");

        let response = get_media(
            media_router(&media_dir),
            "/api/user/media/..%2F..%2Fetc%2Fpasswd",
        )
        .await;
        let sibling = get_media(media_router(&media_dir), "/api/user/media/..%2Fpasswd").await;

        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(sibling.status(), StatusCode::NOT_FOUND);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let json: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(json, serde_json::json!({ "detail": "Not found." }));
    }

    #[tokio::test]
    async fn serve_answers_404_to_unknown_and_undecodable_names() {
        let dir = tempfile::tempdir().expect("temp dir");

        let unknown = get_media(
            media_router(dir.path()),
            "/api/user/media/0123456789abcdef0123456789abcdef.png",
        )
        .await;
        let undecodable = get_media(media_router(dir.path()), "/api/user/media/%FF%FE.png").await;

        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        assert_eq!(undecodable.status(), StatusCode::NOT_FOUND);
    }
}
