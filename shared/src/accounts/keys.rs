//! The links' secrets: verification keys and reset tokens (random, URL
//! safe, stored only as their SHA-256), and allauth's `uid`s.

use sha2::{Digest, Sha256};

use crate::base::random::random_string;

const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A new key or token for a link: 256 random bits, URL-safe.
pub fn new_secret() -> String {
    random_string(43, URL_SAFE)
}

/// The SHA-256 (hex) a key is stored as.
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether two secrets' hashes are equal, in constant time.
pub fn same_hash(stored: &str, presented: &str) -> bool {
    subtle::ConstantTimeEq::ct_eq(stored.as_bytes(), presented.as_bytes()).into()
}

/// allauth's `user_pk_to_url_str` for an integer id: base 36, lowercase.
pub fn uid_of(id: u64) -> String {
    let mut n = id;
    let mut digits = Vec::new();
    loop {
        digits.push(b"0123456789abcdefghijklmnopqrstuvwxyz"[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    digits.reverse();
    String::from_utf8(digits).expect("ASCII")
}

/// The id a `uid` names (`None` for anything that is not base 36 of one).
pub fn id_of(uid: &str) -> Option<u64> {
    if uid.is_empty() || uid.len() > 13 || !uid.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    u64::from_str_radix(uid, 36).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_allauths_base_36() {
        assert_eq!(uid_of(0), "0");
        assert_eq!(uid_of(1), "1");
        assert_eq!(uid_of(35), "z");
        assert_eq!(uid_of(36), "10");
        assert_eq!(uid_of(u64::MAX), "3w5e11264sgsf");
        for id in [0, 1, 35, 36, 1295, 1296, u64::MAX] {
            assert_eq!(id_of(&uid_of(id)), Some(id));
        }
        for bad in [
            "",
            "-1",
            "+1",
            " 1",
            "1 ",
            "zzzzzzzzzzzzzz",
            "3w5e11264sgsg",
            "é",
        ] {
            assert_eq!(id_of(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn secrets_are_long_url_safe_and_distinct() {
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| URL_SAFE.contains(&c)));
        assert_eq!(secret_hash(&a).len(), 64);
    }
}
