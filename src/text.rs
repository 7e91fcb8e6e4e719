//! Text as people type it, normalised at the edge.
//!
//! Every free-text field (names, messages, notes, listing text) goes through
//! `clean` when it is parsed: Unicode NFC (so "é" typed two ways is stored
//! one way and searches find it), trimmed, and refused with a field error
//! when it holds control characters (NUL, escape, …; newlines and tabs only
//! in multi-line fields) or bidirectional controls such as U+202E, which can
//! make a name or a message read differently from what it is.

use std::borrow::Cow;

use icu_normalizer::ComposingNormalizerBorrowed;

use crate::error::FieldErrors;

/// Whether a field may span lines (a message) or not (a name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    One,
    Many,
}

/// The text of a field, NFC-normalised and trimmed; `Err` says why it is
/// refused.
pub fn clean(raw: &str, lines: Lines) -> Result<String, &'static str> {
    let text = ComposingNormalizerBorrowed::new_nfc().normalize(raw.trim());
    for c in text.chars() {
        if is_bidi_control(c) {
            return Err("Remove the invisible text-direction characters.");
        }
        let allowed_whitespace = match lines {
            Lines::One => c == ' ',
            Lines::Many => matches!(c, ' ' | '\n' | '\r' | '\t'),
        };
        if c.is_control() && !allowed_whitespace {
            return Err(match lines {
                Lines::One => "Use letters, digits and punctuation on one line.",
                Lines::Many => "Remove the control characters.",
            });
        }
    }
    Ok(match text {
        // Line breaks as a browser sends them (CRLF) are stored as LF.
        Cow::Borrowed(s) if !s.contains('\r') => s.to_owned(),
        other => other.replace("\r\n", "\n"),
    })
}

/// `clean` for a form or JSON field of at most `max` characters: the
/// cleaned text, or `""` with the reason recorded against `field`.
pub fn field(errors: &mut FieldErrors, field: &str, raw: &str, lines: Lines, max: usize) -> String {
    match clean(raw, lines) {
        Ok(text) if text.chars().count() <= max => text,
        Ok(_) => {
            errors.add(field, format!("Use at most {max} characters."));
            String::new()
        }
        Err(why) => {
            errors.add(field, why);
            String::new()
        }
    }
}

/// A person's name: one line of 1–100 characters. `missing` is what the
/// form says when it is empty.
pub fn name(errors: &mut FieldErrors, field_name: &str, raw: &str, missing: &str) -> String {
    let name = field(errors, field_name, raw, Lines::One, 100);
    if name.is_empty() {
        errors.add(field_name, missing);
    }
    name
}

/// Embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and
/// the marks that steer them (U+200E, U+200F, U+061C).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_nfc_and_trimmed() {
        // "e" + combining acute becomes the one character "é".
        assert_eq!(
            clean("  Chikondi Be\u{301}nda ", Lines::One).unwrap(),
            "Chikondi Bénda"
        );
        assert_eq!(
            clean("Line one\r\nLine two", Lines::Many).unwrap(),
            "Line one\nLine two"
        );
        assert_eq!(clean("Zikomo 🙏", Lines::One).unwrap(), "Zikomo 🙏");
    }

    #[test]
    fn control_and_bidi_characters_are_refused() {
        for bad in [
            "Bad\u{0}name",
            "esc\u{1b}[31m",
            "two\nlines",
            "tab\there",
            "evil\u{202E}txt.exe",
            "\u{2066}x",
        ] {
            assert!(clean(bad, Lines::One).is_err(), "{bad:?}");
        }
        assert!(clean("a\nb\tc", Lines::Many).is_ok());
        assert!(clean("nul\u{0}", Lines::Many).is_err());
        assert!(clean("rlo\u{202E}", Lines::Many).is_err());
    }
}
