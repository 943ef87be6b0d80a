//! Storage: users, sessions, refresh tokens and counters, behind the
//! narrow traits of [`api`]. [`DynamoStore`] is the real thing;
//! `MemoryStore` (feature `test-util`) has the same behaviour in memory for
//! unit tests and benchmarks. Items past their `expires_at` count as absent
//! in both, whether or not DynamoDB's TTL sweeper has removed them yet. The
//! model's types are re-exported: they are the store's vocabulary.

pub mod api;
pub mod dynamo;
#[cfg(any(test, feature = "test-util"))]
pub mod memory;

pub use api::*;
pub use dynamo::{DynamoStore, ImportRefused, Imported, Unthrottle, create_tables};
#[cfg(any(test, feature = "test-util"))]
pub use memory::MemoryStore;

pub use crate::model::counter::Counter;
pub use crate::model::key::{AccountKey, KeyKind, KeyUse};
pub use crate::model::mfa::{AfterProof, Charged, Proof, Redeemed, SecondStep};
pub use crate::model::passkey::{
    Added, Applicant, Ceremony, CeremonyKind, DEFAULT_PASSKEY_NAME, MAX_PASSKEYS, PasskeyUse,
    StoredPasskey,
};
pub use crate::model::session::{Session, stored_session_key, valid_session_key};
pub use crate::model::token::{Revocation, Rotation, TokenState};
pub use crate::model::user::{
    HashCosts, MAX_EMAIL_CHARS, MAX_USERNAME_CHARS, MfaState, User, UserChange, email_identity,
    valid_email, valid_username,
};
