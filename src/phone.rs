//! Phone numbers: Malawi numbers in local or international form and any
//! other country's E.164 number, normalised to E.164 (`+265991234567`).
//! Validation uses libphonenumber's metadata (the `phonenumber` crate), not
//! hand-written rules, so new number ranges arrive with crate updates.

use std::fmt;

use phonenumber::{Mode, country};

/// A valid phone number in E.164 form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

pub const INVALID: &str = "Enter a phone number like 0991 234 567 or +265 991 234 567.";

impl Phone {
    pub fn parse(raw: &str) -> Result<Phone, &'static str> {
        let trimmed = raw.trim();
        // Letters would be read as a keypad "vanity" number; nobody types those here.
        let allowed = |c: char| c.is_ascii_digit() || " +-.()".contains(c);
        if trimmed.is_empty() || trimmed.len() > 32 || !trimmed.chars().all(allowed) {
            return Err(INVALID);
        }
        if let Some(phone) = parse_in(country::Id::MW, trimmed) {
            return Ok(phone);
        }
        // "265991234567" or "0027…": international digits without the plus.
        let digits: String = trimmed.chars().filter(|c| !" -.()".contains(*c)).collect();
        let international = digits
            .strip_prefix("00")
            .or_else(|| (!digits.starts_with('0')).then_some(digits.as_str()));
        match international {
            Some(rest) if rest.chars().all(|c| c.is_ascii_digit()) => {
                parse_in(country::Id::MW, &format!("+{rest}")).ok_or(INVALID)
            }
            _ => Err(INVALID),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn parse_in(region: country::Id, raw: &str) -> Option<Phone> {
    let number = phonenumber::parse(Some(region), raw).ok()?;
    phonenumber::is_valid(&number).then(|| Phone(number.format().mode(Mode::E164).to_string()))
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn malawi_numbers_in_every_common_form() {
        for raw in [
            "0991234567",
            "099 123 4567",
            "0991 234 567",
            "+265 99 123 4567",
            "+265991234567",
            "265991234567",
            "00265991234567",
            " (099) 123-4567 ",
        ] {
            assert_eq!(
                Phone::parse(raw).unwrap().as_str(),
                "+265991234567",
                "{raw}"
            );
        }
        assert_eq!(
            Phone::parse("0888 123 456").unwrap().as_str(),
            "+265888123456"
        );
    }

    #[test]
    fn other_countries_in_e164() {
        assert_eq!(
            Phone::parse("+27 82 123 4567").unwrap().as_str(),
            "+27821234567"
        );
        assert_eq!(
            Phone::parse("+44 7911 123456").unwrap().as_str(),
            "+447911123456"
        );
        assert_eq!(
            Phone::parse("+260 97 1234567").unwrap().as_str(),
            "+260971234567"
        );
    }

    #[test]
    fn rubbish_is_refused() {
        for raw in [
            "",
            "12",
            "hello",
            "0991",
            "+265 12",
            "099123456789999",
            "+999 123",
            "09912345ab",
        ] {
            assert!(Phone::parse(raw).is_err(), "{raw}");
        }
    }

    proptest! {
        #[test]
        fn every_malawi_mobile_form_normalises_to_the_same_e164(
            prefix in prop::sample::select(vec!["99", "88"]),
            rest in "[0-9]{7}",
        ) {
            let national = format!("0{prefix}{rest}");
            let e164 = format!("+265{prefix}{rest}");
            let spaced = format!("0{prefix} {} {}", &rest[..3], &rest[3..]);
            for raw in [national.clone(), spaced, e164.clone(), e164[1..].to_owned()] {
                prop_assert_eq!(Phone::parse(&raw).map(|p| p.0), Ok(e164.clone()));
            }
        }

        #[test]
        fn parse_never_panics(raw in ".{0,40}") {
            let _ = Phone::parse(&raw);
        }
    }
}
