//! Password hashing and checking, always off the async executor.
//!
//! New hashes are always ours: Argon2id with OWASP's parameters
//! ([`MEMORY_KIB`], [`ITERATIONS`], [`PARALLELISM`]). Checking also accepts
//! the hashes of users imported from Django, so they can log in with their
//! Django passwords; [`check_password`] then says the hash should be
//! replaced with one of ours ([`Verdict::MatchNeedsUpgrade`]).
//!
//! | stored value | [`hash_format`] | checked as |
//! | --- | --- | --- |
//! | `$argon2id$v=19$m=19456,t=2,p=1$salt$hash` | `argon2id` | ours; other Argon2id parameters verify too, but need an upgrade |
//! | `pbkdf2_sha256$iterations$salt$base64 hash` | `pbkdf2_sha256` | Django's `PBKDF2PasswordHasher`: PBKDF2-HMAC-SHA256, 32 bytes, any iteration count |
//! | `argon2$argon2id$v=19$m=…,t=…,p=…$salt$hash` (or `argon2i`, `argon2d`) | `argon2 (django)` | Django's `Argon2PasswordHasher`: the PHC string after `argon2` |
//! | `bcrypt_sha256$$2b$12$salt+hash` | `bcrypt_sha256` | Django's `BCryptSHA256PasswordHasher`: bcrypt of the lowercase hex SHA-256 of the password |
//! | `!…` | `unusable` | Django's unusable password (`set_unusable_password`): never matches |
//! | anything else, or malformed | `unknown` | never matches |
//!
//! As in libargon2 (and so Django), an Argon2 PHC string without `v=` is
//! Argon2 version 0x10.
//!
//! ## Equal time for every failure
//!
//! A failed check takes as long whatever the username names: no user, an
//! inactive one (checked as no user), an unusable or malformed hash, one of
//! ours, or an imported Django hash not yet replaced. Each kind of hash
//! costs a kind of work — Argon2 (KiB × passes), PBKDF2 (iterations),
//! bcrypt (2^cost rounds) — and [`HashCosts`] holds the most of each that any
//! stored hash needs (the users table keeps these marks; `import-django`
//! raises them). A failed check first does its real verification, if any,
//! then the rest of every kind up to the marks with dummy inputs: Argon2 as
//! extra passes at our memory size (the same time per KiB-pass, without
//! needing a Django hash's memory), PBKDF2 as the missing iterations,
//! bcrypt as the missing rounds. With only our own hashes stored that is one
//! Argon2id verification, as before; while unmigrated Django hashes are
//! stored, every failed check pays for the costliest of them as well
//! (tests/BENCHMARKS.md, "Equal time"). A successful check pays only for its
//! own hash.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{Error as PhcError, PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use pbkdf2::sha2::{Digest, Sha256};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;
use thiserror::Error;

use crate::model::user::HashCosts;

/// OWASP Password Storage Cheat Sheet: Argon2id, m=19 MiB, t=2, p=1.
pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

/// Argon2 work (KiB × passes) of one verification against our own hashes.
pub const OUR_ARGON2_WORK: u64 = MEMORY_KIB as u64 * ITERATIONS as u64;

/// The Argon2id hash of a random password nobody knows, with the same
/// parameters as real hashes, so verifying against it costs the same.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$gZiV/M1gPOl6S1ZscV7tJw$cRvCXGWVl2BDVmNbJ9CQxM9/V6RRfoo2X/dW6GQXEOo";

#[derive(Debug, Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Outcome of checking a password against a stored hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Wrong password, or a stored hash that can never match.
    Mismatch,
    /// Right password, and the stored hash is ours with our parameters.
    Match,
    /// Right password, but the stored hash is another format (Django's) or
    /// other parameters: the caller should store [`hash_password`] of it.
    MatchNeedsUpgrade,
}

impl Verdict {
    /// Whether the password was right.
    pub fn matched(self) -> bool {
        self != Verdict::Mismatch
    }
}

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

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("the OWASP parameters are valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` into an Argon2id PHC string with a fresh random salt.
pub async fn hash_password(password: SecretString) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password)).await?
}

/// The blocking half of [`hash_password`], for command-line tools.
pub fn hash_password_blocking(password: &SecretString) -> Result<String, PasswordError> {
    argon2()
        .hash_password(password.expose_secret().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Checks `password` against `stored` (any format in the module docs); with
/// `None` (no such user) it spends the time of a verification against
/// [`DUMMY_HASH`] and returns false. A failure takes as long as any other
/// while only our own hashes are stored (see [`check_password_evenly`]).
pub async fn verify_password(
    password: SecretString,
    stored: Option<String>,
) -> Result<bool, PasswordError> {
    Ok(check_password(password, stored).await?.matched())
}

/// Like [`verify_password`], but says whether a matching stored hash is not
/// our native Argon2id with our parameters (so the caller should re-hash it).
pub async fn check_password(
    password: SecretString,
    stored: Option<String>,
) -> Result<Verdict, PasswordError> {
    check_password_evenly(password, stored, HashCosts::default()).await
}

/// Like [`check_password`], but a failure spends the work of every kind
/// up to `costs` (the users table's marks), so that it takes as long
/// whatever `stored` is (module docs).
pub async fn check_password_evenly(
    password: SecretString,
    stored: Option<String>,
    costs: HashCosts,
) -> Result<Verdict, PasswordError> {
    let check = move || check_blocking(&password, stored.as_deref(), costs);
    Ok(tokio::task::spawn_blocking(check).await?)
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
enum Stored<'a> {
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
    fn parse(stored: &'a str) -> Self {
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
    fn costs(&self) -> HashCosts {
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
    fn check(&self, password: &SecretString) -> Option<Verdict> {
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

/// The blocking half of [`check_password_evenly`].
fn check_blocking(password: &SecretString, stored: Option<&str>, costs: HashCosts) -> Verdict {
    let stored = stored.map(Stored::parse);
    let verdict = stored.as_ref().and_then(|s| s.check(password));
    if let Some(verdict) = verdict.filter(|v| v.matched()) {
        return verdict;
    }
    // A failure: spend the rest of every kind of work up to the marks.
    let done = match (&stored, verdict) {
        (Some(stored), Some(_)) => stored.costs(),
        _ => HashCosts::default(),
    };
    spend_the_rest(password, done, costs);
    Verdict::Mismatch
}

/// Dummy work of every kind, from `done` up to `costs` (and to one of our
/// own verifications at least), on the password given (its length and
/// bytes as a real check would use them) with fixed salts.
fn spend_the_rest(password: &SecretString, done: HashCosts, costs: HashCosts) {
    let password = password.expose_secret().as_bytes();
    let argon2_work = costs.argon2_work.max(OUR_ARGON2_WORK);
    let passes = argon2_work.saturating_sub(done.argon2_work) as f64 / f64::from(MEMORY_KIB);
    let passes = passes.round() as u32;
    if passes > 0 {
        let params = Params::new(MEMORY_KIB, passes, PARALLELISM, None)
            .expect("our memory and parallelism are valid Argon2 parameters");
        let mut out = [0; 32];
        let _ = Argon2::new(Algorithm::Argon2id, Version::V0x13, params).hash_password_into(
            password,
            b"auth.dummy.salt.",
            &mut out,
        );
    }
    let iterations = costs
        .pbkdf2_iterations
        .saturating_sub(done.pbkdf2_iterations);
    if iterations > 0 {
        pbkdf2_sha256(password, b"auth.dummy.salt", iterations);
    }
    // bcrypt's rounds double with each cost: 2^T - 2^D rounds are one run
    // at each cost from D to T - 1; none done, one run at T.
    let runs = match done.bcrypt_cost {
        _ if costs.bcrypt_cost == 0 => 0..0,
        0 => costs.bcrypt_cost..costs.bcrypt_cost + 1,
        d => d..costs.bcrypt_cost,
    };
    for cost in runs {
        let _ = bcrypt::hash_with_salt(password, cost.max(4), *b"auth.dummy.salt.");
    }
}

/// An Argon2 (d, i or id) PHC string with valid parameters, a salt and a hash.
fn parse_argon2(phc: &str) -> Option<PasswordHash> {
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
fn has_our_parameters(hash: &PasswordHash) -> bool {
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
fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// Hashes made by Django 6.1.3 itself; see tests/fixtures/README.md.
    const DJANGO_HASHES: &str = include_str!("../../tests/fixtures/django-hashes.json");

    #[derive(Clone, Deserialize)]
    struct Vector {
        hasher: String,
        password: Option<String>,
        hash: String,
    }

    fn django_vectors() -> Vec<Vector> {
        serde_json::from_str(DJANGO_HASHES).expect("the fixture is a list of vectors")
    }

    async fn check(password: &str, stored: &str) -> Verdict {
        check_password(SecretString::from(password), Some(stored.to_owned()))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hash = hash_password(SecretString::from("correct horse"))
            .await
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            verify_password(SecretString::from("correct horse"), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify_password(SecretString::from("correct horsf"), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert_eq!(check("correct horse", &hash).await, Verdict::Match);
        assert_eq!(check("correct horsf", &hash).await, Verdict::Mismatch);
        assert_eq!(hash_format(&hash), "argon2id");
        assert!(importable(&hash));
    }

    #[tokio::test]
    async fn salts_differ() {
        let a = hash_password(SecretString::from("x")).await.unwrap();
        let b = hash_password(SecretString::from("x")).await.unwrap();
        assert_ne!(a, b);
    }

    #[tokio::test]
    async fn unknown_users_and_corrupt_hashes_never_match() {
        assert!(!verify_password(SecretString::from(""), None).await.unwrap());
        assert_eq!(
            check_password(SecretString::from(""), None).await.unwrap(),
            Verdict::Mismatch
        );
        assert!(
            !verify_password(SecretString::from("x"), Some("not a phc string".into()))
                .await
                .unwrap()
        );
    }

    #[test]
    fn dummy_hash_uses_the_same_parameters() {
        let parsed = PasswordHash::new(DUMMY_HASH).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert!(DUMMY_HASH.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(has_our_parameters(&parse_argon2(DUMMY_HASH).unwrap()));
    }

    #[test]
    fn the_fixture_covers_every_django_format() {
        let vectors = django_vectors();
        for hasher in ["pbkdf2_sha256", "argon2", "bcrypt_sha256", "unusable"] {
            assert!(vectors.iter().any(|v| v.hasher == hasher), "{hasher}");
        }
        for variant in ["argon2$argon2id$", "argon2$argon2i$", "argon2$argon2d$"] {
            assert!(
                vectors.iter().any(|v| v.hash.starts_with(variant)),
                "{variant}"
            );
        }
        for iterations in ["$1$", "$999$", "$1000$", "$1500000$"] {
            let pbkdf2 = format!("pbkdf2_sha256{iterations}");
            assert!(
                vectors.iter().any(|v| v.hash.starts_with(&pbkdf2)),
                "{pbkdf2}"
            );
        }
        let passwords: Vec<_> = vectors
            .iter()
            .filter_map(|v| v.password.as_deref())
            .collect();
        assert!(passwords.iter().any(|p| !p.is_ascii()));
        assert!(passwords.iter().any(|p| p.ends_with(' ')));
        assert!(passwords.iter().any(|p| p.len() > 72));
    }

    /// Every usable Django vector: the right password matches (and needs an
    /// upgrade), near misses do not, and the format is named. All vectors
    /// run at once, each on the blocking pool.
    #[tokio::test]
    async fn django_hashes_verify_with_their_password_only() {
        let mut checks = tokio::task::JoinSet::new();
        for v in django_vectors()
            .into_iter()
            .filter(|v| v.hasher != "unusable")
        {
            let password = v.password.clone().expect("usable vectors have a password");
            let mut shortened = password.clone();
            shortened.pop();
            // The shortened one drops the trailing space of that vector: no trimming.
            for wrong in [format!("{password}x"), shortened] {
                let hash = v.hash.clone();
                checks.spawn(async move {
                    let verified = verify_password(wrong.clone().into(), Some(hash.clone()));
                    assert!(!verified.await.unwrap(), "{wrong:?} against {hash}");
                });
            }
            let hash = v.hash.clone();
            checks.spawn(async move {
                let verdict = check(&password, &hash).await;
                assert_eq!(verdict, Verdict::MatchNeedsUpgrade, "{hash}");
            });
            let format = match v.hasher.as_str() {
                "pbkdf2_sha256" => "pbkdf2_sha256",
                "argon2" => "argon2 (django)",
                "bcrypt_sha256" => "bcrypt_sha256",
                other => panic!("unexpected hasher {other} in the fixture"),
            };
            assert_eq!(hash_format(&v.hash), format, "{}", v.hash);
            assert!(importable(&v.hash), "{}", v.hash);
        }
        while let Some(done) = checks.join_next().await {
            done.unwrap();
        }
    }

    #[tokio::test]
    async fn unusable_passwords_never_match() {
        let unusable: Vec<_> = django_vectors()
            .into_iter()
            .filter(|v| v.hasher == "unusable")
            .map(|v| v.hash)
            .chain(["!".to_owned(), format!("!{DUMMY_HASH}")])
            .collect();
        for hash in unusable {
            assert_eq!(hash_format(&hash), "unusable", "{hash}");
            assert!(importable(&hash), "{hash}");
            for password in ["", "!", &hash, &hash[1..]] {
                assert_eq!(check(password, &hash).await, Verdict::Mismatch, "{hash}");
            }
        }
    }

    /// Each with the password that would match if the value were read
    /// leniently; none may match, and none is importable.
    #[tokio::test]
    async fn unknown_and_malformed_formats_never_match() {
        let vectors = django_vectors();
        let find = |prefix: &str| {
            vectors
                .iter()
                .find(|v| v.hash.starts_with(prefix))
                .unwrap_or_else(|| panic!("a {prefix} vector"))
        };
        let pbkdf2 = find("pbkdf2_sha256$1000$");
        let argon2 = find("argon2$argon2id$");
        let bcrypt = find("bcrypt_sha256$");
        let pbkdf2_password = pbkdf2.password.as_deref().unwrap();
        let bcrypt_password = bcrypt.password.as_deref().unwrap();
        let hex_of_bcrypt_password = hex::encode(Sha256::digest(bcrypt_password));
        let cases = [
            ("", ""),
            ("x", "not a phc string"),
            ("x", "pbkdf2_sha256$"),
            ("x", "argon2$"),
            ("x", "bcrypt_sha256$"),
            // Django compares the re-encoded string: "01000" is not "1000".
            (pbkdf2_password, &pbkdf2.hash.replace("$1000$", "$01000$")),
            (pbkdf2_password, &pbkdf2.hash.replace("$1000$", "$+1000$")),
            (pbkdf2_password, &pbkdf2.hash.replace("$1000$", "$0$")),
            (pbkdf2_password, pbkdf2.hash.trim_end_matches('=')),
            (pbkdf2_password, &format!("{}$", pbkdf2.hash)),
            (
                pbkdf2_password,
                &pbkdf2.hash.replace("pbkdf2_sha256", "pbkdf2_sha1"),
            ),
            // The same PHC string under another name, or truncated.
            (
                argon2.password.as_deref().unwrap(),
                &argon2.hash.replace("argon2$argon2id", "argon2$argon2x"),
            ),
            (
                argon2.password.as_deref().unwrap(),
                &argon2.hash[..argon2.hash.rfind('$').unwrap()],
            ),
            // A bare argon2i PHC string is neither ours nor Django's.
            (
                argon2.password.as_deref().unwrap(),
                &argon2.hash["argon2".len()..].replace("$argon2id$", "$argon2i$"),
            ),
            // Django's plain BCryptPasswordHasher and a bare bcrypt string:
            // not supported, even with the pre-hashed password.
            (
                bcrypt_password,
                &bcrypt.hash.replace("bcrypt_sha256$", "bcrypt$"),
            ),
            (
                &hex_of_bcrypt_password,
                &bcrypt.hash["bcrypt_sha256$".len()..],
            ),
            (bcrypt_password, &bcrypt.hash.replace("$12$", "$99$")),
            (bcrypt_password, &format!("{}x", bcrypt.hash)),
            ("x", "md5$salt$0123456789abcdef0123456789abcdef"),
            ("x", "sha1$$0123456789abcdef0123456789abcdef01234567"),
        ];
        for (password, hash) in cases {
            assert_eq!(hash_format(hash), "unknown", "{hash}");
            assert!(!importable(hash), "{hash}");
            assert_eq!(check(password, hash).await, Verdict::Mismatch, "{hash}");
        }
    }

    #[tokio::test]
    async fn native_hashes_with_other_parameters_need_an_upgrade() {
        let password = SecretString::from("correct horse");
        let weaker = Params::new(8 * 1024, 1, 1, None).unwrap();
        let longer = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, Some(64)).unwrap();
        let mut hashes = Vec::new();
        for (version, params) in [
            (Version::V0x13, weaker),
            (Version::V0x13, longer),
            (
                Version::V0x10,
                Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None).unwrap(),
            ),
        ] {
            let hash = Argon2::new(Algorithm::Argon2id, version, params)
                .hash_password(password.expose_secret().as_bytes())
                .unwrap()
                .to_string();
            hashes.push(hash);
        }
        // Django's default argon2id parameters, without Django's prefix.
        let django = django_vectors()
            .into_iter()
            .find(|v| v.hash.starts_with("argon2$argon2id$"))
            .unwrap();
        let bare = django.hash["argon2".len()..].to_owned();
        for (right, hash) in hashes
            .iter()
            .map(|h| ("correct horse", h))
            .chain([(django.password.as_deref().unwrap(), &bare)])
        {
            assert_eq!(hash_format(hash), "argon2id", "{hash}");
            assert_eq!(
                check(right, hash).await,
                Verdict::MatchNeedsUpgrade,
                "{hash}"
            );
            assert_eq!(check("wrong", hash).await, Verdict::Mismatch, "{hash}");
        }
    }

    #[test]
    fn hash_costs_name_the_work_of_each_kind() {
        let of = |prefix: &str| {
            let v = django_vectors();
            HashCosts::of(&v.iter().find(|v| v.hash.starts_with(prefix)).unwrap().hash)
        };
        assert_eq!(HashCosts::of(DUMMY_HASH).argon2_work, OUR_ARGON2_WORK);
        assert!(!HashCosts::of(DUMMY_HASH).beyond_ours());
        let pbkdf2 = of("pbkdf2_sha256$1500000$");
        assert_eq!(pbkdf2.pbkdf2_iterations, 1_500_000);
        assert_eq!(of("bcrypt_sha256$$2b$12$").bcrypt_cost, 12);
        assert_eq!(
            of("argon2$argon2id$v=19$m=102400,t=2,p=8").argon2_work,
            204_800
        );
        assert_eq!(HashCosts::of("!unusable"), HashCosts::default());
        assert_eq!(HashCosts::of("garbage"), HashCosts::default());
        let both = pbkdf2.max(of("bcrypt_sha256$$2b$12$"));
        assert_eq!((both.pbkdf2_iterations, both.bcrypt_cost), (1_500_000, 12));
        assert!(both.beyond_ours());
        let m = |prefix: &str| {
            let v = django_vectors();
            verification_memory_kib(&v.iter().find(|v| v.hash.starts_with(prefix)).unwrap().hash)
        };
        assert_eq!(m("argon2$argon2id$v=19$m=102400"), 102_400);
        assert_eq!(m("pbkdf2_sha256$"), 0);
        assert_eq!(verification_memory_kib(DUMMY_HASH), MEMORY_KIB);
    }

    #[tokio::test]
    async fn failures_are_still_failures_whatever_the_marks() {
        let marks = HashCosts {
            argon2_work: 3 * OUR_ARGON2_WORK,
            pbkdf2_iterations: 2_000,
            bcrypt_cost: 5,
        };
        let check = |stored: Option<&str>, password: &str| {
            check_password_evenly(
                SecretString::from(password),
                stored.map(str::to_owned),
                marks,
            )
        };
        let ours = hash_password(SecretString::from("right")).await.unwrap();
        assert_eq!(check(Some(&ours), "right").await.unwrap(), Verdict::Match);
        assert_eq!(
            check(Some(&ours), "wrong").await.unwrap(),
            Verdict::Mismatch
        );
        assert_eq!(check(None, "right").await.unwrap(), Verdict::Mismatch);
        assert_eq!(check(Some("!x"), "right").await.unwrap(), Verdict::Mismatch);
    }
}
