//! Parsed inputs and the caller's identity. Raw strings become these types at the edge of
//! the service layer; past it, a `Username` is known to be valid.

use caseless::default_case_fold_str;
use unicode_normalization::UnicodeNormalization;

use super::error::FieldErrors;

/// Longest username, as in Django.
pub const USERNAME_MAX: usize = 150;
/// Longest email address (RFC 5321 path limit).
pub const EMAIL_MAX: usize = 254;
/// Longest first name, last name or codename.
pub const NAME_MAX: usize = 150;
/// Longest group name.
pub const GROUP_NAME_MAX: usize = 150;

/// The comparison key of an identifier: NFKC, then Unicode case folding, then NFKC again,
/// so that look-alikes ("ＡＬＩＣＥ", "Alice", "alice") share one key.
pub fn identifier_key(value: &str) -> String {
    let normalized: String = value.nfkc().collect();
    default_case_fold_str(&normalized).nfkc().collect()
}

fn char_count(value: &str) -> usize {
    value.chars().count()
}

fn has_control(value: &str) -> bool {
    value.chars().any(char::is_control)
}

/// Checks a free-text field (names, codename): length and no control characters.
pub fn parse_text(value: &str, max: usize) -> Result<String, String> {
    if value.contains('\0') {
        return Err("Null characters are not allowed.".into());
    }
    if has_control(value) {
        return Err("Control characters are not allowed.".into());
    }
    let value: String = value.trim().nfc().collect();
    if char_count(&value) > max {
        return Err(format!(
            "Ensure this field has no more than {max} characters."
        ));
    }
    Ok(value)
}

/// A valid username with its comparison key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username {
    /// Display form (NFKC).
    pub display: String,
    /// Comparison key, unique across users.
    pub key: String,
}

impl Username {
    /// Letters, digits, `@ . + - _` and inner spaces (one legacy API allows "John Smith"),
    /// 1 to 150 characters. Runs of whitespace become one space.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.contains('\0') {
            return Err("Null characters are not allowed.".into());
        }
        let normalized: String = raw.nfkc().collect();
        let display = normalized.split_whitespace().collect::<Vec<_>>().join(" ");
        if display.is_empty() {
            return Err("This field may not be blank.".into());
        }
        if char_count(&display) > USERNAME_MAX {
            return Err(format!(
                "Ensure this field has no more than {USERNAME_MAX} characters."
            ));
        }
        if !display
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '@' | '.' | '+' | '-' | '_' | ' '))
        {
            return Err("Enter a valid username. This value may contain only letters, numbers, spaces, and @/./+/-/_ characters.".into());
        }
        let key = identifier_key(&display);
        Ok(Self { display, key })
    }
}

/// A syntactically valid email address with its comparison key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// As given (trimmed, NFC).
    pub display: String,
    /// Comparison key, unique across users.
    pub key: String,
}

impl Email {
    /// A pragmatic check: one `@`, a non-empty local part, a dotted domain, no spaces or
    /// control characters, at most 254 characters.
    pub fn parse(raw: &str) -> Result<Self, String> {
        const INVALID: &str = "Enter a valid email address.";
        if raw.contains('\0') {
            return Err("Null characters are not allowed.".into());
        }
        let display: String = raw.trim().nfc().collect();
        if display.is_empty() {
            return Err("This field may not be blank.".into());
        }
        if char_count(&display) > EMAIL_MAX {
            return Err(format!(
                "Ensure this field has no more than {EMAIL_MAX} characters."
            ));
        }
        let Some((local, domain)) = display.rsplit_once('@') else {
            return Err(INVALID.into());
        };
        let domain_ok = !domain.is_empty()
            && domain.contains('.')
            && domain
                .split('.')
                .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'))
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && char_count(local) <= 64
            && !local.contains('@')
            && !local.chars().any(|c| c.is_whitespace() || c.is_control());
        if !(domain_ok && local_ok) {
            return Err(INVALID.into());
        }
        let key = identifier_key(&display);
        Ok(Self { display, key })
    }
}

/// First and last name from `fullName`: split at the first space.
pub fn split_full_name(full_name: &str) -> (String, String) {
    match full_name.trim().split_once(' ') {
        Some((first, last)) => (first.to_owned(), last.trim().to_owned()),
        None => (full_name.trim().to_owned(), String::new()),
    }
}

/// `first last`, without a dangling space when one is empty.
pub fn join_full_name(first: &str, last: &str) -> String {
    match (first.is_empty(), last.is_empty()) {
        (false, false) => format!("{first} {last}"),
        (false, true) => first.to_owned(),
        (true, _) => last.to_owned(),
    }
}

/// A change to an optional field: leave it, clear it, or set it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// Not mentioned: unchanged.
    #[default]
    Keep,
    /// Explicitly null: cleared.
    Clear,
    /// A new value.
    Set(T),
}

impl<T> Patch<T> {
    /// `Keep` for `None`, `Set` for `Some`.
    pub fn from_option(value: Option<T>) -> Self {
        value.map_or(Self::Keep, Self::Set)
    }
}

/// Names as given in a request: separate parts and/or a full name.
#[derive(Debug, Clone, Default)]
pub struct NameInput {
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Full name, split at the first space.
    pub full_name: Option<String>,
}

impl NameInput {
    /// The (first, last) names to store, each `None` when not given; reports conflicts
    /// (fullName together with firstName or lastName) and invalid values into `errors`.
    pub fn resolve(&self, errors: &mut FieldErrors) -> (Option<String>, Option<String>) {
        let mut check = |field: &str, value: &Option<String>| -> Option<String> {
            let value = value.as_deref()?;
            match parse_text(value, NAME_MAX) {
                Ok(value) => Some(value),
                Err(message) => {
                    errors.add(field, message);
                    None
                }
            }
        };
        let first = check("first_name", &self.first_name);
        let last = check("last_name", &self.last_name);
        let full = check("full_name", &self.full_name.clone());
        match full {
            Some(full) => {
                if self.first_name.is_some() || self.last_name.is_some() {
                    errors.add(
                        "full_name",
                        "Give either a full name or first and last names, not both.",
                    );
                    return (None, None);
                }
                let (first, last) = split_full_name(&full);
                (Some(first), Some(last))
            }
            None => (first, last),
        }
    }
}

/// Parses an object id (GraphQL `ID`, REST path segment) for `field`.
pub fn parse_id(field: &str, raw: &str) -> Result<i64, super::error::ServiceError> {
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            super::error::ServiceError::field(field, format!("\"{raw}\" is not a valid id."))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alike_usernames_share_one_key() {
        let keys: Vec<String> = ["Alice", "alice", "ＡＬＩＣＥ", "ALICE"]
            .iter()
            .map(|u| Username::parse(u).unwrap().key)
            .collect();
        assert!(keys.iter().all(|k| k == "alice"), "{keys:?}");
        assert_eq!(identifier_key("Straße"), identifier_key("STRASSE"));
    }

    #[test]
    fn usernames_with_spaces_or_symbols_are_refused() {
        for bad in ["", "  ", "a/b", "a\tb\nc<", "x\0y", &"a".repeat(151)] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Username::parse("  John \t Smith ").unwrap().display,
            "John Smith"
        );
        assert!(Username::parse("jean-luc.picard+1@enterprise_d").is_ok());
    }

    #[test]
    fn email_addresses_are_checked_and_keyed_case_insensitively() {
        let a = Email::parse("Bird@Quahog.com").unwrap();
        let b = Email::parse("bird@quahog.COM").unwrap();
        assert_eq!(a.key, b.key);
        assert_eq!(a.display, "Bird@Quahog.com");
        for bad in [
            "",
            "plain",
            "@x.com",
            "a@",
            "a@b",
            "a b@c.com",
            "a@b..com",
            "a@-b.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_full_name_splits_at_the_first_space() {
        assert_eq!(
            split_full_name("Peter Griffin Jr"),
            ("Peter".to_owned(), "Griffin Jr".to_owned())
        );
        assert_eq!(split_full_name("Cher"), ("Cher".to_owned(), String::new()));
        assert_eq!(join_full_name("Peter", "Griffin Jr"), "Peter Griffin Jr");
        assert_eq!(join_full_name("Cher", ""), "Cher");
    }

    #[test]
    fn a_full_name_together_with_a_first_name_is_a_conflict() {
        let mut errors = FieldErrors::new();
        let input = NameInput {
            first_name: Some("A".into()),
            full_name: Some("A B".into()),
            ..Default::default()
        };
        input.resolve(&mut errors);
        assert!(errors.get("full_name").is_some());
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn parsing_never_panics_and_accepted_values_are_bounded(raw in "\\PC{0,300}") {
            if let Ok(username) = Username::parse(&raw) {
                prop_assert!(username.display.chars().count() <= USERNAME_MAX);
                prop_assert!(!username.display.contains('\0'));
                prop_assert_eq!(identifier_key(&username.display), username.key);
            }
            if let Ok(email) = Email::parse(&raw) {
                prop_assert!(email.display.chars().count() <= EMAIL_MAX);
                prop_assert!(email.display.contains('@'));
            }
            if let Ok(text) = parse_text(&raw, NAME_MAX) {
                prop_assert!(!text.chars().any(char::is_control));
            }
        }

        #[test]
        fn the_identifier_key_is_idempotent(raw in "\\PC{0,60}") {
            let key = identifier_key(&raw);
            prop_assert_eq!(identifier_key(&key), key);
        }

        #[test]
        fn case_never_makes_two_usernames_distinct(raw in "[a-zA-Z0-9_.@+-]{1,40}") {
            let lower = Username::parse(&raw.to_lowercase()).map(|u| u.key);
            let upper = Username::parse(&raw.to_uppercase()).map(|u| u.key);
            prop_assert_eq!(lower, upper);
        }

        #[test]
        fn a_full_name_splits_and_joins_back(
            first in "[A-Za-z]{1,10}",
            last in "([A-Za-z]{1,10}( [A-Za-z]{1,10})?)?",
        ) {
            let (f, l) = split_full_name(&join_full_name(&first, &last));
            prop_assert_eq!((f, l), (first, last));
        }
    }
}
