//! Credentials: passwords (Argon2id, Django's hashes, Django's validators),
//! session keys and their auth hash, simplejwt and tutorial tokens, and
//! second factors (TOTP, recovery codes, `mfa_token`s), device cookies;
//! OAuth clients' secrets and scopes; and Django's `dumpdata` users.

pub mod breach;
pub mod device;
pub mod django;
pub mod mfa;
pub mod oauth;
pub mod passkeys;
pub mod password;
pub mod session;
pub mod tokens;
pub mod validators;
