//! Uploads (SPEC §7): accepted by content, never by name or declared type;
//! images decoded with bounded memory (`decode`) and re-encoded (which drops
//! EXIF, GPS and anything appended) into a large version and a thumbnail;
//! files written atomically under `<data_dir>/uploads/`. Booking attachments
//! and vehicle photos both come through here, and so do the limits on what
//! an upload form may send.

mod decode;

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use fast_image_resize::{ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, codecs::jpeg::JpegEncoder};
use tokio::sync::Semaphore;

use crate::error::{AppError, FieldErrors};

pub use decode::MAX_MEGAPIXELS;

/// Largest accepted upload.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// What the text fields of an upload form may add up to.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;
/// How much of a one-file upload form is read at most. Only `MAX_BYTES` of
/// file and `MAX_FIELD_BYTES` of fields are kept; the rest of a larger file
/// (a 7 MB phone photo, say) is read and dropped, so the sender gets a
/// clear 413 rather than a connection reset in the middle of the upload.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;
/// Longest side of the stored large version.
pub const LARGE_PX: u32 = 1600;
/// Longest side of the thumbnail.
pub const THUMB_PX: u32 = 400;
const JPEG_QUALITY: u8 = 82;

/// What a file really is, judged by its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
    Pdf,
}

impl Kind {
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
            Kind::Pdf => "application/pdf",
        }
    }

    pub fn is_image(self) -> bool {
        self != Kind::Pdf
    }
}

/// Identifies a file by its content.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    match infer::get(bytes)?.mime_type() {
        "image/jpeg" => Some(Kind::Jpeg),
        "image/png" => Some(Kind::Png),
        "image/webp" => Some(Kind::Webp),
        "application/pdf" => Some(Kind::Pdf),
        _ => None,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("The file is larger than 5 MB.")]
    TooLarge,
    #[error("Only JPEG, PNG or WebP photos are accepted.")]
    NotAnImage,
    #[error("Only JPEG, PNG or WebP photos, or a PDF, are accepted.")]
    Unsupported,
    #[error("The image is too large: photos up to {MAX_MEGAPIXELS} megapixels are accepted.")]
    TooManyPixels,
    /// Within the pixel limit but too costly to decode (16-bit or
    /// transparent PNG, progressive JPEG near the limit).
    #[error(
        "The image is too large to process. Save it as an ordinary JPEG of up to \
         {MAX_MEGAPIXELS} megapixels and try again."
    )]
    TooMuchMemory,
    #[error("The file looks damaged and could not be read.")]
    Damaged,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl UploadError {
    /// What a refusal means to the client: 413 too large, 415 not a kind of
    /// file we take, 422 (naming `field`) one of the right kind we cannot use.
    pub fn into_app_error(self, field: &str) -> AppError {
        match self {
            UploadError::TooLarge => AppError::PayloadTooLarge(self.to_string()),
            UploadError::NotAnImage | UploadError::Unsupported => {
                AppError::UnsupportedMediaType(self.to_string())
            }
            UploadError::Internal(e) => AppError::Internal(e),
            refused => {
                let mut fields = FieldErrors::new();
                fields.add(field, refused.to_string());
                AppError::Validation(fields)
            }
        }
    }
}

/// A re-encoded photo, ready to store.
pub struct ProcessedImage {
    pub large: Vec<u8>,
    pub thumb: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Decodes within the limits, applies the camera's orientation, and
/// re-encodes a large JPEG and a thumbnail. CPU-heavy: call from
/// `spawn_blocking`.
pub fn process_image(bytes: &[u8]) -> Result<ProcessedImage, UploadError> {
    let decoded = decode::decode(bytes, LARGE_PX)?;
    // Shrink first, in whatever pixel format the file had (no full-size
    // copy), then rotate: turning 1600 px costs a fraction of 4000 px.
    let mut large = shrunk(&decoded.image, LARGE_PX)?.unwrap_or(decoded.image);
    large.apply_orientation(decoded.orientation);
    // JPEG has no alpha: everything becomes RGB, once, at the small size.
    let large = DynamicImage::ImageRgb8(large.into_rgb8());
    let thumb = shrunk(&large, THUMB_PX)?;
    Ok(ProcessedImage {
        width: large.width(),
        height: large.height(),
        thumb: encode_jpeg(thumb.as_ref().unwrap_or(&large))?,
        large: encode_jpeg(&large)?,
    })
}

/// The size of a `width` × `height` image fitted into `max_side` ×
/// `max_side`, keeping its proportions (never enlarged).
pub fn fit(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= max_side {
        return (width, height);
    }
    let scale = f64::from(max_side) / f64::from(longest);
    let side = |n: u32| ((f64::from(n) * scale).round() as u32).clamp(1, max_side);
    (side(width), side(height))
}

/// The image fitted into `max_side` × `max_side`, in its own pixel format,
/// or `None` when it fits already. fast_image_resize (SIMD convolution) does
/// this several times faster than `image`'s own resize, which dominated the
/// time for a phone photo. Alpha is resized as a channel like the others
/// (it is dropped afterwards), which spares a premultiplied full-size copy.
fn shrunk(img: &DynamicImage, max_side: u32) -> Result<Option<DynamicImage>, UploadError> {
    let (w, h) = fit(img.width(), img.height(), max_side);
    if (w, h) == (img.width(), img.height()) {
        return Ok(None);
    }
    let mut out = DynamicImage::new(w, h, img.color());
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(
            fast_image_resize::FilterType::Bilinear,
        ))
        .use_alpha(false);
    Resizer::new()
        .resize(img, &mut out, &options)
        .map_err(|e| UploadError::Internal(anyhow::anyhow!("resize failed: {e}")))?;
    Ok(Some(out))
}

/// Encodes an RGB image as JPEG.
fn encode_jpeg(img: &DynamicImage) -> Result<Vec<u8>, UploadError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode(
            img.as_bytes(),
            img.width(),
            img.height(),
            img.color().into(),
        )
        .map_err(|e| UploadError::Internal(anyhow::anyhow!("jpeg encoding failed: {e}")))?;
    Ok(out)
}

/// A PDF must start with the PDF header (already sniffed) and end with an EOF marker.
pub fn check_pdf(bytes: &[u8]) -> Result<(), UploadError> {
    let tail = &bytes[bytes.len().saturating_sub(1024)..];
    if tail.windows(5).any(|w| w == b"%%EOF") {
        Ok(())
    } else {
        Err(UploadError::Damaged)
    }
}

/// A file checked and ready to store.
pub struct Prepared {
    pub kind: Kind,
    /// What is stored: re-encoded JPEG for photos, the PDF as sent.
    pub bytes: Vec<u8>,
    pub extension: &'static str,
    pub content_type: &'static str,
}

/// The public URL of a stored file (`rel` is its path under the uploads
/// directory; `/media/` serves that directory).
pub fn media_url(rel: &str) -> String {
    format!("/media/{rel}")
}

/// The uploads directory and the bound on concurrent image decodes: one at
/// a time, so the decode budget bounds the whole server's memory (and a
/// 1–2 core box gains nothing from more).
pub struct Uploads {
    root: PathBuf,
    decodes: Semaphore,
}

impl Uploads {
    pub fn new(data_dir: &Path) -> Uploads {
        Uploads {
            root: data_dir.join("uploads"),
            decodes: Semaphore::new(1),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Checks a booking attachment (photo or PDF) and prepares what to store.
    pub async fn prepare_attachment(&self, bytes: Vec<u8>) -> Result<Prepared, UploadError> {
        if bytes.len() > MAX_BYTES {
            return Err(UploadError::TooLarge);
        }
        match sniff(&bytes).ok_or(UploadError::Unsupported)? {
            Kind::Pdf => {
                check_pdf(&bytes)?;
                Ok(Prepared {
                    kind: Kind::Pdf,
                    bytes,
                    extension: "pdf",
                    content_type: Kind::Pdf.content_type(),
                })
            }
            kind => {
                let image = self.process(bytes).await?;
                Ok(Prepared {
                    kind,
                    bytes: image.large,
                    extension: "jpg",
                    content_type: Kind::Jpeg.content_type(),
                })
            }
        }
    }

    /// Checks and re-encodes a photo off the async runtime.
    pub async fn process(&self, bytes: Vec<u8>) -> Result<ProcessedImage, UploadError> {
        if bytes.len() > MAX_BYTES {
            return Err(UploadError::TooLarge);
        }
        if !sniff(&bytes).is_some_and(Kind::is_image) {
            return Err(UploadError::NotAnImage);
        }
        let _permit = self
            .decodes
            .acquire()
            .await
            .map_err(|e| UploadError::Internal(e.into()))?;
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(|| process_image(&bytes)))
            .await
            .map_err(|e| UploadError::Internal(e.into()))?
    }

    /// Writes `bytes` to `rel` atomically: a temporary file, fsync, rename.
    /// A crash leaves either the whole file or none.
    pub async fn store(&self, rel: &str, bytes: Vec<u8>) -> anyhow::Result<()> {
        let path = self.path(rel);
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let dir = path
                .parent()
                .ok_or_else(|| anyhow::anyhow!("upload path has no parent"))?;
            std::fs::create_dir_all(dir)?;
            let tmp = path.with_extension("part");
            let result = (|| -> std::io::Result<()> {
                let mut f = std::fs::File::create(&tmp)?;
                f.write_all(&bytes)?;
                f.sync_all()?;
                std::fs::rename(&tmp, &path)?;
                std::fs::File::open(dir)?.sync_all()
            })();
            if result.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            Ok(result?)
        })
        .await?
    }

    /// Removes stored files (and their directory once empty); missing files are fine.
    pub async fn remove(&self, rels: Vec<String>) {
        let paths: Vec<PathBuf> = rels.iter().map(|r| self.path(r)).collect();
        let _ = tokio::task::spawn_blocking(move || {
            for p in &paths {
                let _ = std::fs::remove_file(p);
                if let Some(dir) = p.parent() {
                    let _ = std::fs::remove_dir(dir);
                }
            }
        })
        .await;
    }
}

/// One file of a multipart form.
pub struct FilePart {
    /// The name the browser gave it, for messages ("photo3.jpg: …").
    pub filename: String,
    /// `None` when it was over `MAX_BYTES` (read to the end and discarded).
    pub bytes: Option<Vec<u8>>,
}

/// A one-file multipart form: its text fields and the file, if one was sent.
#[derive(Default)]
pub struct MultipartForm {
    pub fields: std::collections::HashMap<String, String>,
    pub file: Option<FilePart>,
}

/// One part of a multipart body.
pub enum Part {
    Text { name: String, value: String },
    File { name: String, file: FilePart },
}

/// Reads a multipart body part by part, so a form of many photos can be
/// handled one photo at a time instead of held whole in memory. Files are
/// read with a hard cap: one over 5 MB is read to the end but not kept, so
/// the client gets a clear answer instead of a connection reset mid-upload.
/// The text fields together may hold `MAX_FIELD_BYTES`. Empty file parts
/// (an input left empty) are skipped.
pub struct PartReader {
    multipart: axum::extract::Multipart,
    file_field: &'static str,
    /// Bytes of field names and text values read so far.
    field_bytes: usize,
}

impl PartReader {
    pub fn new(multipart: axum::extract::Multipart, file_field: &'static str) -> PartReader {
        PartReader {
            multipart,
            file_field,
            field_bytes: 0,
        }
    }

    pub async fn next(&mut self) -> Result<Option<Part>, AppError> {
        while let Some(mut field) = self.multipart.next_field().await.map_err(malformed)? {
            let name = field.name().unwrap_or_default().to_owned();
            if name != self.file_field {
                count_field_bytes(&mut self.field_bytes, name.len())?;
                let mut value = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                    count_field_bytes(&mut self.field_bytes, chunk.len())?;
                    value.extend_from_slice(&chunk);
                }
                // Not decoded lossily: a field that is not UTF-8 is refused,
                // never stored with U+FFFD in it.
                let value =
                    String::from_utf8(value).map_err(|_| crate::web::extract::not_utf8())?;
                return Ok(Some(Part::Text { name, value }));
            }
            let filename = field.file_name().unwrap_or_default().to_owned();
            let mut bytes = Some(Vec::new());
            let mut len = 0;
            while let Some(chunk) = field.chunk().await.map_err(malformed)? {
                len += chunk.len();
                if len > MAX_BYTES {
                    bytes = None;
                }
                if let Some(b) = bytes.as_mut() {
                    b.extend_from_slice(&chunk);
                }
            }
            if len > 0 {
                return Ok(Some(Part::File {
                    name,
                    file: FilePart { filename, bytes },
                }));
            }
        }
        Ok(None)
    }
}

/// Adds `n` to the text read so far, refusing past `MAX_FIELD_BYTES`.
fn count_field_bytes(so_far: &mut usize, n: usize) -> Result<(), AppError> {
    *so_far += n;
    if *so_far > MAX_FIELD_BYTES {
        return Err(AppError::PayloadTooLarge(format!(
            "The form's text fields are larger than {} KB together.",
            MAX_FIELD_BYTES / 1024
        )));
    }
    Ok(())
}

/// The multipart stream's own errors: over the route's body limit (a file
/// far over 5 MB), or broken.
fn malformed(e: axum::extract::multipart::MultipartError) -> AppError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        UploadError::TooLarge.into_app_error("")
    } else {
        AppError::bad_request("The multipart body is malformed.")
    }
}

/// Reads a whole one-file multipart body: its text fields and the file of
/// `file_field`. Only one file is held: a second one is refused.
pub async fn read_multipart(
    multipart: axum::extract::Multipart,
    file_field: &'static str,
) -> Result<MultipartForm, AppError> {
    let mut reader = PartReader::new(multipart, file_field);
    let mut form = MultipartForm::default();
    while let Some(part) = reader.next().await? {
        match part {
            Part::Text { name, value } => {
                form.fields.insert(name, value);
            }
            Part::File { .. } if form.file.is_some() => {
                return Err(AppError::bad_request("Send one file at a time."));
            }
            Part::File { file, .. } => form.file = Some(file),
        }
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = DynamicImage::new_rgb8(w, h);
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn sniffs_by_content_not_name() {
        assert_eq!(sniff(&png(2, 2)), Some(Kind::Png));
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some(Kind::Pdf));
        assert_eq!(sniff(b"just text, named photo.jpg"), None);
        assert_eq!(sniff(b"GIF89a......"), None);
    }

    #[test]
    fn big_photos_are_shrunk_and_reencoded_as_jpeg() {
        let out = process_image(&png(3200, 1000)).unwrap();
        assert_eq!((out.width, out.height), (1600, 500));
        assert_eq!(sniff(&out.large), Some(Kind::Jpeg));
        let thumb = image::load_from_memory(&out.thumb).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (400, 125));
    }

    #[test]
    fn truncated_images_are_refused() {
        let data = png(50, 50);
        assert!(matches!(
            process_image(&data[..data.len() / 2]),
            Err(UploadError::Damaged)
        ));
    }
}
