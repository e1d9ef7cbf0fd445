//! The password rules every new password must pass before it is hashed.
//!
//! They port Django 5.1's default `AUTH_PASSWORD_VALIDATORS`
//! (`django/contrib/auth/password_validation.py`) in Django's order and wording, so users
//! migrated from the Django service meet the rules and messages they already know. The one rule
//! Django lacks is the maximum length.
//!
//! The rules compare the NFKC form of the password (and of the user's attributes), so that
//! `ｐａｓｓｗｏｒｄ` is as common as `password`. That form is never what gets hashed, and lengths
//! are counted on the password as typed, as Django counts them.
//!
//! `common-passwords.txt` is Django 5.1.15's `django/contrib/auth/common-passwords.txt.gz`, gunzipped (BSD-3-Clause, © Django Software Foundation).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Django's default `max_similarity`: a quick ratio at or above it is too similar.
const MAX_SIMILARITY: f64 = 0.7;

/// Django's list: lowercase, one password a line, already in NFKC form.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common-passwords.txt")
        .lines()
        .map(str::trim)
        // A stray blank line must not make the empty password "common".
        .filter(|line| !line.is_empty())
        .collect()
});

/// The password rules applied to every new password.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    /// Fewest characters (Unicode scalar values) a password may have.
    pub min_length: usize,
    /// Most characters (Unicode scalar values) a password may have.
    pub max_length: usize,
}

impl Default for PasswordPolicy {
    /// Django's minimum of 8 characters and a maximum of 256.
    fn default() -> Self {
        Self {
            min_length: 8,
            max_length: 256,
        }
    }
}

impl PasswordPolicy {
    /// Checks `password` against every rule; `attributes` are the user's identifying values,
    /// e.g. `[("username", "alice"), ("email", "alice@example.com"), ("first name", "Alice")]`.
    /// Returns every broken rule's message (not only the first), in Django's order:
    /// similarity, too short, too long, common, entirely numeric. Like Django, similarity reports
    /// only the first attribute the password resembles.
    pub fn check(&self, password: &str, attributes: &[(&str, &str)]) -> Result<(), Vec<String>> {
        let normalized: String = password.nfkc().collect();
        let lowered = normalized.to_lowercase();
        let length = password.chars().count();
        let mut errors = Vec::new();

        if let Some(name) = first_similar_attribute(&lowered, attributes) {
            errors.push(format!("The password is too similar to the {name}."));
        }
        if length < self.min_length {
            errors.push(format!(
                "This password is too short. It must contain at least {} {}.",
                self.min_length,
                characters(self.min_length)
            ));
        }
        if length > self.max_length {
            errors.push(format!(
                "This password is too long. It must contain at most {} {}.",
                self.max_length,
                characters(self.max_length)
            ));
        }
        if COMMON_PASSWORDS.contains(lowered.trim_matches(is_python_whitespace)) {
            errors.push("This password is too common.".to_owned());
        }
        if is_entirely_numeric(&normalized) {
            errors.push("This password is entirely numeric.".to_owned());
        }

        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Django's `ngettext` in English: singular only for exactly one.
fn characters(count: usize) -> &'static str {
    if count == 1 {
        "character"
    } else {
        "characters"
    }
}

/// Python's `str.strip()` whitespace: Rust's `White_Space` plus the separators U+001C..U+001F.
fn is_python_whitespace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.isdigit()`. `char::is_numeric` (Nd, Nl, No) is a superset of it, so a few
/// exotic all-number passwords (e.g. CJK `〇`, Roman-numeral letters) are rejected that Django
/// would accept; std has no narrower test.
fn is_entirely_numeric(password: &str) -> bool {
    !password.is_empty() && password.chars().all(char::is_numeric)
}

/// Django's `UserAttributeSimilarityValidator`: the name of the first attribute whose value, or a
/// part of it between non-word characters, is too similar to `password` (already lowercased).
fn first_similar_attribute<'a>(password: &str, attributes: &[(&'a str, &str)]) -> Option<&'a str> {
    let password: Vec<char> = password.chars().collect();
    attributes
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .find(|(_, value)| resembles(&password, value))
        .map(|(name, _)| *name)
}

/// Whether `value`, whole or any of its parts, is too similar to `password`.
fn resembles(password: &[char], value: &str) -> bool {
    let value = value.nfkc().collect::<String>().to_lowercase();
    let mut parts = split_on_non_word(&value);
    parts.push(&value);
    parts.into_iter().any(|part| is_too_similar(password, part))
}

/// Python's `re.split(r"\W+", value)`: pieces between maximal runs of non-word characters,
/// including the empty pieces a leading or trailing run leaves.
fn split_on_non_word(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_separator = false;
    for (index, c) in value.char_indices() {
        if is_word(c) {
            if in_separator {
                start = index;
                in_separator = false;
            }
        } else if !in_separator {
            parts.push(&value[start..index]);
            in_separator = true;
        }
    }
    parts.push(if in_separator { "" } else { &value[start..] });
    parts
}

/// Python's `\w`, which unlike Rust's `is_alphanumeric` excludes combining marks such as
/// Devanagari vowel signs. Enclosed letters (`Ⓐ`, `🅐`) still differ, and NFKC removes most.
fn is_word(c: char) -> bool {
    (c.is_alphanumeric() && !is_combining_mark(c)) || c == '_'
}

fn is_too_similar(password: &[char], part: &str) -> bool {
    let part: Vec<char> = part.chars().collect();
    !exceeds_maximum_length_ratio(password.len(), part.len())
        && quick_ratio(password, &part) >= MAX_SIMILARITY
}

/// Django's shortcut: a value a tenth the password's length or less cannot reach the ratio, so
/// skip it. It never changes the outcome, but it bounds the work to linear in the input.
fn exceeds_maximum_length_ratio(password_len: usize, value_len: usize) -> bool {
    let length_bound_similarity = MAX_SIMILARITY / 2.0 * password_len as f64;
    password_len >= value_len.saturating_mul(10) && (value_len as f64) < length_bound_similarity
}

/// difflib's `SequenceMatcher(a=a, b=b).quick_ratio()`: twice the size of the multiset
/// intersection of characters over the total length, and 1.0 for two empty sequences.
fn quick_ratio(a: &[char], b: &[char]) -> f64 {
    let mut available: HashMap<char, usize> = HashMap::new();
    for &c in b {
        *available.entry(c).or_default() += 1;
    }
    let mut matches = 0_usize;
    for c in a {
        if let Some(count) = available.get_mut(c).filter(|count| **count > 0) {
            *count -= 1;
            matches += 1;
        }
    }
    let length = a.len() + b.len();
    if length == 0 {
        1.0
    } else {
        2.0 * matches as f64 / length as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TOO_SHORT: &str = "This password is too short. It must contain at least 8 characters.";
    const TOO_LONG: &str = "This password is too long. It must contain at most 256 characters.";
    const NUMERIC: &str = "This password is entirely numeric.";
    const COMMON: &str = "This password is too common.";
    const STRONG: &str = "correct-Horse-battery-42";

    fn alice() -> [(&'static str, &'static str); 4] {
        [
            ("username", "alice_w"),
            ("email", "alice.wonder@example.com"),
            ("first name", "Alice"),
            ("last name", "Wonderland"),
        ]
    }

    fn errors(password: &str, attributes: &[(&str, &str)]) -> Vec<String> {
        match PasswordPolicy::default().check(password, attributes) {
            Ok(()) => Vec::new(),
            Err(errors) => errors,
        }
    }

    #[test]
    fn the_common_password_list_holds_djangos_passwords() {
        // Arrange / Act
        let list = &*COMMON_PASSWORDS;

        // Assert: 20,000 lines, 19,729 of them distinct.
        assert_eq!(list.len(), 19_729);
        assert!(list.contains("password") && list.contains("123456"));
    }

    #[test]
    fn a_strong_password_passes() {
        assert_eq!(PasswordPolicy::default().check(STRONG, &alice()), Ok(()));
    }

    #[test]
    fn a_password_shorter_than_the_minimum_is_rejected() {
        assert_eq!(errors("xK4#q9z", &[]), [TOO_SHORT]);
    }

    #[test]
    fn a_password_of_exactly_the_minimum_length_is_accepted() {
        assert_eq!(errors("xK4#q9zT", &[]), Vec::<String>::new());
    }

    #[test]
    fn a_minimum_of_one_is_worded_in_the_singular() {
        // Arrange
        let policy = PasswordPolicy {
            min_length: 1,
            max_length: 256,
        };

        // Act
        let result = policy.check("", &[]);

        // Assert
        assert_eq!(
            result,
            Err(vec![
                "This password is too short. It must contain at least 1 character.".to_owned()
            ])
        );
    }

    #[test]
    fn a_password_longer_than_the_maximum_is_rejected() {
        assert_eq!(errors(&("xK4#".repeat(64) + "!"), &[]), [TOO_LONG]);
    }

    #[test]
    fn a_password_of_exactly_the_maximum_length_is_accepted() {
        assert_eq!(errors(&"xK4#".repeat(64), &[]), Vec::<String>::new());
    }

    #[test]
    fn a_custom_maximum_is_named_in_the_message() {
        // Arrange
        let policy = PasswordPolicy {
            min_length: 8,
            max_length: 10,
        };

        // Act
        let result = policy.check("xK4#q9zT!!!", &[]);

        // Assert
        assert_eq!(
            result,
            Err(vec![
                "This password is too long. It must contain at most 10 characters.".to_owned()
            ])
        );
    }

    #[test]
    fn non_ascii_characters_count_as_one_each_not_by_their_bytes() {
        // "äöüßéñçø" is 8 characters in 16 bytes; "日本語のパスワ" is 7 characters in 21 bytes.
        assert_eq!(errors("äöüßéñçø", &[]), Vec::<String>::new());
        assert_eq!(errors("日本語のパスワ", &[]), [TOO_SHORT]);
        // 256 two-byte characters are 512 bytes but exactly the maximum.
        assert_eq!(errors(&"éß".repeat(128), &[]), Vec::<String>::new());
        assert_eq!(errors(&"éß".repeat(129), &[]), [TOO_LONG]);
    }

    #[test]
    fn lengths_are_counted_on_the_password_as_typed_not_its_normal_form() {
        // "ﬃ" (one character) is "ffi" under NFKC; Django counts what was typed.
        assert_eq!(errors("ﬃﬃﬃ", &[]), [TOO_SHORT]);
    }

    #[test]
    fn an_entirely_numeric_password_is_rejected() {
        assert_eq!(errors("73019258461", &[]), [NUMERIC]);
    }

    #[test]
    fn numerals_of_other_scripts_are_numeric_too() {
        // Arabic-Indic and full-width digits, which Python's isdigit also accepts.
        assert_eq!(errors("٧٣٠١٩٢٥٨٤٦", &[]), [NUMERIC]);
        assert_eq!(errors("７３０１９２５８４６", &[]), [NUMERIC]);
    }

    #[test]
    fn a_password_with_one_letter_among_digits_is_not_numeric() {
        assert_eq!(errors("7301925846x", &[]), Vec::<String>::new());
    }

    #[test]
    fn a_common_password_is_rejected() {
        assert_eq!(errors("sunshine", &[]), [COMMON]);
    }

    #[test]
    fn a_common_password_is_rejected_whatever_its_case_and_surrounding_spaces() {
        assert_eq!(errors("  SunShine\t", &[]), [COMMON]);
    }

    #[test]
    fn a_full_width_spelling_of_a_common_password_is_rejected() {
        assert_eq!(errors("ｓｕｎｓｈｉｎｅ", &[]), [COMMON]);
    }

    #[test]
    fn a_password_similar_to_the_username_is_rejected() {
        // Arrange
        let attributes = [("username", "grizzlybear"), ("email", "g@example.com")];

        // Act
        let result = errors("GrizzlyBear1", &attributes);

        // Assert
        assert_eq!(result, ["The password is too similar to the username."]);
    }

    #[test]
    fn a_password_similar_to_the_local_part_of_an_email_is_rejected() {
        // Arrange: the whole address is too long to resemble the password, its local part is not.
        let attributes = [("email", "marmaduke@longcompanyname.example.org")];

        // Act
        let result = errors("marmaduke2024", &attributes);

        // Assert
        assert_eq!(result, ["The password is too similar to the email."]);
    }

    #[test]
    fn a_password_similar_to_a_word_of_an_attribute_is_rejected() {
        // Arrange: "lewis-carroll" as a whole is not similar enough, its word "carroll" is.
        let attributes = [("last name", "Lewis-Carroll")];

        // Act
        let result = errors("carroll99!", &attributes);

        // Assert
        assert_eq!(result, ["The password is too similar to the last name."]);
    }

    #[test]
    fn similarity_ignores_case_and_compatibility_forms() {
        assert_eq!(
            errors("ＧＲＩＺＺＬＹｂｅａｒ", &[("username", "grizzlybear")]),
            ["The password is too similar to the username."]
        );
    }

    #[test]
    fn only_the_first_similar_attribute_is_reported() {
        // Arrange
        let attributes = [("username", "grizzlybear"), ("nickname", "grizzlybear")];

        // Act
        let result = errors("grizzlybear7", &attributes);

        // Assert
        assert_eq!(result, ["The password is too similar to the username."]);
    }

    #[test]
    fn a_password_unlike_every_attribute_is_accepted() {
        assert_eq!(
            errors("Pl4typus-in-the-rain", &alice()),
            Vec::<String>::new()
        );
    }

    #[test]
    fn empty_attribute_values_are_skipped() {
        // An empty value would otherwise match the empty password with a ratio of 1.0.
        assert_eq!(errors("", &[("username", "")]), [TOO_SHORT]);
    }

    #[test]
    fn several_broken_rules_are_reported_together_in_djangos_order() {
        // Arrange
        let attributes = [("username", "123123")];

        // Act
        let result = errors("123123", &attributes);

        // Assert
        assert_eq!(
            result,
            [
                "The password is too similar to the username.",
                TOO_SHORT,
                COMMON,
                NUMERIC,
            ]
        );
    }

    #[test]
    fn quick_ratio_matches_difflib() {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        // difflib.SequenceMatcher(a=..., b=...).quick_ratio() values.
        assert_eq!(quick_ratio(&chars("abcd"), &chars("bcde")), 0.75);
        assert_eq!(quick_ratio(&chars("aab"), &chars("abb")), 2.0 * 2.0 / 6.0);
        assert_eq!(quick_ratio(&[], &[]), 1.0);
        assert_eq!(quick_ratio(&chars("abc"), &[]), 0.0);
    }

    #[test]
    fn splitting_on_non_word_runs_matches_pythons_re_split() {
        // re.split(r"\W+", ...) results.
        assert_eq!(split_on_non_word("a..b_c"), ["a", "b_c"]);
        assert_eq!(split_on_non_word("@alice."), ["", "alice", ""]);
        assert_eq!(split_on_non_word(""), [""]);
        assert_eq!(split_on_non_word("..."), ["", ""]);
        assert_eq!(split_on_non_word("jürgen.müller"), ["jürgen", "müller"]);
        // Python's \w excludes the vowel signs, so Devanagari words split at them.
        assert_eq!(split_on_non_word("किरण.राव"), ["क", "रण", "र", "व"]);
    }

    fn attribute_lists() -> impl Strategy<Value = Vec<(String, String)>> {
        proptest::collection::vec((any::<String>(), any::<String>()), 0..4)
    }

    proptest! {
        #[test]
        fn check_never_panics_on_any_input(
            password in any::<String>(),
            attributes in attribute_lists(),
        ) {
            let attributes: Vec<(&str, &str)> =
                attributes.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let _ = PasswordPolicy::default().check(&password, &attributes);
        }

        #[test]
        fn a_long_enough_password_from_a_strong_alphabet_passes(
            password in "[a-zA-Z0-9!@#$%^&*()_+=.,;:?~-]{8,256}",
        ) {
            prop_assume!(!COMMON_PASSWORDS.contains(password.to_lowercase().as_str()));
            prop_assume!(!password.chars().all(|c| c.is_ascii_digit()));
            prop_assert_eq!(PasswordPolicy::default().check(&password, &[]), Ok(()));
        }

        #[test]
        fn any_password_shorter_than_the_minimum_is_rejected_as_too_short(
            (min_length, password) in (2_usize..40).prop_flat_map(|min| {
                (Just(min), proptest::collection::vec(any::<char>(), 0..min))
            }),
            attributes in attribute_lists(),
        ) {
            let password: String = password.into_iter().collect();
            let attributes: Vec<(&str, &str)> =
                attributes.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
            let policy = PasswordPolicy { min_length, max_length: 256 };
            let expected = format!(
                "This password is too short. It must contain at least {min_length} characters."
            );

            let errors = policy.check(&password, &attributes).unwrap_err();

            prop_assert!(errors.contains(&expected), "{:?}", errors);
        }
    }
}
