//! The stored formats a check accepts (ours, and Django's PBKDF2, Argon2
//! and bcrypt hashes), what verifying each costs, and each verified.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{Error as PhcError, PasswordVerifier};
use argon2::{Algorithm, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use pbkdf2::sha2::{Digest, Sha256};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::params::{ITERATIONS, MEMORY_KIB, OUR_ARGON2_WORK, PARALLELISM, Verdict, argon2};
use crate::model::user::HashCosts;

impl HashCosts {
    /// What verifying `stored` costs (nothing for a value that never
    /// matches: it is never verified).
    pub fn of(stored: &str) -> HashCosts {
        Stored::parse(stored).costs()
    }

    /// Whether these are more than our own hashes cost.
    pub fn beyond_ours(self) -> bool {
        self.argon2_work > OUR_ARGON2_WORK || self.pbkdf2_iterations > 0 || self.bcrypt_cost > 0
    }
}

/// KiB of memory verifying `stored` needs (its Argon2 `m`; 0 for the other
/// formats, whose needs are small and fixed).
pub fn verification_memory_kib(stored: &str) -> u32 {
    match Stored::parse(stored) {
        Stored::Native(hash) | Stored::DjangoArgon2(hash) => {
            Params::try_from(&hash).map_or(0, |p| p.m_cost())
        }
        _ => 0,
    }
}

/// Short name of a stored hash's format for admin listings: `argon2id`
/// (native), `pbkdf2_sha256`, `argon2 (django)`, `bcrypt_sha256`,
/// `unusable`, or `unknown` (also for a malformed value of a known format).
pub fn hash_format(stored: &str) -> &'static str {
    Stored::parse(stored).format()
}

/// Whether a stored hash is in a format we can verify (or is unusable, which
/// is a valid import: that user cannot log in with a password).
pub fn importable(stored: &str) -> bool {
    !matches!(Stored::parse(stored), Stored::Unknown)
}

/// A stored hash, parsed far enough to know how to check it.
pub(super) enum Stored<'a> {
    /// Ours: an Argon2id PHC string, perhaps with other parameters.
    Native(PasswordHash),
    /// `pbkdf2_sha256$…`: Django's `PBKDF2PasswordHasher`.
    DjangoPbkdf2 {
        iterations: u32,
        salt: &'a str,
        hash: [u8; 32],
    },
    /// `argon2$…`: Django's `Argon2PasswordHasher`, holding the PHC string.
    DjangoArgon2(PasswordHash),
    /// `bcrypt_sha256$…`: Django's `BCryptSHA256PasswordHasher`, holding
    /// the bcrypt string after the prefix.
    DjangoBcryptSha256(&'a str),
    /// Django's unusable password: `!` and 40 random characters.
    Unusable,
    /// Unrecognised or malformed.
    Unknown,
}

impl<'a> Stored<'a> {
    pub(super) fn parse(stored: &'a str) -> Self {
        let parsed = if stored.starts_with('!') {
            Some(Stored::Unusable)
        } else if stored.starts_with("$argon2id$") {
            parse_argon2(stored).map(Stored::Native)
        } else if let Some(rest) = stored.strip_prefix("pbkdf2_sha256$") {
            parse_django_pbkdf2(rest)
        } else if let Some(phc) = stored.strip_prefix("argon2").filter(|p| p.starts_with('$')) {
            parse_argon2(phc).map(Stored::DjangoArgon2)
        } else if let Some(bcrypt) = stored.strip_prefix("bcrypt_sha256$") {
            parse_django_bcrypt(bcrypt).map(Stored::DjangoBcryptSha256)
        } else {
            None
        };
        parsed.unwrap_or(Stored::Unknown)
    }

    fn format(&self) -> &'static str {
        match self {
            Stored::Native(_) => "argon2id",
            Stored::DjangoPbkdf2 { .. } => "pbkdf2_sha256",
            Stored::DjangoArgon2(_) => "argon2 (django)",
            Stored::DjangoBcryptSha256(_) => "bcrypt_sha256",
            Stored::Unusable => "unusable",
            Stored::Unknown => "unknown",
        }
    }

    /// What verifying this costs.
    pub(super) fn costs(&self) -> HashCosts {
        let argon2_work = |hash: &PasswordHash| {
            Params::try_from(hash).map_or(0, |p| u64::from(p.m_cost()) * u64::from(p.t_cost()))
        };
        match self {
            Stored::Native(hash) | Stored::DjangoArgon2(hash) => HashCosts {
                argon2_work: argon2_work(hash),
                ..HashCosts::default()
            },
            Stored::DjangoPbkdf2 { iterations, .. } => HashCosts {
                pbkdf2_iterations: *iterations,
                ..HashCosts::default()
            },
            Stored::DjangoBcryptSha256(bcrypt) => HashCosts {
                bcrypt_cost: bcrypt
                    .parse::<bcrypt::HashParts>()
                    .map_or(0, |p| p.get_cost()),
                ..HashCosts::default()
            },
            Stored::Unusable | Stored::Unknown => HashCosts::default(),
        }
    }

    /// Checks `password`: `None` if this can never match.
    pub(super) fn check(&self, password: &SecretString) -> Option<Verdict> {
        let matches = match self {
            Stored::Native(hash) | Stored::DjangoArgon2(hash) => verify_argon2(password, hash)?,
            Stored::DjangoPbkdf2 {
                iterations,
                salt,
                hash,
            } => verify_django_pbkdf2(password, *iterations, salt, hash),
            Stored::DjangoBcryptSha256(bcrypt) => verify_django_bcrypt(password, bcrypt)?,
            Stored::Unusable | Stored::Unknown => return None,
        };
        Some(match (matches, self) {
            (false, _) => Verdict::Mismatch,
            (true, Stored::Native(hash)) if has_our_parameters(hash) => Verdict::Match,
            (true, _) => Verdict::MatchNeedsUpgrade,
        })
    }
}

/// An Argon2 (d, i or id) PHC string with valid parameters, a salt and a hash.
pub(super) fn parse_argon2(phc: &str) -> Option<PasswordHash> {
    let mut hash = PasswordHash::new(phc).ok()?;
    Algorithm::try_from(hash.algorithm.as_str()).ok()?;
    Params::try_from(&hash).ok()?;
    if hash.salt.as_ref()?.len() < argon2::MIN_SALT_LEN || hash.hash.is_none() {
        return None;
    }
    // No `v=` means the original Argon2, version 0x10 (libargon2's rule).
    let version = *hash.version.get_or_insert(Version::V0x10.into());
    Version::try_from(version).ok()?;
    Some(hash)
}

/// Whether an Argon2 hash is what [`hash_password`] writes today.
pub(super) fn has_our_parameters(hash: &PasswordHash) -> bool {
    hash.algorithm == Algorithm::Argon2id.ident()
        && hash.version == Some(Version::V0x13.into())
        && Params::try_from(hash).is_ok_and(|p| {
            p.m_cost() == MEMORY_KIB
                && p.t_cost() == ITERATIONS
                && p.p_cost() == PARALLELISM
                && p.output_len() == Some(Params::DEFAULT_OUTPUT_LEN)
                && p.keyid().is_empty()
                && p.data().is_empty()
        })
}

/// Our own and Django's Argon2: the algorithm, version and parameters come
/// from the PHC string.
fn verify_argon2(password: &SecretString, hash: &PasswordHash) -> Option<bool> {
    match argon2().verify_password(password.expose_secret().as_bytes(), hash) {
        Ok(()) => Some(true),
        Err(PhcError::PasswordInvalid) => Some(false),
        Err(_) => None,
    }
}

/// `<iterations>$<salt>$<hash>` as Django's `PBKDF2PasswordHasher.encode`
/// writes it. Django verifies by re-encoding and comparing the whole string,
/// so only the canonical form can match: iterations in plain decimal
/// without leading zeros, a non-empty salt, and 32 bytes in padded base64.
fn parse_django_pbkdf2(rest: &str) -> Option<Stored<'_>> {
    let (iterations, rest) = rest.split_once('$')?;
    let (salt, hash) = rest.split_once('$')?;
    let canonical = iterations.bytes().all(|b| b.is_ascii_digit()) && !iterations.starts_with('0');
    if !canonical || salt.is_empty() {
        return None;
    }
    Some(Stored::DjangoPbkdf2 {
        iterations: iterations.parse().ok()?,
        salt,
        hash: BASE64.decode(hash).ok()?.try_into().ok()?,
    })
}

/// PBKDF2-HMAC-SHA256 of the UTF-8 password and salt, 32 bytes.
fn verify_django_pbkdf2(
    password: &SecretString,
    iterations: u32,
    salt: &str,
    expected: &[u8; 32],
) -> bool {
    let derived = pbkdf2_sha256(
        password.expose_secret().as_bytes(),
        salt.as_bytes(),
        iterations,
    );
    derived.ct_eq(expected).into()
}

/// PBKDF2-HMAC-SHA256, 32 bytes.
pub(super) fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut derived = [0; 32];
    match pbkdf2::Params::new(iterations) {
        // Not generic, so compiled (and optimised, see the workspace's
        // profiles) in the pbkdf2 crate: ~17x faster in debug builds.
        Ok(params) => pbkdf2::pbkdf2_hmac_with_params(
            password,
            salt,
            pbkdf2::Algorithm::Pbkdf2Sha256,
            params,
            &mut derived,
        ),
        // Below pbkdf2's floor of 1,000 rounds, which Django does not have.
        Err(_) => pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut derived),
    }
    derived
}

/// A bcrypt string (`$2b$12$` and 53 characters of salt and hash) with a
/// cost bcrypt accepts.
fn parse_django_bcrypt(bcrypt: &str) -> Option<&str> {
    let parts: bcrypt::HashParts = bcrypt.parse().ok()?;
    (4..=31).contains(&parts.get_cost()).then_some(bcrypt)
}

/// bcrypt of the password's SHA-256 as 64 lowercase hex digits (Django
/// pre-hashes so bcrypt's 72-byte limit does not truncate passwords).
fn verify_django_bcrypt(password: &SecretString, bcrypt: &str) -> Option<bool> {
    let digest = Sha256::digest(password.expose_secret().as_bytes());
    let prehashed = SecretString::from(hex::encode(digest));
    bcrypt::verify(prehashed.expose_secret(), bcrypt).ok()
}

/// A new unusable password (Django's `make_password(None)`: `!` and 40
/// random letters and digits): the stored value of an account without a
/// password, which no password matches, and which still differs from every
/// other (so a password change or reset still moves it on).
pub fn unusable_password() -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    format!("!{}", crate::base::random::random_string(40, CHARS))
}

#[cfg(test)]
mod unusable_tests {
    use super::*;

    #[test]
    fn an_unusable_password_is_djangos_and_each_is_new() {
        let (a, b) = (unusable_password(), unusable_password());
        assert_eq!(hash_format(&a), "unusable");
        assert!(a.starts_with('!') && a.len() == 41, "{a}");
        assert_ne!(a, b);
    }
}
