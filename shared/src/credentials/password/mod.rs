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

mod formats;
mod hashing;
mod params;

pub use formats::{hash_format, importable, unusable_password, verification_memory_kib};
pub use hashing::*;
pub use params::*;
