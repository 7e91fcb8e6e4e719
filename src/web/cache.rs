//! Rendered public catalogue responses (`/vehicles`, a vehicle's page, the
//! JSON lists) kept in memory, already compressed, until stock changes.
//!
//! Visitors ask for the same few pages over and over while the stock changes
//! a few times a day, so a cheap box serves most requests by copying bytes:
//! no query, no template, no compression per hit. Every vehicle change bumps
//! the generation, which retires all entries at once. Each entry carries a
//! strong ETag, so revisits and a CDN in front get 304s.

use std::{
    collections::HashMap,
    io::Write,
    sync::{
        Arc, RwLock,
        atomic::{AtomicU64, Ordering},
    },
};

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

use crate::error::AppResult;

/// Entries kept before the cache starts over; bounds memory when crawlers
/// walk every combination of filters.
const MAX_ENTRIES: usize = 512;
/// Browsers and proxies may reuse a page this long without asking.
pub const PUBLIC_CACHE_CONTROL: &str = "public, max-age=60";

/// One cached response in each encoding a browser may ask for.
pub struct Cached {
    generation: u64,
    etag: HeaderValue,
    content_type: HeaderValue,
    identity: Bytes,
    gzip: Bytes,
    brotli: Bytes,
}

#[derive(Default)]
pub struct PageCache {
    generation: AtomicU64,
    entries: RwLock<HashMap<String, Arc<Cached>>>,
}

/// The generation a render started in: stale renders are never stored.
#[derive(Clone, Copy)]
struct Generation(u64);

impl PageCache {
    /// The response for `key`: from the cache, or rendered by `render`,
    /// stored and sent. 304 when the client already has this version.
    pub async fn serve(
        &self,
        key: String,
        request: &HeaderMap,
        content_type: &'static str,
        render: impl Future<Output = AppResult<Vec<u8>>>,
    ) -> AppResult<Response> {
        if let Some(hit) = self.get(&key) {
            return Ok(hit.respond(request));
        }
        // Taken before rendering starts (`render` is lazy), so a change
        // during the render keeps the result out of the cache.
        let started = self.generation();
        let body = render.await?;
        Ok(self
            .insert(key, started, content_type, body)
            .respond(request))
    }

    fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::Acquire))
    }

    fn get(&self, key: &str) -> Option<Arc<Cached>> {
        let entries = self.entries.read().ok()?;
        let hit = entries.get(key)?;
        (hit.generation == self.generation.load(Ordering::Acquire)).then(|| hit.clone())
    }

    /// Compresses and stores a freshly rendered body (unless the stock
    /// changed while it was being rendered) and returns the entry to send.
    fn insert(
        &self,
        key: String,
        started: Generation,
        content_type: &'static str,
        body: Vec<u8>,
    ) -> Arc<Cached> {
        let entry = Arc::new(Cached::new(started.0, content_type, body));
        if started.0 == self.generation.load(Ordering::Acquire)
            && let Ok(mut entries) = self.entries.write()
        {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(key, entry.clone());
        }
        entry
    }

    /// Retires every entry: call after any change to what public pages show.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }
}

impl Cached {
    fn new(generation: u64, content_type: &'static str, body: Vec<u8>) -> Cached {
        let digest = Sha256::digest(&body);
        let etag = format!("\"{}\"", hex::encode(&digest[..12]));
        Cached {
            generation,
            etag: HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\"")),
            content_type: HeaderValue::from_static(content_type),
            gzip: gzip(&body).into(),
            brotli: brotli(&body).into(),
            identity: body.into(),
        }
    }

    /// 304 when the client already has this version, else the body in the
    /// best encoding it accepts.
    pub fn respond(&self, request: &HeaderMap) -> Response {
        let mut headers = HeaderMap::new();
        headers.insert(header::ETAG, self.etag.clone());
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(PUBLIC_CACHE_CONTROL),
        );
        headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        if request
            .get(header::IF_NONE_MATCH)
            .is_some_and(|v| etag_matches(v.as_bytes(), self.etag.as_bytes()))
        {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(header::CONTENT_TYPE, self.content_type.clone());
        let body = match accepted(request) {
            Encoding::Brotli => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("br"));
                self.brotli.clone()
            }
            Encoding::Gzip => {
                headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                self.gzip.clone()
            }
            Encoding::Identity => self.identity.clone(),
        };
        (headers, Body::from(body)).into_response()
    }
}

/// `If-None-Match` may list several tags, weak ones, or `*`.
fn etag_matches(header: &[u8], etag: &[u8]) -> bool {
    header.split(|b| *b == b',').any(|t| {
        let t = t.trim_ascii();
        t == b"*" || t.strip_prefix(b"W/").unwrap_or(t) == etag
    })
}

enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

fn accepted(request: &HeaderMap) -> Encoding {
    let Some(accept) = request
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return Encoding::Identity;
    };
    let wants = |name: &str| {
        accept.split(',').any(|part| {
            let token = part.split(';').next().unwrap_or("").trim();
            token.eq_ignore_ascii_case(name) && !refused(part)
        })
    };
    if wants("br") {
        Encoding::Brotli
    } else if wants("gzip") {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// `q=0` (or `q=0.0…`) means "not this one".
fn refused(part: &str) -> bool {
    part.split(';').skip(1).any(|p| {
        p.trim()
            .strip_prefix("q=")
            .and_then(|q| q.trim().parse::<f32>().ok())
            .is_some_and(|q| q <= 0.0)
    })
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(body);
    enc.finish().unwrap_or_default()
}

fn brotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 9,
        ..Default::default()
    };
    let _ = brotli::BrotliCompress(&mut &body[..], &mut out, &params);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (k.clone(), HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn stale_renders_are_not_stored() {
        let cache = PageCache::default();
        let started = cache.generation();
        cache.invalidate();
        cache.insert("k".into(), started, "text/html", b"old".to_vec());
        assert!(cache.get("k").is_none());
        cache.insert("k".into(), cache.generation(), "text/html", b"new".to_vec());
        assert!(cache.get("k").is_some());
        cache.invalidate();
        assert!(cache.get("k").is_none());
    }

    #[test]
    fn picks_the_encoding_and_answers_revalidation() {
        let cache = PageCache::default();
        let body = "<p>hello</p>".repeat(100).into_bytes();
        let entry = cache.insert("k".into(), cache.generation(), "text/html", body);
        let res = entry.respond(&request(&[(header::ACCEPT_ENCODING, "gzip, deflate, br")]));
        assert_eq!(res.headers()[header::CONTENT_ENCODING], "br");
        let res = entry.respond(&request(&[(header::ACCEPT_ENCODING, "br;q=0, gzip")]));
        assert_eq!(res.headers()[header::CONTENT_ENCODING], "gzip");
        let res = entry.respond(&HeaderMap::new());
        assert!(res.headers().get(header::CONTENT_ENCODING).is_none());
        let etag = res.headers()[header::ETAG].to_str().unwrap().to_owned();
        let mut again = HeaderMap::new();
        again.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_str(&format!("W/{etag}")).unwrap(),
        );
        assert_eq!(entry.respond(&again).status(), StatusCode::NOT_MODIFIED);
    }
}
