//! The auth crate every function uses.
//!
//! Mechanisms live here; each endpoint's own logic lives in its function
//! crate (`functions/<name>/src/lib.rs`).
//!
//! | module | what |
//! |---|---|
//! | [`settings`] | every setting and its default |
//! | [`web`] | request parsing, responses, headers, cookies |
//! | [`fields`] | reading body fields (DRF serializers, the tutorial's views) |
//! | [`authn`] | the authentication chain: Basic, session, Token, Bearer, jwt-auth |
//! | [`csrf`] | Django's CSRF check |
//! | [`jwt`] | signing and signature checks (HS256) |
//! | [`tokens`] | claim rules for simplejwt and tutorial tokens |
//! | [`password`] | Argon2id hashing off the executor |
//! | [`session`] | session keys and the session password-hash HMAC |
//! | [`store`] | DynamoDB and in-memory storage behind narrow traits |

pub mod app;
pub mod authn;
pub mod aws;
pub mod csrf;
pub mod django;
pub mod fields;
pub mod fixtures;
pub mod jwt;
pub mod password;
pub mod runtime;
pub mod session;
pub mod settings;
pub mod store;
pub mod throttle;
pub mod time;
pub mod tokens;
pub mod validators;
pub mod web;

pub use app::App;
pub use lambda_http;
pub use secrecy;
pub use serde_json;
pub use tracing;
