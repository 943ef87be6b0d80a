//! Django's default password validators (the tutorial's
//! `AUTH_PASSWORD_VALIDATORS`), in Django's order:
//! similarity to the username, minimum length 8, common passwords (the
//! list Django ships, in `shared/data/`), entirely numeric.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

pub const MIN_LENGTH: usize = 8;
/// `UserAttributeSimilarityValidator`'s default threshold.
const MAX_SIMILARITY: f64 = 0.7;

/// Django's list (`shared/data/common-passwords.txt`), front-coded by
/// `shared/build.rs`: each line the length of the prefix it shares with
/// the one before, then the rest.
static COMMON: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let coded = include_str!(concat!(env!("OUT_DIR"), "/common-passwords.fc"));
    let mut words = HashSet::with_capacity(20_000);
    let mut previous = String::new();
    for line in coded.lines() {
        let shared = usize::from(line.as_bytes()[0] - b'0');
        let mut word = String::with_capacity(shared + line.len());
        word.push_str(&previous[..shared]);
        word.push_str(&line[1..]);
        words.insert(word.clone());
        previous = word;
    }
    words
});

/// What a validator found wrong with a new password (Django's wording of
/// each is in `contract.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakness {
    TooSimilar,
    /// Shorter than [`MIN_LENGTH`].
    TooShort,
    TooCommon,
    EntirelyNumeric,
}

/// Everything Django's validators find wrong with `password` for this
/// username, in Django's order (empty when it passes).
pub fn validate(password: &str, username: &str) -> Vec<Weakness> {
    let mut found = Vec::new();
    if too_similar(password, username) {
        found.push(Weakness::TooSimilar);
    }
    if password.chars().count() < MIN_LENGTH {
        found.push(Weakness::TooShort);
    }
    if COMMON.contains(password.to_lowercase().trim()) {
        found.push(Weakness::TooCommon);
    }
    if !password.is_empty() && password.chars().all(char::is_numeric) {
        found.push(Weakness::EntirelyNumeric);
    }
    found
}

/// `UserAttributeSimilarityValidator` on the username: the whole name and
/// each of its `\W+`-separated parts, by `SequenceMatcher.quick_ratio`.
fn too_similar(password: &str, username: &str) -> bool {
    let password = password.to_lowercase();
    let value = username.to_lowercase();
    let parts = value
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .chain(std::iter::once(value.as_str()));
    let pwd_len = password.chars().count();
    for part in parts {
        let part_len = part.chars().count();
        // Django's exceeds_maximum_length_ratio: skip parts far shorter
        // than the password, which can never be similar enough.
        if pwd_len >= 10 * part_len && (part_len as f64) < MAX_SIMILARITY / 2.0 * pwd_len as f64 {
            continue;
        }
        if quick_ratio(&password, part) >= MAX_SIMILARITY {
            return true;
        }
    }
    false
}

/// Python's `difflib.SequenceMatcher(a=a, b=b).quick_ratio()`: twice the
/// size of the multiset intersection of characters over the total length.
fn quick_ratio(a: &str, b: &str) -> f64 {
    let total = a.chars().count() + b.chars().count();
    if total == 0 {
        return 1.0;
    }
    let mut counts: HashMap<char, usize> = HashMap::new();
    for c in b.chars() {
        *counts.entry(c).or_default() += 1;
    }
    let mut matches = 0;
    for c in a.chars() {
        if let Some(n) = counts.get_mut(&c).filter(|n| **n > 0) {
            *n -= 1;
            matches += 1;
        }
    }
    2.0 * matches as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Django's messages for what `validate` finds.
    fn messages(password: &str, username: &str) -> Vec<String> {
        validate(password, username)
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn good_passwords_pass() {
        assert!(validate("correct horse battery staple", "alice").is_empty());
        assert!(validate("hunter2-Secret!", "bob").is_empty());
    }

    #[test]
    fn each_validator_in_djangos_order_and_words() {
        assert_eq!(
            messages("1234567", "alice"),
            [
                "This password is too short. It must contain at least 8 characters.",
                "This password is too common.",
                "This password is entirely numeric.",
            ]
        );
        assert_eq!(
            messages("password", "alice"),
            ["This password is too common."]
        );
        assert_eq!(
            messages("Password ", "alice"),
            ["This password is too common."]
        );
        assert_eq!(
            messages("73915824609", "bob"),
            ["This password is entirely numeric."]
        );
        assert_eq!(
            messages("alice2026", "alice"),
            ["The password is too similar to the username."]
        );
        assert_eq!(
            messages("ALICE.SMITH", "alice.smith"),
            ["The password is too similar to the username."]
        );
    }

    #[test]
    fn quick_ratio_matches_python() {
        // difflib.SequenceMatcher(a=..., b=...).quick_ratio()
        assert_eq!(quick_ratio("alice2026", "alice"), 10.0 / 14.0);
        assert_eq!(quick_ratio("abc", "xyz"), 0.0);
        assert_eq!(quick_ratio("", ""), 1.0);
        assert_eq!(quick_ratio("aab", "ab"), 0.8);
    }

    #[test]
    fn the_common_list_is_djangos() {
        assert_eq!(COMMON.len(), 19_640);
        assert!(COMMON.contains("123456") && COMMON.contains("qwerty"));
        let listed: HashSet<String> = include_str!("../../data/common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect();
        assert_eq!(*COMMON, listed, "the coded list is Django's");
    }
}
