//! Storage: users, sessions and blacklisted refresh tokens.
//!
//! Narrow traits, one per table, so each handler names only what it uses.
//! [`DynamoStore`] is the real thing; [`MemoryStore`] has the same behaviour
//! in memory for unit tests and benchmarks. Items past their `expires_at`
//! count as absent in both, whether or not DynamoDB's TTL sweeper has removed
//! them yet.

mod dynamo;
mod memory;

use std::future::Future;

pub use dynamo::{DynamoStore, create_tables};
pub use memory::MemoryStore;
use thiserror::Error;

/// Longest username accepted (Django's `AbstractUser.username` max_length).
pub const MAX_USERNAME_CHARS: usize = 150;

#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct User {
    pub id: u64,
    pub username: String,
    /// PHC string (`$argon2id$...`).
    pub password: String,
    pub is_active: bool,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("is_active", &self.is_active)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Session {
    pub session_key: String,
    pub user_id: u64,
    /// HMAC of the user's password hash when the session was created.
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

/// The store could not answer: unreachable, throttled, or a corrupt item.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("corrupt item in {table}: {reason}")]
    Corrupt { table: String, reason: String },
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
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an admin may change on a user.
#[derive(Debug, Clone)]
pub enum UserChange {
    Password(String),
    Active(bool),
}

pub trait UserStore: Send + Sync {
    fn user_by_id(&self, id: u64) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;

    fn user_by_username(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<User>, StoreError>> + Send;
}

pub trait UserAdmin: UserStore {
    /// Creates a user with the next id; the username must be free.
    fn create_user(
        &self,
        username: &str,
        password_hash: &str,
    ) -> impl Future<Output = Result<User, CreateUserError>> + Send;

    fn update_user(
        &self,
        id: u64,
        change: UserChange,
    ) -> impl Future<Output = Result<User, UpdateUserError>> + Send;
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

pub trait BlacklistStore: Send + Sync {
    fn is_blacklisted(&self, jti: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Blacklists `jti` until `expires_at`; false if it already was.
    fn blacklist(
        &self,
        jti: &str,
        expires_at: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Everything the functions use; both stores implement it.
pub trait Store: UserStore + SessionStore + BlacklistStore {}
impl<T: UserStore + SessionStore + BlacklistStore> Store for T {}

/// Usernames that can exist: 1 to 150 characters, Django's
/// `UnicodeUsernameValidator` (`^[\w.@+-]+\Z`).
pub fn valid_username(username: &str) -> bool {
    let count = username.chars().count();
    (1..=MAX_USERNAME_CHARS).contains(&count)
        && username
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || matches!(c, '.' | '@' | '+' | '-'))
}

/// Session keys as we issue them: 32 characters `[a-z0-9]`.
pub fn valid_session_key(key: &str) -> bool {
    key.len() == 32
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}
