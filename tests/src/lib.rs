//! Test harness: a real DynamoDB-API server (moto) started on a free
//! loopback port, fresh tables per test, and helpers to build API Gateway
//! v2 events and read the functions' responses.
//!
//! `spawn_app()` gives each test its own tables, so tests run in parallel
//! without seeing each other's users, sessions or blacklisted tokens.
//!
//! Bottom-up: [`paths`], [`process`], [`template`] and [`iam`] (the SAM
//! template and IAM as deployed), [`moto`] (the server and its clients),
//! [`app`] (the app under test), [`event`] (requests and responses),
//! [`routes`] (the route table), [`stack`] (the local stack over HTTP),
//! and the tools of the benchmarks ([`lambda`], [`faults`], [`totp`]).

pub use auth;

pub mod app;
pub mod event;
pub mod faults;
pub mod iam;
pub mod lambda;
pub mod moto;
pub mod paths;
pub mod process;
pub mod pwned;
pub mod routes;
pub mod softkey;
pub mod stack;
pub mod template;
pub mod totp;

pub use app::*;
pub use event::*;
pub use moto::*;
pub use paths::*;
pub use process::*;
pub use routes::{ROUTES, Route};
