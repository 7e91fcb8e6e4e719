//! Embedded static assets (CSS, JS, icons) under content-hashed URLs.
//!
//! `/assets/app.1a2b3c4d5e.css` names one exact version of a file, so it can be
//! cached for a year (`immutable`); a new build with changed CSS gets a new URL.

use std::{borrow::Cow, collections::HashMap, sync::LazyLock};

use axum::{
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use rust_embed::RustEmbed;

use crate::{error::AppError, web::extract::Path};

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Embedded;

struct Asset {
    data: Cow<'static, [u8]>,
    mime: String,
    etag: String,
}

struct Manifest {
    /// Hashed file name → asset.
    by_hashed: HashMap<String, Asset>,
    /// Plain file name → hashed file name.
    hashed_of: HashMap<String, String>,
}

static MANIFEST: LazyLock<Manifest> = LazyLock::new(|| {
    let mut by_hashed = HashMap::new();
    let mut hashed_of = HashMap::new();
    for name in Embedded::iter() {
        let Some(file) = Embedded::get(&name) else {
            continue;
        };
        let hash = hex::encode(&file.metadata.sha256_hash()[..5]);
        let hashed = match name.rsplit_once('.') {
            Some((stem, ext)) => format!("{stem}.{hash}.{ext}"),
            None => format!("{name}.{hash}"),
        };
        hashed_of.insert(name.to_string(), hashed.clone());
        by_hashed.insert(
            hashed,
            Asset {
                mime: file.metadata.mimetype().to_owned(),
                etag: format!("\"{hash}\""),
                data: file.data,
            },
        );
    }
    Manifest {
        by_hashed,
        hashed_of,
    }
});

/// The public URL of an embedded asset, e.g. `url("app.css")`.
///
/// An unknown name yields a URL that 404s rather than a panic; the page tests
/// catch such a typo.
pub fn url(name: &str) -> String {
    match MANIFEST.hashed_of.get(name) {
        Some(hashed) => format!("/assets/{hashed}"),
        None => format!("/assets/{name}"),
    }
}

/// `GET /assets/{file}`.
pub async fn serve(Path(file): Path<String>, headers: HeaderMap) -> Result<Response, AppError> {
    let asset = MANIFEST.by_hashed.get(&file).ok_or(AppError::NotFound)?;
    let etag = HeaderValue::from_str(&asset.etag).map_err(anyhow::Error::from)?;
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    if headers.get(header::IF_NONE_MATCH) == Some(&etag) {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    let mime = HeaderValue::from_str(&asset.mime).map_err(anyhow::Error::from)?;
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        asset.data.clone(),
    )
        .into_response())
}
