//! Where a redirect may send a browser: a path on this site, parsed at the
//! edge.
//!
//! Targets that come from a request (`back` on the staff forms, `next` on
//! sign-in) are parsed into a `LocalPath` when the form is read; anything
//! that is not a plain path on this site (another host, `//evil`, a
//! backslash, a CR/LF that would split the header) becomes "no target" and
//! the handler's default applies. Targets the code builds percent-encode
//! every value they carry. A `LocalPath` is therefore always a valid
//! `Location` header, so a redirect can never fail after its work is done.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Deserializer};

use super::layout::url_encode;

/// A path on this site with an optional query and fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPath(String);

impl LocalPath {
    /// A path built by the code (`/admin/vehicles/<id>`): kept as is when it
    /// is a plain local path, otherwise the home page.
    pub fn new(path: &str) -> LocalPath {
        LocalPath::parse(path).unwrap_or_else(|| LocalPath("/".into()))
    }

    /// `s` when it is a path on this site: it starts with exactly one `/`,
    /// and holds only visible ASCII, no backslash.
    pub fn parse(s: &str) -> Option<LocalPath> {
        let plain = s.starts_with('/')
            && !s.starts_with("//")
            && s.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
        plain.then(|| LocalPath(s.to_owned()))
    }

    /// `s` when it is a path on this site under `prefix` (`/admin`).
    pub fn under(s: &str, prefix: &str) -> Option<LocalPath> {
        LocalPath::parse(s).filter(|p| {
            let rest = &p.0[prefix.len().min(p.0.len())..];
            p.0.starts_with(prefix) && (rest.is_empty() || rest.starts_with(['/', '?', '#']))
        })
    }

    /// Sets the query parameter `key` to `value` (percent-encoded), replacing
    /// an earlier one; a fragment stays at the end.
    pub fn with(self, key: &str, value: &str) -> LocalPath {
        let (rest, fragment) = match self.0.split_once('#') {
            Some((r, f)) => (r.to_owned(), format!("#{f}")),
            None => (self.0, String::new()),
        };
        let (path, query) = rest.split_once('?').unwrap_or((&rest, ""));
        let prefix = format!("{key}=");
        let mut params: Vec<String> = query
            .split('&')
            .filter(|p| !p.is_empty() && !p.starts_with(&prefix))
            .map(str::to_owned)
            .collect();
        params.push(format!("{key}={}", url_encode(value)));
        LocalPath(format!("{path}?{}{fragment}", params.join("&")))
    }

    /// Adds `#fragment` (only URL-safe characters are kept).
    pub fn fragment(self, fragment: &str) -> LocalPath {
        let clean: String = fragment
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            .collect();
        let base = self.0.split('#').next().unwrap_or("/").to_owned();
        LocalPath(format!("{base}#{clean}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Deserialises a form field leniently: anything that is not a local
    /// path is `None`, never a rejected form.
    pub fn lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<LocalPath>, D::Error> {
        let raw = Option::<String>::deserialize(d)?;
        Ok(raw.as_deref().and_then(LocalPath::parse))
    }
}

impl IntoResponse for LocalPath {
    /// 303 See Other: after a form, the browser GETs the target.
    fn into_response(self) -> Response {
        // Parsing admitted only visible ASCII, so this cannot fail.
        let location = HeaderValue::try_from(self.0).unwrap_or(HeaderValue::from_static("/"));
        (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_local_paths_parse() {
        for ok in [
            "/",
            "/admin/bookings?status=confirmed&page=2",
            "/vehicles/x#inquiry",
        ] {
            assert!(LocalPath::parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "",
            "admin",
            "//evil.example/x",
            "/\\evil.example",
            "https://evil.example/",
            "/admin\r\nSet-Cookie: x=1",
            "/admin\nx",
            "/admin bookings",
            "/admin/é",
        ] {
            assert!(LocalPath::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn under_a_prefix_means_under_it() {
        assert!(LocalPath::under("/admin", "/admin").is_some());
        assert!(LocalPath::under("/admin/leads?x=1", "/admin").is_some());
        assert!(LocalPath::under("/administrator", "/admin").is_none());
        assert!(LocalPath::under("/vehicles", "/admin").is_none());
    }

    #[test]
    fn a_parameter_is_replaced_and_encoded_and_the_fragment_kept() {
        let p =
            LocalPath::new("/admin/bookings?msg=old&page=2#row").with("msg", "saved & done\r\n");
        assert_eq!(
            p.as_str(),
            "/admin/bookings?page=2&msg=saved%20%26%20done%0D%0A#row"
        );
        assert_eq!(LocalPath::new("/x\ny").as_str(), "/");
        assert_eq!(
            LocalPath::new("/v/1").fragment("inquiry\r\n").as_str(),
            "/v/1#inquiry"
        );
    }
}
