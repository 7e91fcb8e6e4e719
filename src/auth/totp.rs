//! Optional two-factor sign-in: TOTP codes (RFC 6238, via `totp-rs`) from an
//! authenticator app, enrolled by scanning a QR code rendered here as inline
//! SVG (no external service), plus one-time recovery codes.

use anyhow::Context;
use sha2::{Digest, Sha256};
use totp_rs::{Builder, Secret, Totp};

/// A new random secret, base32 as authenticator apps show it.
pub fn new_secret() -> String {
    Secret::generate().to_base32()
}

fn totp(secret: &str, account: &str, issuer: &str) -> anyhow::Result<Totp> {
    let secret = Secret::try_from_base32(secret).context("stored TOTP secret is not base32")?;
    Builder::new()
        .with_secret(secret)
        .with_account_name(account)
        .with_issuer(Some(issuer))
        .build()
        .context("invalid TOTP parameters")
}

/// The `otpauth://` URL an authenticator app reads from the QR code.
pub fn otpauth_url(secret: &str, account: &str, issuer: &str) -> anyhow::Result<String> {
    Ok(totp(secret, account, issuer)?.to_url()?)
}

/// The URL as an inline SVG QR code.
pub fn qr_svg(url: &str) -> anyhow::Result<String> {
    let code = qrcode::QrCode::new(url.as_bytes())?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    // Drop the XML declaration: the SVG sits inside our HTML.
    Ok(svg.find("<svg").map(|i| svg[i..].to_owned()).unwrap_or(svg))
}

/// The time step `code` is valid for at `unix_secs` (±1 step), if it is
/// valid and newer than `last_step`: a code works once.
pub fn verify(secret: &str, code: &str, unix_secs: u64, last_step: Option<i64>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let step = totp(secret, "x", "x").ok()?.check(&code, unix_secs)?;
    let step = i64::try_from(step).ok()?;
    (last_step.is_none_or(|last| step > last)).then_some(step)
}

/// The current code (for tests and the enrolment check).
pub fn code_at(secret: &str, unix_secs: u64) -> anyhow::Result<String> {
    Ok(totp(secret, "x", "x")?.generate(unix_secs).to_string())
}

/// Ten one-time recovery codes like `k7f3m-q9x2p`.
pub fn recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..10)
        .map(|_| {
            let chars: String = (0..10)
                .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &chars[..5], &chars[5..])
        })
        .collect()
}

/// Recovery codes are stored hashed, compared without case or dashes.
pub fn recovery_hash(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_works_once_and_only_near_its_time() {
        let secret = new_secret();
        let t = 1_800_000_000;
        let code = code_at(&secret, t).unwrap();
        let step = verify(&secret, &code, t, None).unwrap();
        assert_eq!(
            verify(&secret, &code, t + 20, Some(step)),
            None,
            "replay refused"
        );
        assert!(verify(&secret, &code, t + 600, None).is_none(), "too old");
        assert!(verify(&secret, "000000x", t, None).is_none());
    }

    #[test]
    fn qr_is_inline_svg_and_url_names_the_account() {
        let url = otpauth_url(&new_secret(), "owner@daytona.mw", "Daytona Malawi").unwrap();
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        let svg = qr_svg(&url).unwrap();
        assert!(svg.starts_with("<svg"));
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_loosely() {
        let codes = recovery_codes();
        assert_eq!(codes.len(), 10);
        assert_eq!(
            recovery_hash(&codes[0]),
            recovery_hash(&codes[0].to_uppercase().replace('-', " "))
        );
        assert_ne!(recovery_hash(&codes[0]), recovery_hash(&codes[1]));
    }
}
