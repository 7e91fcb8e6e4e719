//! Staff identities: roles and the parsed forms of what staff type in.

use crate::error::FieldErrors;
use crate::roles::Role;

/// A syntactically plausible email address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, &'static str> {
        let s = raw.trim().to_lowercase();
        let valid = s.len() <= 254
            && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            && match s.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && !domain.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                }
                None => false,
            };
        if valid {
            Ok(Email(s))
        } else {
            Err("Enter an email address like name@example.com.")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Minimum password length for staff accounts (NIST SP 800-63B suggests ≥ 8;
/// staff accounts guard customer data, so a little more).
pub const MIN_PASSWORD_LEN: usize = 10;

/// A new password that meets the policy.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str) -> Result<NewPassword, String> {
        let len = raw.chars().count();
        if len < MIN_PASSWORD_LEN {
            return Err(format!("Use at least {MIN_PASSWORD_LEN} characters."));
        }
        if len > 256 {
            return Err("Use at most 256 characters.".into());
        }
        Ok(NewPassword(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A staff user to be created.
pub struct NewUser {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub password: NewPassword,
}

impl NewUser {
    /// Parses the fields of a "create user" form or command; errors name each bad field.
    pub fn parse(
        email: &str,
        name: &str,
        role: Role,
        password: &str,
    ) -> Result<NewUser, FieldErrors> {
        let mut errors = FieldErrors::new();
        let email = Email::parse(email).map_err(|e| errors.add("email", e)).ok();
        let name = crate::text::name(&mut errors, "name", name, "Enter a name.");
        let password = NewPassword::parse(password)
            .map_err(|e| errors.add("password", e))
            .ok();
        match (email, password) {
            (Some(email), Some(password)) if errors.is_empty() => Ok(NewUser {
                email,
                name,
                role,
                password,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Jane@Daytona.MW ").unwrap().as_str(),
            "jane@daytona.mw"
        );
        for bad in [
            "",
            "jane",
            "jane@",
            "@daytona.mw",
            "jane@daytona",
            "ja ne@x.mw",
            "a@b@c.mw",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn new_user_names_every_bad_field() {
        let errors = NewUser::parse("nope", " ", Role::Admin, "short")
            .err()
            .unwrap();
        assert!(errors.get("email").is_some());
        assert!(errors.get("name").is_some());
        assert!(errors.get("password").is_some());
        assert!(NewUser::parse("a@b.mw", "Jane", Role::Manager, "long enough pw").is_ok());
    }
}
