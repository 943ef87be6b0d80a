//! Two-factor authentication: TOTP (RFC 6238) with recovery codes.
//!
//! * **Codes**: HMAC-SHA-1, 6 digits, 30-second steps, one step of clock
//!   skew either way (`totp-rs` computes them; this module only picks the
//!   parameters). A code is accepted once: the step it matched is stored
//!   and only a later step is accepted afterwards (django-otp's `last_t`),
//!   by a conditional write (`store::MfaStore`).
//! * **Secrets**: 160 random bits, shown once at enrolment (base32, an
//!   `otpauth://` URL); stored sealed with AES-256-GCM under a key derived
//!   from the current signing key ([`Mfa::seal`]), bound to the user's id
//!   (the associated data), so a sealed secret copied onto another user
//!   does not open. Every key of the ring opens what it sealed.
//! * **Recovery codes**: 10 per user, `xxxxx-xxxxx` (50 random bits in
//!   RFC 4648 base32, lower case), shown once; stored only as keyed
//!   HMAC-SHA-256 hashes, each usable once.
//! * **The `mfa_token`** a login answers with when a password alone is not
//!   enough: `<base64url claims>.<hex HMAC>` under a key derived from the
//!   signing keys (not a JWT of the key ring, so no token endpoint
//!   accepts it), naming the user, their credential generation and the
//!   endpoint that was called; it lives [`MFA_TOKEN_LIFETIME`] seconds, is
//!   used once and dies after [`MFA_TOKEN_ATTEMPTS`] codes checked (both
//!   enforced in the store).
//!
//! Nothing here logs a secret, a code or a token.

use aws_lc_rs::aead::{AES_256_GCM, Aad, Nonce, RandomizedNonceKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::base::mac::{KeyedMac, derive_key};
use crate::settings::Seconds;

/// Digits of a code.
pub const DIGITS: u8 = 6;
/// Seconds of a time step.
pub const PERIOD: u64 = 30;
/// Steps of clock skew accepted either way.
pub const SKEW: u16 = 1;
/// Bytes of a secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;
/// Recovery codes a user holds.
pub const RECOVERY_CODES: usize = 10;
/// How long an `mfa_token` lives.
pub const MFA_TOKEN_LIFETIME: Seconds = Seconds::new(300);
pub use crate::model::mfa::MFA_TOKEN_ATTEMPTS;

const SEAL_SALT: &str = "auth.mfa.totp-secret";
const RECOVERY_SALT: &str = "auth.mfa.recovery-code";
const TOKEN_SALT: &str = "auth.mfa.token";
/// RFC 4648 base32, lower case: recovery codes.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";

/// A TOTP secret (its raw bytes), never shown in logs or `Debug`.
pub struct TotpSecret(SecretSlice<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(..)")
    }
}

impl TotpSecret {
    /// 160 fresh random bits.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; SECRET_BYTES];
        rand::rng().fill(&mut bytes[..]);
        TotpSecret(bytes.into())
    }

    /// A secret from its raw bytes (tests, and what a sealed secret opens to).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        TotpSecret(bytes.into())
    }

    /// A secret from its base32 form (as shown at enrolment).
    pub fn from_base32(text: &str) -> Option<Self> {
        totp_rs::Secret::try_from_base32(text)
            .ok()
            .map(|s| Self::from_bytes(s.as_ref().to_vec()))
    }

    /// The secret in base32 without padding, as authenticator apps take it.
    pub fn base32(&self) -> SecretString {
        let secret = totp_rs::Secret::from(self.0.expose_secret().to_vec());
        SecretString::from(secret.to_base32())
    }

    fn totp(&self, digits: u8) -> totp_rs::Totp {
        totp_rs::Builder::new()
            .with_algorithm(totp_rs::Algorithm::SHA1)
            .with_digits(digits)
            .with_skew(SKEW)
            .with_step_duration(PERIOD)
            .with_secret(self.0.expose_secret().to_vec())
            .build_noncompliant()
    }

    /// The time step of `now` that `code` matches (the current one or one
    /// either side), compared in constant time; `None` if none does.
    pub fn check(&self, code: &str, now: i64) -> Option<u64> {
        let now = u64::try_from(now).ok()?;
        self.totp(DIGITS).check(code, now)
    }

    /// The code of the step containing `time` (for tests and tools).
    pub fn code_at(&self, time: i64) -> String {
        self.totp(DIGITS)
            .generate(u64::try_from(time).unwrap_or(0))
            .to_string()
    }
}

/// A code as presented, by its shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    /// Six ASCII digits.
    Totp(String),
    /// A recovery code, normalized to `xxxxx-xxxxx` in lower case.
    Recovery(String),
}

impl Code {
    /// `123456`, or a recovery code `abcde-fghij` (any case, the dash
    /// optional). Anything else (spaces inside, 5 or 7 digits, other
    /// characters) is no code at all.
    pub fn parse(raw: &str) -> Option<Code> {
        if raw.len() == usize::from(DIGITS) && raw.bytes().all(|b| b.is_ascii_digit()) {
            return Some(Code::Totp(raw.to_owned()));
        }
        let lower = raw.to_ascii_lowercase();
        let compact = match lower.len() {
            11 if lower.as_bytes()[5] == b'-' => format!("{}{}", &lower[..5], &lower[6..]),
            10 => lower,
            _ => return None,
        };
        match compact.bytes().all(|b| RECOVERY_ALPHABET.contains(&b)) {
            true => Some(Code::Recovery(format!(
                "{}-{}",
                &compact[..5],
                &compact[5..]
            ))),
            false => None,
        }
    }
}

/// Ten new recovery codes, `xxxxx-xxxxx`.
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let code = crate::base::random::random_string(10, RECOVERY_ALPHABET);
            format!("{}-{}", &code[..5], &code[5..])
        })
        .collect()
}

/// The endpoint a password login was made on, which `login/mfa` answers as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Endpoint {
    /// `login`: a session.
    #[serde(rename = "login")]
    Login,
    /// `login/jwt`: a tutorial token.
    #[serde(rename = "jwt-login")]
    JwtLogin,
    /// `login/simpleJWT`: a token pair.
    #[serde(rename = "token-obtain-pair")]
    ObtainPair,
}

/// What an `mfa_token` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaClaims {
    /// Its id: the store counts its wrong codes and its one use under it.
    pub jti: String,
    /// The user whose password was right.
    pub uid: u64,
    /// Their username (the throttle counts per username and address).
    pub usr: String,
    /// Their credential generation then: a password change or logout
    /// everywhere since kills the token.
    #[serde(rename = "gen")]
    pub generation: u64,
    /// The endpoint called.
    pub end: Endpoint,
    pub iat: i64,
    pub exp: i64,
}

/// The keys of two-factor authentication, derived once per cold start from
/// the signing keys (current first), and the issuer name apps show.
pub struct Mfa {
    /// (key id, key) per signing key: secrets are sealed with the first.
    seal: Vec<(String, RandomizedNonceKey)>,
    recovery: KeyedMac,
    tokens: KeyedMac,
    issuer: String,
}

impl Mfa {
    pub fn new(signing_keys: &[&[u8]], issuer: &str) -> Self {
        let seal = signing_keys
            .iter()
            .map(|k| {
                let key = derive_key(SEAL_SALT, k);
                let kid = hex::encode(&derive_key("auth.mfa.kid", &key)[..4]);
                let aead = RandomizedNonceKey::new(&AES_256_GCM, &key)
                    .expect("AES-256-GCM takes a 32-byte key");
                (kid, aead)
            })
            .collect();
        Mfa {
            seal,
            recovery: KeyedMac::new(RECOVERY_SALT, signing_keys),
            tokens: KeyedMac::new(TOKEN_SALT, signing_keys),
            issuer: issuer.to_owned(),
        }
    }

    /// The issuer apps show next to the account (`MFA_TOTP_ISSUER`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// `secret` sealed for user `user_id`: `<key id>.<base64url nonce,
    /// ciphertext and tag>`.
    pub fn seal(&self, user_id: u64, secret: &TotpSecret) -> String {
        let (kid, key) = &self.seal[0];
        let mut data = secret.0.expose_secret().to_vec();
        let nonce = key
            .seal_in_place_append_tag(Aad::from(aad(user_id)), &mut data)
            .expect("AES-GCM sealing");
        let mut sealed = nonce.as_ref().to_vec();
        sealed.extend_from_slice(&data);
        format!("{kid}.{}", URL_SAFE_NO_PAD.encode(sealed))
    }

    /// The secret `sealed` holds for user `user_id`; `None` if no key of
    /// the ring sealed it for that user.
    pub fn open(&self, user_id: u64, sealed: &str) -> Option<TotpSecret> {
        let (kid, body) = sealed.split_once('.')?;
        let (_, key) = self.seal.iter().find(|(k, _)| k == kid)?;
        let bytes = URL_SAFE_NO_PAD.decode(body).ok()?;
        if bytes.len() < 12 {
            return None;
        }
        let (nonce, rest) = bytes.split_at(12);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut rest = rest.to_vec();
        let plain = key
            .open_in_place(nonce, Aad::from(aad(user_id)), &mut rest)
            .ok()?;
        Some(TotpSecret::from_bytes(plain.to_vec()))
    }

    /// Whether `sealed` was sealed with the current key.
    pub fn sealed_with_current_key(&self, sealed: &str) -> bool {
        sealed.split_once('.').map(|(kid, _)| kid) == Some(self.seal[0].0.as_str())
    }

    /// The stored form of a recovery code of user `user_id`.
    pub fn recovery_hash(&self, user_id: u64, code: &str) -> String {
        self.recovery
            .tag(recovery_message(user_id, code).as_bytes())
    }

    /// The stored hash in `stored` that `code` (normalized) matches, under
    /// any key of the ring; every comparison in constant time.
    pub fn find_recovery<'s>(
        &self,
        user_id: u64,
        code: &str,
        stored: &'s [String],
    ) -> Option<&'s String> {
        let message = recovery_message(user_id, code);
        let mut found = None;
        for hash in stored {
            if self.recovery.verify(hash, message.as_bytes()) && found.is_none() {
                found = Some(hash);
            }
        }
        found
    }

    /// A new `mfa_token` with these claims.
    pub fn issue_token(&self, claims: &MfaClaims) -> String {
        let payload = serde_json::to_vec(claims).expect("claims serialize");
        let payload = URL_SAFE_NO_PAD.encode(payload);
        let tag = self.tokens.tag(payload.as_bytes());
        format!("{payload}.{tag}")
    }

    /// The claims of an `mfa_token` we issued that has not expired at `now`.
    pub fn read_token(&self, raw: &str, now: i64) -> Option<MfaClaims> {
        let (payload, tag) = raw.split_once('.')?;
        if !self.tokens.verify(tag, payload.as_bytes()) {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let claims: MfaClaims = serde_json::from_slice(&bytes).ok()?;
        (claims.exp > now && claims.iat <= now).then_some(claims)
    }

    /// The `otpauth://` URL authenticator apps read (Google Authenticator's
    /// Key URI format, every parameter spelled out).
    pub fn otpauth_url(&self, username: &str, secret: &TotpSecret) -> SecretString {
        let issuer = percent_encode(&self.issuer);
        SecretString::from(format!(
            "otpauth://totp/{issuer}:{}?secret={}&issuer={issuer}&algorithm=SHA1&digits={DIGITS}&period={PERIOD}",
            percent_encode(username),
            secret.base32().expose_secret(),
        ))
    }
}

fn aad(user_id: u64) -> Vec<u8> {
    format!("totp:{user_id}").into_bytes()
}

fn recovery_message(user_id: u64, code: &str) -> String {
    format!("{user_id}:{code}")
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Constant-time equality of two strings (for tests and callers comparing
/// codes themselves).
pub fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's SHA-1 secret.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_appendix_b_sha1_vectors() {
        let secret = TotpSecret::from_bytes(RFC_SECRET.to_vec());
        let totp = secret.totp(8);
        for (time, code) in [
            (59_u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(totp.generate(time).to_string(), code, "T={time}");
            // Six digits are the last six of the eight.
            assert_eq!(secret.code_at(time as i64), code[2..], "T={time}");
        }
    }

    #[test]
    fn a_code_matches_its_step_and_one_either_side_only() {
        let secret = TotpSecret::from_bytes(RFC_SECRET.to_vec());
        let t = 1_111_111_111_i64;
        let step = (t as u64) / PERIOD;
        let code = secret.code_at(t);
        assert_eq!(secret.check(&code, t), Some(step));
        assert_eq!(secret.check(&code, t + 30), Some(step));
        assert_eq!(secret.check(&code, t - 30), Some(step));
        assert_eq!(secret.check(&code, t + 60), None);
        assert_eq!(secret.check(&code, t - 60), None);
        assert_eq!(secret.check(&secret.code_at(t + 30), t), Some(step + 1));
        for bad in ["", "12345", "1234567", "12 345", "+12345", "abcdef"] {
            assert_eq!(secret.check(bad, t), None, "{bad:?}");
        }
    }

    #[test]
    fn base32_round_trips() {
        let secret = TotpSecret::generate();
        let text = secret.base32();
        assert_eq!(text.expose_secret().len(), 32);
        let again = TotpSecret::from_base32(text.expose_secret()).unwrap();
        assert_eq!(again.code_at(1_000_000), secret.code_at(1_000_000));
        assert_eq!(
            TotpSecret::from_bytes(RFC_SECRET.to_vec())
                .base32()
                .expose_secret(),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }

    #[test]
    fn codes_parse_by_shape_only() {
        assert_eq!(Code::parse("012345"), Some(Code::Totp("012345".into())));
        assert_eq!(
            Code::parse("ABCDE-fgh23"),
            Some(Code::Recovery("abcde-fgh23".into()))
        );
        assert_eq!(
            Code::parse("abcdefgh23"),
            Some(Code::Recovery("abcde-fgh23".into()))
        );
        for bad in [
            "",
            "12345",
            "1234567",
            "123 456",
            "12345a",
            "abcde fgh23",
            "abcde-fgh2",
            "abcd1-fgh23",
            "١٢٣٤٥٦",
        ] {
            assert_eq!(Code::parse(bad), None, "{bad:?}");
        }
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        for c in &codes {
            assert_eq!(Code::parse(c), Some(Code::Recovery(c.clone())));
        }
    }

    const ONE: &[u8] = b"key one, thirty-two bytes long!!";
    const TWO: &[u8] = b"key two, thirty-two bytes long!!";

    #[test]
    fn sealed_secrets_open_for_their_user_under_any_key_of_the_ring() {
        let secret = TotpSecret::generate();
        let mfa = Mfa::new(&[ONE], "auth");
        let sealed = mfa.seal(7, &secret);
        assert!(!sealed.contains(secret.base32().expose_secret()));
        assert_ne!(sealed, mfa.seal(7, &secret), "a fresh nonce each time");
        let opened = mfa.open(7, &sealed).unwrap();
        assert_eq!(opened.code_at(99), secret.code_at(99));
        assert!(mfa.open(8, &sealed).is_none(), "bound to the user");
        assert!(mfa.sealed_with_current_key(&sealed));
        let rotated = Mfa::new(&[TWO, ONE], "auth");
        assert!(rotated.open(7, &sealed).is_some());
        assert!(!rotated.sealed_with_current_key(&sealed));
        assert!(Mfa::new(&[TWO], "auth").open(7, &sealed).is_none());
        assert!(mfa.open(7, "garbage").is_none());
        assert!(mfa.open(7, &sealed.replace('.', ".A")).is_none());
    }

    #[test]
    fn recovery_codes_are_found_by_their_keyed_hash_only() {
        let mfa = Mfa::new(&[ONE], "auth");
        let stored: Vec<String> = ["aaaaa-bbbbb", "ccccc-ddddd"]
            .iter()
            .map(|c| mfa.recovery_hash(1, c))
            .collect();
        assert!(stored.iter().all(|h| !h.contains("aaaaa")));
        assert_eq!(
            mfa.find_recovery(1, "ccccc-ddddd", &stored),
            Some(&stored[1])
        );
        assert_eq!(mfa.find_recovery(1, "eeeee-fffff", &stored), None);
        assert_eq!(mfa.find_recovery(2, "ccccc-ddddd", &stored), None);
        let rotated = Mfa::new(&[TWO, ONE], "auth");
        assert_eq!(
            rotated.find_recovery(1, "aaaaa-bbbbb", &stored),
            Some(&stored[0])
        );
    }

    fn claims(now: i64) -> MfaClaims {
        MfaClaims {
            jti: "0123456789abcdef0123456789abcdef".into(),
            uid: 1,
            usr: "alice".into(),
            generation: 0,
            end: Endpoint::ObtainPair,
            iat: now,
            exp: MFA_TOKEN_LIFETIME.after(now),
        }
    }

    #[test]
    fn mfa_tokens_are_ours_unexpired_and_untampered() {
        let mfa = Mfa::new(&[ONE], "auth");
        let now = 1_800_000_000;
        let token = mfa.issue_token(&claims(now));
        assert_eq!(mfa.read_token(&token, now), Some(claims(now)));
        assert_eq!(mfa.read_token(&token, now + 299), Some(claims(now)));
        assert_eq!(mfa.read_token(&token, now + 300), None, "expired");
        assert_eq!(Mfa::new(&[TWO], "auth").read_token(&token, now), None);
        assert!(
            Mfa::new(&[TWO, ONE], "auth")
                .read_token(&token, now)
                .is_some()
        );
        let (payload, tag) = token.split_once('.').unwrap();
        let mut forged = claims(now);
        forged.uid = 2;
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(
            mfa.read_token(&format!("{forged_payload}.{tag}"), now),
            None
        );
        assert_eq!(mfa.read_token(payload, now), None);
        assert_eq!(mfa.read_token("", now), None);
        assert!(!token.contains("eyJhbGciOi"), "not a JWT of the key ring");
    }

    #[test]
    fn otpauth_urls_spell_out_every_parameter() {
        let mfa = Mfa::new(&[ONE], "My App");
        let secret = TotpSecret::from_bytes(RFC_SECRET.to_vec());
        assert_eq!(
            mfa.otpauth_url("al+ce@x", &secret).expose_secret(),
            "otpauth://totp/My%20App:al%2Bce%40x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=My%20App&algorithm=SHA1&digits=6&period=30"
        );
    }
}
