//! The auth crate every function uses. It reads bottom-up, in layers; a
//! module uses only the layers below it and its own (no cycles: CI runs
//! cargo-cycles):
//!
//! 1. [`base`] primitives (time, randomness, addresses, MACs, the JWT key ring, audit) and [`settings`];
//! 2. [`model`], plain data, and [`store`], its traits with DynamoDB and in-memory implementations;
//! 3. [`credentials`]: passwords, Django's hashes, sessions, tokens, second factors; [`mail`], the emails;
//! 4. [`app`], the state built per cold start, and [`policy`]: throttles, refresh families, CSRF; [`accounts`]: sign-up, verification and reset emails and their keys;
//! 5. [`web`], the request pipeline, authentication and the contract's words; [`runtime`] on top.
//!
//! Each endpoint's own logic lives in its function crate
//! (`functions/<name>/src/lib.rs`: its `VIEW` and its `handler`).

pub mod accounts;
pub mod app;
pub mod base;
pub mod credentials;
#[cfg(feature = "test-util")]
pub mod fixtures;
pub mod mail;
pub mod model;
pub mod policy;
pub mod runtime;
pub mod settings;
pub mod store;
pub mod web;

pub use app::App;
pub use aws_config;
pub use aws_sdk_dynamodb;
pub use form_urlencoded;
pub use futures_util::future::join;
pub use lambda_http;
pub use secrecy;
pub use serde_json;
pub use tracing;
pub use web::contract::ApiError;
