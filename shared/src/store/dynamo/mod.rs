//! The store on DynamoDB.
//!
//! Tables (names from the settings):
//!
//! * users, partition key `pk` (S), three kinds of item:
//!   - `id#<n>`: `id`, `username`, `password` (PHC), `is_active`, `gen` — the user;
//!   - `username#<name>`: `id` — makes usernames unique (conditional put);
//!   - `counter#user_id`: `value` — the last id handed out (atomic `ADD`).
//!
//!   A user's two items are written in one transaction, each conditioned on
//!   not existing, so concurrent sign-ups never share an id or a username.
//! * sessions, partition key `session_key` (S) — the SHA-256 of the key,
//!   never the key itself (`stored_session_key`): `user_id`, `auth_hash`,
//!   `expires_at` (TTL).
//! * blacklist, partition key `jti` (S): `expires_at` (TTL); a rotated
//!   token's entry also names its family and successor (`fam`, `next_jti`,
//!   `next_iat`, `next_exp`, `rotated_at`); `fam#<id>` items revoke a whole
//!   family of refresh tokens.
//!
//!   A user with two-factor authentication also has, on `id#<n>`:
//!   `totp_pending` (an enrolment's sealed secret), `totp` (the sealed
//!   secret once on), `totp_step` (the last time step accepted) and
//!   `recovery` (a map whose keys are the unused recovery codes' hashes).
//!
//!   A user with passkeys has, on `id#<n>`, one `passkey#<credential id>`
//!   map each (`name`, `created`, `last_used`, `backed_up`, `credential`:
//!   webauthn-rs's `Passkey` as JSON) and `passkey_count`; and for each a
//!   `credential#<credential id>` item (`id`) in the users table, written
//!   with it on the condition that it does not exist: a credential id
//!   belongs to one user.
//!
//!   OAuth clients are `client#<id>` items in the users table (the client
//!   as serde writes it; a confidential client's secret only as its
//!   SHA-256), registered by a conditional put.
//! * throttle, partition key `counter_key` (S): `hits`, `expires_at` (TTL) —
//!   password attempts per username or client address per window; and
//!   `mfa#<jti>` items: an `mfa_token`'s wrong codes (`hits`) and its use
//!   (`used`), until the token expires; `webauthn#<challenge>` items: a
//!   WebAuthn ceremony's state (`kind`, `user_id`, `state`), until taken
//!   or expired.
//!
//! Every read is strongly consistent. Items past `expires_at` count as absent.

mod admin;
mod client;
mod clients;
mod keys;
mod mfa;
mod passkeys;
mod sessions;
mod tables;
mod throttle;
mod tokens;
mod update;
mod users;

pub use admin::{ImportRefused, Imported, Unthrottle};
pub use client::{DynamoStore, TTL_ATTRIBUTE};
pub use tables::create_tables;
