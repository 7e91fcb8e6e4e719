//! Decoding an uploaded image with bounded memory.
//!
//! A decompression bomb is small on the wire; what it costs is the decoded
//! pixels (an 8000 × 8000 PNG of 249 KB decodes to 192 MB). So the size is
//! checked from the header, before any pixel is decoded, against two limits:
//! `MAX_PIXELS` for every image, and `DECODE_BUDGET` for what the decoder
//! must hold at once. JPEGs (nearly every photo) are decoded already shrunk
//! to the smallest of 1/1, 1/2, 1/4 or 1/8 size that still covers the large
//! version (DCT scaling): a 12-megapixel phone photo never exists in memory
//! at full size, which also makes it faster. PNG and WebP have no such
//! trick; their full decoded size must fit the budget.

use std::{
    io::Cursor,
    panic::{AssertUnwindSafe, catch_unwind},
};

use image::{
    DynamicImage, GrayImage, ImageDecoder, ImageFormat, ImageReader, RgbImage,
    metadata::Orientation,
};
use jpeg_decoder::{CodingProcess, PixelFormat};

use super::UploadError;

/// The most pixels an accepted image may have (a 6000 × 4000 camera photo).
pub const MAX_MEGAPIXELS: u64 = 24;
const MAX_PIXELS: u64 = MAX_MEGAPIXELS * 1_000_000;

/// The most one decode may hold: a full-size image of `MAX_PIXELS` 8-bit RGB
/// pixels. With the resize buffers and the server itself, the process stays
/// under 150 MiB while it works (README, "Limits").
const DECODE_BUDGET: u64 = MAX_PIXELS * 3;

/// A decoded image, possibly already reduced, and how the camera held it.
pub struct Decoded {
    pub image: DynamicImage,
    pub orientation: Orientation,
}

/// Decodes `bytes`, at reduced size where the format allows it as long as
/// the longer side stays at least `at_least` pixels. Refuses, before
/// decoding, an image over the limits. A decoder that panics on a crafted
/// file makes it a damaged file, not a server error.
pub fn decode(bytes: &[u8], at_least: u32) -> Result<Decoded, UploadError> {
    catch_unwind(AssertUnwindSafe(|| {
        if image::guess_format(bytes).ok() == Some(ImageFormat::Jpeg)
            && let Some(decoded) = decode_jpeg(bytes, at_least)?
        {
            return Ok(decoded);
        }
        decode_any(bytes)
    }))
    .unwrap_or(Err(UploadError::Damaged))
}

/// A JPEG through `jpeg-decoder`, which can decode at reduced size; `None`
/// for the rare kinds it cannot reduce or convert (CMYK, 16-bit, lossless),
/// which `decode_any` then handles at full size.
fn decode_jpeg(bytes: &[u8], at_least: u32) -> Result<Option<Decoded>, UploadError> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(|_| UploadError::Damaged)?;
    let info = decoder.info().ok_or(UploadError::Damaged)?;
    let pixels = check_pixels(info.width.into(), info.height.into())?;
    let channels: u64 = match info.pixel_format {
        PixelFormat::L8 => 1,
        PixelFormat::RGB24 => 3,
        _ => return Ok(None),
    };
    match info.coding_process {
        CodingProcess::DctSequential => {}
        // Until its last scan, a progressive JPEG keeps every coefficient of
        // the full-size image: 2 bytes per sample (fewer when the colour is
        // subsampled, which the header read so far does not tell).
        CodingProcess::DctProgressive if 2 * channels * pixels > DECODE_BUDGET => {
            return Err(UploadError::TooMuchMemory);
        }
        CodingProcess::DctProgressive => {}
        CodingProcess::Lossless => return Ok(None),
    }
    decoder.set_max_decoding_buffer_size(usize::try_from(DECODE_BUDGET).unwrap_or(usize::MAX));
    let side = u16::try_from(at_least).unwrap_or(u16::MAX);
    let (width, height) = decoder
        .scale(side, side)
        .map_err(|_| UploadError::Damaged)?;
    let data = decoder.decode().map_err(|_| UploadError::Damaged)?;
    let (width, height) = (u32::from(width), u32::from(height));
    let image = match channels {
        1 => GrayImage::from_raw(width, height, data).map(DynamicImage::ImageLuma8),
        _ => RgbImage::from_raw(width, height, data).map(DynamicImage::ImageRgb8),
    }
    .ok_or(UploadError::Damaged)?;
    let orientation = decoder
        .exif_data()
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);
    Ok(Some(Decoded { image, orientation }))
}

/// PNG, WebP and the JPEGs `decode_jpeg` leaves: at full size, after the
/// header has shown that it fits.
fn decode_any(bytes: &[u8]) -> Result<Decoded, UploadError> {
    let mut decoder = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| UploadError::Damaged)?
        .into_decoder()
        .map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height)?;
    if decoder.total_bytes() > DECODE_BUDGET {
        return Err(UploadError::TooMuchMemory);
    }
    // Also binds what the decoder allocates for itself (PNG's buffers).
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(DECODE_BUDGET);
    decoder.set_limits(limits).map_err(decode_error)?;
    let orientation = decoder.orientation().map_err(decode_error)?;
    let image = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    Ok(Decoded { image, orientation })
}

/// The number of pixels, when it is within `MAX_PIXELS`.
fn check_pixels(width: u32, height: u32) -> Result<u64, UploadError> {
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(UploadError::TooManyPixels);
    }
    Ok(pixels)
}

fn decode_error(e: image::ImageError) -> UploadError {
    match e {
        image::ImageError::Limits(_) => UploadError::TooMuchMemory,
        _ => UploadError::Damaged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    /// A 1 × 1 PNG whose header claims `w` × `h` pixels of `bit_depth` and
    /// `color_type`: tiny on the wire, huge once decoded.
    fn png_bomb(w: u32, h: u32, bit_depth: u8, color_type: u8) -> Vec<u8> {
        let mut png = encoded(&DynamicImage::new_rgb8(1, 1), ImageFormat::Png);
        // IHDR data starts at 16: width, height, bit depth, colour type.
        png[16..20].copy_from_slice(&w.to_be_bytes());
        png[20..24].copy_from_slice(&h.to_be_bytes());
        (png[24], png[25]) = (bit_depth, color_type);
        let mut crc = flate2::Crc::new();
        crc.update(&png[12..29]);
        png[29..33].copy_from_slice(&crc.sum().to_be_bytes());
        png
    }

    #[test]
    fn jpegs_are_decoded_at_the_smallest_size_that_covers_the_large_version() {
        let photo = encoded(&DynamicImage::new_rgb8(4000, 3000), ImageFormat::Jpeg);
        let d = decode(&photo, 1600).unwrap();
        assert_eq!((d.image.width(), d.image.height()), (2000, 1500));
        let small = encoded(&DynamicImage::new_rgb8(1200, 900), ImageFormat::Jpeg);
        let d = decode(&small, 1600).unwrap();
        assert_eq!((d.image.width(), d.image.height()), (1200, 900));
    }

    #[test]
    fn images_over_the_pixel_limit_are_refused_before_decoding() {
        let bomb = png_bomb(8000, 8000, 8, 2);
        assert!(bomb.len() < 100);
        assert!(matches!(
            decode(&bomb, 1600),
            Err(UploadError::TooManyPixels)
        ));
        assert!(
            UploadError::TooManyPixels
                .to_string()
                .contains("24 megapixels")
        );
        // 9000 × 10 is long but small: pixels count, not sides.
        let strip = encoded(&DynamicImage::new_rgb8(9000, 10), ImageFormat::Png);
        assert!(decode(&strip, 1600).is_ok());
    }

    #[test]
    fn images_that_would_decode_over_the_budget_are_refused() {
        // 16 MP is within the pixel limit, but 16-bit RGBA makes it 128 MB.
        let deep = png_bomb(4000, 4000, 16, 6);
        assert!(matches!(
            decode(&deep, 1600),
            Err(UploadError::TooMuchMemory)
        ));
        // A progressive JPEG holds 2 bytes per sample of the full image.
        let mut progressive = encoded(&DynamicImage::new_rgb8(8, 8), ImageFormat::Jpeg);
        let sof = progressive
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .unwrap();
        progressive[sof + 1] = 0xC2;
        // SOF: marker, length (2), precision (1), height (2), width (2).
        progressive[sof + 5..sof + 7].copy_from_slice(&4000u16.to_be_bytes());
        progressive[sof + 7..sof + 9].copy_from_slice(&4000u16.to_be_bytes());
        assert!(matches!(
            decode(&progressive, 1600),
            Err(UploadError::TooMuchMemory)
        ));
    }
}
