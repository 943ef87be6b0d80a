//! Contract tests: every line of `../shared/API.md`, driven through the
//! function handlers with real `Request`s against a real DynamoDB-API server
//! (moto), fresh tables per test.

mod accounts;
mod audit;
mod authn;
mod blacklist;
mod breach;
mod calls;
mod common;
mod concurrency;
mod csrf;
mod django;
mod events;
mod families;
mod faults;
mod frontends;
mod hardening;
mod helpers;
mod hostile;
mod iam;
mod info;
mod jwt_login;
mod keys;
mod lifecycle;
mod login;
mod logout;
mod mail;
mod mfa;
mod oauth;
mod oauth_code;
mod oauth_consent;
mod obtain;
mod passkey_signup;
mod passkeys;
mod profile;
mod refresh;
mod reset;
mod signup;
mod store;
mod throttle;
mod verify;

pub use helpers::*;
