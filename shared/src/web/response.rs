//! Responses: what an endpoint answers ([`Reply`], with the cookies it
//! sets), and the one render step that turns it, or an error, into the
//! Lambda response with the headers DRF and Django add.

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Response};
use serde_json::Value;

use crate::authn::Via;
use crate::contract::ApiError;
use crate::settings::{CSRF_COOKIE_AGE, Seconds, Settings};
use crate::web::request::Request;
use crate::web::view::{Family, View};

pub const SESSION_COOKIE: &str = "sessionid";
pub const CSRF_COOKIE: &str = "csrftoken";

/// A response before the shared headers are added.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    /// Compact JSON, or nothing (then no `Content-Type` either).
    pub body: Option<String>,
    /// Seconds for a `Retry-After` header (429, 503).
    pub retry_after: Option<u64>,
    pub cookies: Cookies,
}

impl Reply {
    pub fn json(status: StatusCode, value: &Value) -> Self {
        Reply {
            status,
            body: Some(to_json(value)),
            retry_after: None,
            cookies: Cookies::default(),
        }
    }

    pub fn ok(value: &Value) -> Self {
        Self::json(StatusCode::OK, value)
    }

    pub fn empty(status: StatusCode) -> Self {
        Reply {
            status,
            body: None,
            retry_after: None,
            cookies: Cookies::default(),
        }
    }

    /// The reply with these cookies set (or deleted) too.
    pub fn with_cookies(mut self, cookies: Cookies) -> Self {
        self.cookies.merge(cookies);
        self
    }
}

/// Compact JSON as DRF's renderer writes it (U+2028/U+2029 escaped).
pub fn to_json(value: &Value) -> String {
    let s = serde_json::to_string(value).expect("a Value always serializes");
    if s.contains(['\u{2028}', '\u{2029}']) {
        s.replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029")
    } else {
        s
    }
}

/// What a response does to one cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Change {
    Set {
        value: String,
        max_age: Seconds,
    },
    /// Django's `delete_cookie`; only sent if the request had the cookie.
    Delete,
}

/// The cookies a response sets or deletes. Formatted (Django's exact
/// format, `Secure` from the settings) by the render step, in Django's
/// order: `csrftoken`, then `sessionid`.
#[derive(Debug, Default)]
pub struct Cookies {
    csrf: Option<Change>,
    session: Option<Change>,
}

impl Cookies {
    /// A new session: `sessionid` and a new `csrftoken` (Django's `login()`).
    pub fn session(key: &str, age: Seconds, csrf_secret: &str) -> Self {
        let mut cookies = Cookies::default();
        cookies.set_csrf(csrf_secret);
        cookies.session = Some(Change::Set {
            value: key.to_owned(),
            max_age: age,
        });
        cookies
    }

    /// Only the deletion of the client's `sessionid` cookie.
    pub fn deleting_session() -> Self {
        let mut cookies = Cookies::default();
        cookies.delete_session();
        cookies
    }

    /// Deletes the client's `sessionid` cookie (if it sent one).
    pub fn delete_session(&mut self) {
        self.session = Some(Change::Delete);
    }

    /// Sets a `csrftoken` cookie with this secret.
    pub fn set_csrf(&mut self, secret: &str) {
        self.csrf = Some(Change::Set {
            value: secret.to_owned(),
            max_age: CSRF_COOKIE_AGE,
        });
    }

    /// Whether this response sets or deletes any cookie.
    pub fn any(&self) -> bool {
        self.csrf.is_some() || self.session.is_some()
    }

    /// `later`'s changes win over these, cookie by cookie.
    pub fn merge(&mut self, later: Cookies) {
        if later.csrf.is_some() {
            self.csrf = later.csrf;
        }
        if later.session.is_some() {
            self.session = later.session;
        }
    }

    /// The `Set-Cookie` values, in order.
    fn headers(&self, req: &Request<'_>, secure: bool) -> Vec<String> {
        [(CSRF_COOKIE, &self.csrf), (SESSION_COOKIE, &self.session)]
            .into_iter()
            .filter_map(|(name, change)| match change.as_ref()? {
                Change::Set { value, max_age } => Some(set_cookie(
                    name,
                    value,
                    *max_age,
                    name == SESSION_COOKIE,
                    secure,
                )),
                Change::Delete => req.cookie(name).map(|_| deletion_cookie(name)),
            })
            .collect()
    }
}

/// A `Set-Cookie` value in Django's exact format.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age: Seconds,
    http_only: bool,
    secure: bool,
) -> String {
    let max_age = max_age.get();
    let expires = httpdate::fmt_http_date(
        std::time::SystemTime::now() + std::time::Duration::from_secs(max_age as u64),
    );
    format!(
        "{name}={value}; expires={expires}; {}Max-Age={max_age}; Path=/; SameSite=Lax{}",
        if http_only { "HttpOnly; " } else { "" },
        if secure { "; Secure" } else { "" }
    )
}

/// Django's `delete_cookie`.
pub fn deletion_cookie(name: &str) -> String {
    format!(r#"{name}=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax"#)
}

/// Who the request turned out to be from, for the log line.
pub(crate) type Logged = Option<(Via, u64)>;

/// Turns the outcome into the Lambda response, adding what every response
/// carries, and writes the request's one log line.
pub(crate) fn render<A>(
    view: &View<A>,
    req: &Request<'_>,
    settings: &Settings,
    outcome: Result<Reply, ApiError>,
    mut cookies: Cookies,
    caller: Logged,
) -> Response<Body> {
    let reply = outcome.unwrap_or_else(ApiError::reply);
    cookies.merge(reply.cookies);
    // Django replaces a malformed csrftoken cookie on any response, and
    // drops a sessionid too short to be a session key.
    if cookies.csrf.is_none()
        && req
            .cookie(CSRF_COOKIE)
            .is_some_and(|c| crate::csrf::check_format(c).is_err())
    {
        cookies.set_csrf(&crate::csrf::new_secret());
    }
    if cookies.session.is_none() && req.cookie(SESSION_COOKIE).is_some_and(|k| k.len() < 8) {
        cookies.delete_session();
    }
    let set_cookies = cookies.headers(req, settings.sessions.session_cookie_secure);

    let mut builder = Response::builder().status(reply.status);
    if reply.body.is_some() {
        builder = builder.header(header::CONTENT_TYPE, "application/json");
    }
    let vary = match view.family {
        Family::Tutorial => "Accept, Cookie",
        // Django adds Cookie to Vary whenever it sets one.
        Family::SimpleJwt if !set_cookies.is_empty() => "Accept, Cookie",
        Family::SimpleJwt => "Accept",
    };
    builder = builder
        .header(header::VARY, vary)
        .header(header::ALLOW, view.serves.allow())
        .header("X-Frame-Options", "DENY")
        .header("X-Content-Type-Options", "nosniff")
        .header("Referrer-Policy", "same-origin")
        .header("Cross-Origin-Opener-Policy", "same-origin");
    if reply.status == StatusCode::UNAUTHORIZED {
        let challenge = match view.family {
            Family::Tutorial => r#"Basic realm="api""#,
            Family::SimpleJwt => r#"Bearer realm="api""#,
        };
        builder = builder.header(header::WWW_AUTHENTICATE, challenge);
    }
    if let Some(seconds) = reply.retry_after {
        builder = builder.header(header::RETRY_AFTER, seconds);
    }
    for c in &set_cookies {
        builder = builder.header(header::SET_COOKIE, c);
    }
    let (via, user_id) = caller.map_or(("none", 0), |(via, id)| (via.as_str(), id));
    tracing::info!(
        function = view.name,
        method = req.method(),
        status = reply.status.as_u16(),
        auth = via,
        user_id,
        "request"
    );
    let body = match reply.body {
        Some(b) if req.method() != "HEAD" => Body::Text(b),
        _ => Body::Empty,
    };
    builder.body(body).unwrap_or_else(|e| {
        // Only reachable if a header value were invalid; all are ours.
        tracing::error!(error = %e, "response headers");
        let mut r = Response::new(Body::Empty);
        *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cookies_are_formatted_as_django_does() {
        let c = set_cookie("sessionid", "abc", Seconds::new(1_209_600), true, false);
        let re = |s: &str| {
            s.starts_with("sessionid=abc; expires=")
                && s.ends_with(" GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax")
        };
        assert!(re(&c), "{c}");
        let c = set_cookie("csrftoken", "x", Seconds::new(31_449_600), false, true);
        assert!(
            c.ends_with(" GMT; Max-Age=31449600; Path=/; SameSite=Lax; Secure"),
            "{c}"
        );
        assert_eq!(
            deletion_cookie("sessionid"),
            r#"sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax"#
        );
    }

    #[test]
    fn json_output_escapes_line_separators_like_drf() {
        assert_eq!(to_json(&json!({"a": "x\u{2028}y"})), r#"{"a":"x\u2028y"}"#);
    }

    #[test]
    fn later_cookie_changes_win() {
        let mut cookies = Cookies::default();
        cookies.delete_session();
        cookies.merge(Cookies::session("k", Seconds::new(5), "s"));
        assert!(matches!(cookies.session, Some(Change::Set { .. })));
        assert!(matches!(cookies.csrf, Some(Change::Set { .. })));
        cookies.merge(Cookies::default());
        assert!(cookies.any());
    }
}
