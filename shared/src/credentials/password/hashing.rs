//! Hashing and checking passwords, off the async executor, and in equal
//! time for every failure (the module docs of `password`).

use argon2::password_hash::PasswordHasher;
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};

use super::formats::{Stored, pbkdf2_sha256};
use super::params::{MEMORY_KIB, OUR_ARGON2_WORK, PARALLELISM, PasswordError, Verdict, argon2};
use crate::model::user::HashCosts;

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
/// `DUMMY_HASH` and returns false. A failure takes as long as any other
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

#[cfg(test)]
mod tests {
    use super::super::formats::{
        has_our_parameters, hash_format, importable, parse_argon2, verification_memory_kib,
    };
    use super::super::params::DUMMY_HASH;
    use super::super::params::ITERATIONS;
    use super::*;
    use argon2::password_hash::phc::PasswordHash;
    use pbkdf2::sha2::{Digest, Sha256};
    use serde::Deserialize;

    /// Hashes made by Django 6.1.3 itself; see tests/fixtures/README.md.
    const DJANGO_HASHES: &str = include_str!("../../../tests/fixtures/django-hashes.json");

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
