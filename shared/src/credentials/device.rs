//! Device cookies (OWASP's "Slow Down Online Guessing Attacks with Device
//! Cookies"): a browser that logged in as a username gets an HttpOnly
//! cookie naming a random nonce and a tag binding it to that username
//! (which the cookie does not hold), under a key derived from the signing
//! keys. Presented with a later attempt for the same username, it marks a
//! client that has succeeded before: the username's ceiling does not
//! refuse it, while its own counter still does (`policy::throttle`).

use crate::base::mac::KeyedMac;
use crate::base::random::random_string;
use crate::settings::{CSRF_COOKIE_AGE, Seconds};

/// How long a device cookie recognises its browser (its `Max-Age`, and
/// checked on its issue time): 52 weeks, as `csrftoken`'s, renewed at each
/// login.
pub const DEVICE_COOKIE_AGE: Seconds = CSRF_COOKIE_AGE;

/// The key's salt.
const SALT: &str = "auth.throttle.device-cookie";
/// The nonce's characters (safe in a cookie and in a throttle key).
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// The nonce's length: 128 bits and more.
const NONCE_CHARS: usize = 22;

pub struct DeviceCookies {
    mac: KeyedMac,
}

fn message(nonce: &str, issued: &str, username: &str) -> Vec<u8> {
    format!("{nonce}\0{issued}\0{username}").into_bytes()
}

impl DeviceCookies {
    pub fn new(signing_keys: &[&[u8]]) -> Self {
        DeviceCookies {
            mac: KeyedMac::new(SALT, signing_keys),
        }
    }

    /// A new cookie value for a browser that logged in as `username` at
    /// `now`: `<nonce>.<issued>.<hex tag>`.
    pub fn issue(&self, username: &str, now: i64) -> String {
        let nonce = random_string(NONCE_CHARS, ALPHABET);
        let issued = now.to_string();
        let tag = self.mac.tag(&message(&nonce, &issued, username));
        format!("{nonce}.{issued}.{tag}")
    }

    /// The nonce of `value`, if it was issued to a browser that logged in
    /// as `username` less than [`DEVICE_COOKIE_AGE`] before `now` (the tag
    /// checked in constant time, under every key).
    pub fn recognises<'v>(&self, value: &'v str, username: &str, now: i64) -> Option<&'v str> {
        let mut parts = value.splitn(3, '.');
        let (nonce, issued, tag) = (parts.next()?, parts.next()?, parts.next()?);
        let well_formed =
            nonce.len() == NONCE_CHARS && nonce.bytes().all(|b| ALPHABET.contains(&b));
        let at: i64 = issued
            .parse()
            .ok()
            .filter(|_| issued.bytes().all(|b| b.is_ascii_digit()))?;
        let current = at <= now && now - at < DEVICE_COOKIE_AGE.get();
        let genuine = well_formed && self.mac.verify(tag, &message(nonce, issued, username));
        (genuine && current).then_some(nonce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_cookie_is_bound_to_its_username_keys_and_year() {
        let now = 1_800_000_000;
        let ours = DeviceCookies::new(&[b"a signing key of thirty-two bytes!"]);
        let value = ours.issue("alice", now);
        let nonce = ours.recognises(&value, "alice", now).expect("recognised");
        assert!(value.starts_with(nonce) && nonce.len() == 22);
        assert!(!value.contains("alice"));
        assert_eq!(ours.recognises(&value, "bob", now), None);
        assert_eq!(ours.recognises(&format!("{value}0"), "alice", now), None);
        for bad in ["x.y.z", "", "..", &value.replacen('.', ".+", 1)] {
            assert_eq!(ours.recognises(bad, "alice", now), None, "{bad}");
        }
        let year = DEVICE_COOKIE_AGE.get();
        assert!(ours.recognises(&value, "alice", now + year - 1).is_some());
        assert_eq!(
            ours.recognises(&value, "alice", now + year),
            None,
            "expired"
        );
        assert_eq!(ours.recognises(&value, "alice", now - 1), None, "future");
        let theirs = DeviceCookies::new(&[b"another signing key, thirty-two b"]);
        assert_eq!(theirs.recognises(&value, "alice", now), None);
        let rotated = DeviceCookies::new(&[
            b"another signing key, thirty-two b",
            b"a signing key of thirty-two bytes!",
        ]);
        assert!(
            rotated.recognises(&value, "alice", now).is_some(),
            "old key"
        );
        assert_ne!(ours.issue("alice", now), value, "a new nonce each time");
    }
}
