//! Primitives every layer above uses: epoch time, randomness, the client
//! address as throttling counts it, keyed MACs, the JWT key ring, the audit
//! trail, the AWS SDK's configuration and URLs' origins. Nothing here knows a user.

pub mod address;
pub mod audit;
pub mod aws;
pub mod jwt;
pub mod mac;
pub mod random;
pub mod time;
pub mod url;
