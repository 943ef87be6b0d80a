//! The HTTP side every endpoint shares, bottom-up: the request parsed
//! once ([`request`]), what an endpoint answers ([`reply`]), body fields
//! ([`fields`]), the contract's words for every refusal ([`contract`]),
//! CORS ([`cors`]), the OAuth provider's parameters and client
//! authentication ([`oauth`]), server-rendered pages ([`page`]), the second factor in the login flow
//! ([`second_factor`]), passkeys' ceremonies ([`passkeys`]), sign-up's
//! shared half ([`signup`]), a refresh token's renewal ([`refresh`]), who is calling ([`authn`]), what a view declares
//! ([`view`]), the render step ([`render`]) and the one pipeline
//! ([`pipeline`]).

pub mod authn;
pub mod body;
pub mod contract;
pub mod cors;
pub mod fields;
pub mod oauth;
pub mod page;
pub mod passkeys;
pub mod pipeline;
pub mod refresh;
pub mod render;
pub mod reply;
pub mod request;
pub mod second_factor;
pub mod signup;
pub mod view;

pub use pipeline::serve;
pub use reply::{CSRF_COOKIE, Cache, CookieAttributes, Cookies, Reply, SESSION_COOKIE, to_json};
pub use request::{Data, Field, MAX_BODY_BYTES, Request, Serves};
pub use view::{
    Anonymous, Answer, Auth, Authentication, Endpoint, Family, Optional, Required, View,
};
