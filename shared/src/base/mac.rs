//! Keyed HMAC-SHA256 under keys derived from the signing keys, as Django's
//! `salted_hmac` derives one from `SECRET_KEY`: what session auth hashes,
//! refresh-token address bindings and recovery codes are tagged with.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// A key for one use (named by `salt`) derived from a signing key, as
/// Django's `salted_hmac` derives one from `SECRET_KEY`: SHA-256 of the
/// salt and the key.
pub fn derive_key(salt: &str, signing_key: &[u8]) -> [u8; 32] {
    let mut digest = Sha256::new();
    digest.update(salt.as_bytes());
    digest.update(signing_key);
    digest.finalize().into()
}

/// A keyed HMAC-SHA256 with one key derived from each signing key (as
/// Django's `salted_hmac` derives one from `SECRET_KEY`, by a salt naming
/// its use): tags are made with the current key and checked against all,
/// in constant time, so rotating the signing key keeps them valid.
pub struct KeyedMac {
    /// One derived key per signing key, the current one first.
    keys: Vec<[u8; 32]>,
}

impl KeyedMac {
    pub fn new(salt: &str, signing_keys: &[&[u8]]) -> Self {
        let keys = signing_keys.iter().map(|k| derive_key(salt, k)).collect();
        KeyedMac { keys }
    }

    fn mac(key: &[u8; 32], message: &[u8]) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key size");
        mac.update(message);
        mac
    }

    /// The hex tag of `message` under the current key.
    pub fn tag(&self, message: &[u8]) -> String {
        hex::encode(Self::mac(&self.keys[0], message).finalize().into_bytes())
    }

    /// Whether `tag` is `message`'s under any of the keys.
    pub fn verify(&self, tag: &str, message: &[u8]) -> bool {
        let Ok(bytes) = hex::decode(tag) else {
            return false;
        };
        self.keys
            .iter()
            .any(|k| Self::mac(k, message).verify_slice(&bytes).is_ok())
    }
}
