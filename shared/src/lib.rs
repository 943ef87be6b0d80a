//! The auth crate every function uses.
//!
//! Mechanisms live here; each endpoint's own logic lives in its function
//! crate (`functions/<name>/src/lib.rs`: its `VIEW` and its `handler`).
//!
//! | module | what |
//! |---|---|
//! | [`web`] | the request parsed once, the one pipeline ([`web::serve`]), responses and cookies |
//! | [`contract`] | every error's status, body and headers, and every message of the contract |
//! | [`authn`] | the authentication chain: Basic, session, Token, Bearer, jwt-auth |
//! | [`csrf`] | Django's CSRF check |
//! | [`fields`] | reading body fields (DRF serializers, the tutorial's views) |
//! | [`tokens`] | tokens by name: issuing and checking simplejwt and tutorial tokens |
//! | [`jwt`] | the key ring: signing and signature checks (HS256) |
//! | [`mfa`] | two-factor authentication: TOTP codes, sealed secrets, recovery codes, `mfa_token`s |
//! | [`session`] | session keys and the session auth hash (user id + generation) |
//! | [`password`] | Argon2id hashing off the executor; Django hashes verified |
//! | [`random`] | random strings for secrets (Django's `get_random_string`) |
//! | [`validators`] | Django's default password validators |
//! | [`throttle`] | password-attempt throttling |
//! | [`audit`] | security events, one structured log line each |
//! | [`store`] | DynamoDB (and, with `test-util`, in-memory) storage behind narrow traits |
//! | [`settings`] | every setting and its default, in one table |
//! | [`app`] | the state built once per cold start |
//! | [`runtime`] | cold-start wiring: logging, settings, SSM, the Lambda runtime |
//! | [`aws`] | AWS SDK configuration (timeouts, retries) |
//! | [`django`] | reading Django's `dumpdata` users |
//! | [`time`] | epoch seconds |
//! | `fixtures` | (`test-util`) live credentials for the sample events |

pub mod app;
pub mod audit;
pub mod authn;
pub mod aws;
pub mod contract;
pub mod csrf;
pub mod django;
pub mod fields;
#[cfg(feature = "test-util")]
pub mod fixtures;
pub mod jwt;
pub mod mfa;
pub mod password;
pub mod random;
pub mod runtime;
pub mod second_factor;
pub mod session;
pub mod settings;
pub mod store;
pub mod throttle;
pub mod time;
pub mod tokens;
pub mod validators;
pub mod web;

pub use app::App;
pub use contract::ApiError;
pub use futures_util::future::join;
pub use lambda_http;
pub use secrecy;
pub use serde_json;
pub use tracing;
