//! The domain model: plain data, no I/O. Users (with their two-factor
//! state and the hash-cost marks), sessions, refresh-token state and
//! counters, OAuth clients, authorization codes and users' consents to them, as the store keeps them and the layers above reason about them.

pub mod client;
pub mod code;
pub mod consent;
pub mod counter;
pub mod key;
pub mod mfa;
pub mod passkey;
pub mod session;
pub mod token;
pub mod user;
