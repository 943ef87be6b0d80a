//! Hostile input: crafted requests an attacker (or a broken client) could
//! send. Each must get the contract's exact answer (a 4xx, or the ordinary
//! success where the input is only unusual), change nothing in the users,
//! sessions and blacklist tables, never answer 5xx or panic, and still carry
//! the security headers.
//!
//! The cases are tables, one module per theme; a table runs every case and
//! reports all that failed at once. Password-checking cases are many, so
//! these apps run with the throttle's limits raised (the throttle has its
//! own tests).
//!
//! A refusal that comes before an endpoint's own logic is the pipeline's,
//! so it must be the same on every endpoint that reaches that step. The
//! runner replays such a case on every such route of the route table:
//!
//! * 413 and 406 (admission): every endpoint;
//! * 415 and JSON parse errors (the body step): every endpoint that reads a
//!   body, with alice's access token for those that need a caller;
//! * a 401 from a credential, a 403 from the CSRF check (authentication):
//!   every endpoint that authenticates; "credentials were not provided"
//!   only on those that require a caller.
//!
//! Everything else runs on its own endpoint only. Where API.md is silent, a
//! case asserts what the code does now when that is a sensible 4xx, and
//! says so in a comment.

mod basic;
mod bearer;
mod bodies;
mod crafted;
mod csrf;
mod headers;
mod jwt_auth;
mod runner;
mod sessions;
