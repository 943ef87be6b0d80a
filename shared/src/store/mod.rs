//! Storage: users, sessions and blacklisted refresh tokens.
//!
//! Narrow traits, one per table, so each handler names only what it uses.
//! [`DynamoStore`] is the real thing; `MemoryStore` (feature `test-util`)
//! has the same behaviour in memory for unit tests and benchmarks. Items
//! past their `expires_at` count as absent in both, whether or not
//! DynamoDB's TTL sweeper has removed them yet.

mod dynamo;
#[cfg(any(test, feature = "test-util"))]
mod memory;

use std::future::Future;

pub use dynamo::{DynamoStore, ImportRefused, Imported, Unthrottle, create_tables};
#[cfg(any(test, feature = "test-util"))]
pub use memory::MemoryStore;
use thiserror::Error;

pub use crate::password::HashCosts;

/// Longest username accepted (Django's `AbstractUser.username` max_length).
pub const MAX_USERNAME_CHARS: usize = 150;

#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct User {
    pub id: u64,
    pub username: String,
    /// PHC string (`$argon2id$...`).
    pub password: String,
    pub is_active: bool,
    /// Credential generation: moves on with every password change and
    /// logout-everywhere. Sessions and tokens of an older generation are
    /// refused.
    #[serde(default, rename = "gen")]
    pub generation: u64,
    /// Two-factor state (attributes of the user's item, read with it).
    #[serde(skip)]
    pub mfa: MfaState,
}

/// A user's two-factor state: `totp_pending`, `totp`, `totp_step` and
/// `recovery` on their users-table item, so a login reads it with the user
/// at no extra cost (and users without TOTP have none of them).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MfaState {
    /// The sealed secret of an enrolment not yet confirmed.
    pub pending: Option<String>,
    /// The sealed secret, when TOTP is on.
    pub totp: Option<String>,
    /// The last time step accepted: only later ones are accepted.
    pub step: Option<u64>,
    /// Keyed hashes of the unused recovery codes.
    pub recovery: Vec<String>,
}

impl MfaState {
    /// Whether a password alone no longer logs this user in.
    pub fn is_on(&self) -> bool {
        self.totp.is_some()
    }
}

impl std::fmt::Debug for MfaState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MfaState")
            .field("pending", &self.pending.is_some())
            .field("on", &self.totp.is_some())
            .field("step", &self.step)
            .field("recovery_codes", &self.recovery.len())
            .finish()
    }
}

/// What proves the second factor, as the store consumes it.
#[derive(Clone, PartialEq, Eq)]
pub enum Proof {
    /// A TOTP code matched this time step: only if it is later than the
    /// last one accepted.
    Step(u64),
    /// A recovery code with this stored hash: only if it is still there.
    Recovery(String),
}

impl std::fmt::Debug for Proof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Proof::Step(s) => write!(f, "Step({s})"),
            Proof::Recovery(_) => f.write_str("Recovery(..)"),
        }
    }
}

/// What else the write that consumes a [`Proof`] does.
#[derive(Clone, PartialEq, Eq)]
pub enum AfterProof {
    Nothing,
    /// New recovery-code hashes replace every old one.
    ReplaceRecovery(Vec<String>),
    /// TOTP off (every two-factor attribute removed) and the credential
    /// generation moved on, ending every session and token.
    Disable,
}

/// How consuming a proof went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redeemed {
    Done,
    /// The step was not later than the last accepted, the recovery code is
    /// used, TOTP is off, or the generation moved on: nothing written.
    CodeRefused,
    /// The `mfa_token` was used already or has had its wrong codes:
    /// nothing written.
    TokenRefused,
}

/// Two-factor state: every change one conditional write (or transaction).
pub trait MfaStore: Send + Sync {
    /// Stores `sealed` as user `id`'s pending secret, replacing any earlier
    /// one; false (nothing written) if TOTP is on or the user is gone.
    fn begin_totp(
        &self,
        id: u64,
        sealed: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Turns TOTP on with the pending secret `sealed` (only if it is still
    /// the pending one and TOTP is off), its first accepted `step` and the
    /// recovery-code hashes; false if not written.
    fn confirm_totp(
        &self,
        id: u64,
        sealed: &str,
        step: u64,
        recovery: &[String],
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Consumes `proof` for user `id` at credential generation
    /// `generation` (TOTP on), doing `then` in the same write, and with
    /// `token` (`mfa_token` id, expiry) marks that token used in the same
    /// transaction: all or nothing.
    fn redeem(
        &self,
        id: u64,
        generation: u64,
        proof: &Proof,
        token: Option<(&str, i64)>,
        then: &AfterProof,
    ) -> impl Future<Output = Result<Redeemed, StoreError>> + Send;

    /// Replaces user `id`'s sealed secret `old` with `new` (the same secret
    /// sealed under the current key), only if `old` is still the one
    /// stored; false if not written.
    fn reseal_totp(
        &self,
        id: u64,
        old: &str,
        new: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Counts a wrong code against `mfa_token` `jti` (kept until
    /// `expires_at`); the wrong codes so far.
    fn mfa_token_failed(
        &self,
        jti: &str,
        expires_at: i64,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("is_active", &self.is_active)
            .field("gen", &self.generation)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    /// The key the client holds; stored as its [`stored_session_key`].
    pub session_key: String,
    pub user_id: u64,
    /// The keyed HMAC of the user's id and credential generation when the
    /// session was created (`session.rs`): a password change or logout
    /// everywhere ends the session.
    pub auth_hash: String,
    /// Epoch seconds; the table's TTL attribute.
    pub expires_at: i64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// The store could not answer.
#[derive(Debug, Error)]
pub enum StoreError {
    /// Unreachable, too slow or throttling (a 503: try again).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// An item that does not read as what it should be (a 500).
    #[error("corrupt item in {table}: {reason}")]
    Corrupt { table: String, reason: String },
    /// A request we could not build or an item we could not serialize: a
    /// bug (a 500).
    #[error("store request failed: {0}")]
    Internal(String),
}

#[derive(Debug, Error)]
pub enum CreateUserError {
    #[error("a user with that username already exists")]
    UsernameTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Error)]
pub enum UpdateUserError {
    #[error("no such user")]
    NotFound,
    #[error("the password changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What may change on a user; each is one conditional write.
#[derive(Clone)]
pub enum UserChange {
    /// A new password hash. Moves `gen` on, ending every session and token.
    /// With `if_current`, only if the stored hash is still that one
    /// (else [`UpdateUserError::Conflict`]).
    Password {
        hash: String,
        if_current: Option<String>,
    },
    /// The same password re-hashed in our format (a Django hash upgraded
    /// at login): `gen` stays, so sessions and tokens live on. Only if the
    /// stored hash is still `if_current` (else Conflict).
    Rehash {
        hash: String,
        if_current: String,
    },
    Active(bool),
    /// Logout everywhere: moves `gen` on.
    Revoke,
    /// Two-factor authentication off (support's `authctl mfa disable`):
    /// every two-factor attribute removed, and `gen` moved on.
    DisableMfa,
}

impl UserChange {
    /// A new password, whatever the current one is.
    pub fn password(hash: impl Into<String>) -> Self {
        UserChange::Password {
            hash: hash.into(),
            if_current: None,
        }
    }
}

impl std::fmt::Debug for UserChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UserChange::Password { .. } => f.write_str("Password"),
            UserChange::Rehash { .. } => f.write_str("Rehash"),
            UserChange::Active(a) => write!(f, "Active({a})"),
            UserChange::Revoke => f.write_str("Revoke"),
            UserChange::DisableMfa => f.write_str("DisableMfa"),
        }
    }
}

/// A refresh token rotated into its successor (kept on its blacklist entry,
/// so a retry within `REFRESH_REUSE_INTERVAL` can be given the same
/// successor, and a later reuse can revoke the family).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub fam: String,
    pub next_jti: String,
    pub next_iat: i64,
    pub next_exp: i64,
    pub rotated_at: i64,
}

/// A live blacklist entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub expires_at: i64,
    /// Set when the token was rotated rather than blacklisted by a client.
    pub rotation: Option<Rotation>,
}

/// What the tables say about one refresh token, read in one round trip.
#[derive(Debug, Clone, Default)]
pub struct TokenState {
    pub user: Option<User>,
    pub revoked: Option<Revocation>,
    pub family_revoked: bool,
}

pub trait UserStore: Send + Sync {
    fn user_by_id(&self, id: u64) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    fn user_by_username(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    /// What a password check needs: the user named `username` and the
    /// table's [`HashCosts`] marks. The round trips are the same whether
    /// or not the user exists.
    fn login_candidate(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<(Option<User>, HashCosts), StoreError>> + Send;

    /// Applies `change` in one conditional write; the user afterwards.
    fn update_user(
        &self,
        id: u64,
        change: UserChange,
    ) -> impl Future<Output = Result<User, UpdateUserError>> + Send;
}

pub trait UserAdmin: UserStore {
    /// Creates a user with the next id; the username must be free.
    fn create_user(
        &self,
        username: &str,
        password_hash: &str,
    ) -> impl Future<Output = Result<User, CreateUserError>> + Send;
}

pub trait SessionStore: Send + Sync {
    /// The live session with this key; expired sessions are absent.
    fn session(
        &self,
        session_key: &str,
    ) -> impl Future<Output = Result<Option<Session>, StoreError>> + Send;

    /// Stores a new session and, in the same write, deletes the session
    /// `replaces` (the one the client had, as Django's `cycle_key`/`flush`).
    /// False if the new key is already taken (nothing is written then).
    fn create_session(
        &self,
        session: &Session,
        replaces: Option<&str>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn delete_session(
        &self,
        session_key: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

pub trait TokenStore: Send + Sync {
    /// The user `user_id`, the blacklist entry of `jti` and whether family
    /// `fam` is revoked (each if given): one round trip.
    fn token_state(
        &self,
        user_id: Option<u64>,
        jti: Option<&str>,
        fam: Option<&str>,
    ) -> impl Future<Output = Result<TokenState, StoreError>> + Send;

    /// What the tables say about a token, in one round trip: its user, its
    /// family and, for a refresh token, its blacklist entry (access tokens
    /// are never blacklisted one by one).
    fn state_of(
        &self,
        token: &crate::tokens::ValidToken,
    ) -> impl Future<Output = Result<TokenState, StoreError>> + Send {
        let refresh = token.token_type() == Some(crate::tokens::TokenType::Refresh.as_str());
        self.token_state(token.lookup_id(), refresh.then(|| token.jti()), token.fam())
    }

    /// The live blacklist entry of `jti`.
    fn revocation(
        &self,
        jti: &str,
    ) -> impl Future<Output = Result<Option<Revocation>, StoreError>> + Send;

    fn is_blacklisted(&self, jti: &str) -> impl Future<Output = Result<bool, StoreError>> + Send {
        async move { Ok(self.revocation(jti).await?.is_some()) }
    }

    /// Blacklists `jti` until `expires_at`; false if it already was.
    fn blacklist(
        &self,
        jti: &str,
        expires_at: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Blacklists `jti` as rotated into `rotation.next_jti`; false (and
    /// nothing written) if it already was: of racing rotations one wins.
    fn rotate(
        &self,
        jti: &str,
        expires_at: i64,
        rotation: &Rotation,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Revokes every refresh token of family `fam` until `expires_at`.
    fn revoke_family(
        &self,
        fam: &str,
        expires_at: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// One password-attempt counter: its key, and the username and address it
/// counts (kept on the item, for `authctl unthrottle`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    pub key: String,
    pub username: Option<String>,
    pub address: Option<String>,
}

/// Counters of password attempts, per (username, address), username and
/// address, in fixed windows (see `crate::throttle`).
pub trait ThrottleStore: Send + Sync {
    /// Adds one attempt to each counter (atomically, one round trip); the
    /// new counts, in order. The counters expire at `expires_at`.
    fn hit(
        &self,
        counters: &[Counter],
        expires_at: i64,
    ) -> impl Future<Output = Result<Vec<u64>, StoreError>> + Send;

    /// After a successful check: forgets the counter `reset` and takes the
    /// attempt back from each of `undo`.
    fn release(
        &self,
        reset: &[String],
        undo: &[String],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Everything the functions use; both stores implement it.
pub trait Store: UserStore + SessionStore + TokenStore + ThrottleStore + MfaStore {}
impl<T: UserStore + SessionStore + TokenStore + ThrottleStore + MfaStore> Store for T {}

/// The throttle-table key counting an `mfa_token`'s wrong codes and its use.
pub(crate) fn mfa_token_key(jti: &str) -> String {
    bounded_key("mfa#", jti, 200)
}

/// `prefix` and `value` as one DynamoDB key, the value replaced by its
/// SHA-256 when longer than `max` bytes (keys stay short whatever a client
/// sends, and distinct values stay distinct keys).
pub(crate) fn bounded_key(prefix: &str, value: &str, max: usize) -> String {
    match value.len() <= max {
        true => format!("{prefix}{value}"),
        false => hashed_key(prefix, value),
    }
}

/// `prefix` and the SHA-256 of `value` as one DynamoDB key.
pub(crate) fn hashed_key(prefix: &str, value: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{prefix}sha256:{}", hex::encode(Sha256::digest(value)))
}

/// Usernames that can exist: 1 to 150 characters, Django's
/// `UnicodeUsernameValidator` (`^[\w.@+-]+\Z`).
pub fn valid_username(username: &str) -> bool {
    let count = username.chars().count();
    (1..=MAX_USERNAME_CHARS).contains(&count)
        && username
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || matches!(c, '.' | '@' | '+' | '-'))
}

/// What the sessions table is keyed by: the SHA-256 of the session key,
/// never the key itself, so whoever reads the table (a backup, an
/// over-broad role) cannot take over a session. The key has 160+ bits: a
/// plain hash is enough.
pub fn stored_session_key(session_key: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(session_key))
}

/// Session keys as we issue them: 32 characters `[a-z0-9]`.
pub fn valid_session_key(key: &str) -> bool {
    key.len() == 32
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}
