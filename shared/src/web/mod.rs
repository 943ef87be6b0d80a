//! The HTTP side every endpoint shares: the request parsed once
//! ([`request`]), the one pipeline every request runs through ([`view`]),
//! and the response with its cookies and headers ([`response`]).

pub mod cors;
pub mod request;
pub mod response;
pub mod view;

pub use request::{Data, Field, MAX_BODY_BYTES, Request};
pub use response::{CSRF_COOKIE, Cache, CookieAttributes, Cookies, Reply, SESSION_COOKIE, to_json};
pub use view::{
    Anonymous, Answer, Auth, Authentication, Endpoint, Family, Optional, Required, Serves, View,
    serve,
};
