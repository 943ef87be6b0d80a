//! What an endpoint answers: a [`Reply`], with the cookies it sets or
//! deletes in Django's exact format (`render.rs` turns it into the Lambda
//! response).

use lambda_http::http::StatusCode;
use serde_json::Value;

use crate::settings::{CSRF_COOKIE_AGE, SameSite, Seconds, Settings};
use crate::web::request::Request;

pub const SESSION_COOKIE: &str = "sessionid";
pub const CSRF_COOKIE: &str = "csrftoken";
/// The device cookie's `Path`: every endpoint that checks a password or a
/// second factor.
pub const DEVICE_COOKIE_PATH: &str = "/api/v1/users/";
pub use crate::credentials::device::DEVICE_COOKIE_AGE;

/// A response before the shared headers are added.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    /// Compact JSON (an HTML page with [`Reply::csp`]), or nothing (then no
    /// `Content-Type` either).
    pub body: Option<String>,
    /// Seconds for a `Retry-After` header (429, 503).
    pub retry_after: Option<u64>,
    pub cookies: Cookies,
    /// What caches may do with it.
    pub cache: Cache,
    /// A redirect's `Location`.
    pub location: Option<String>,
    /// An HTML page's `Content-Security-Policy`: with it, the body is
    /// `text/html` (the OAuth provider's login and consent pages).
    pub csp: Option<String>,
}

/// A reply's `Cache-Control`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cache {
    /// No header (the contract's responses).
    Unsaid,
    /// The body carries a token: `no-store` and `Pragma: no-cache` (RFC 6749 §5.1).
    NoStore,
    /// A public document: `public, max-age=<seconds>`.
    Public(Seconds),
}

impl Reply {
    pub fn json(status: StatusCode, value: &Value) -> Self {
        Reply {
            status,
            body: Some(to_json(value)),
            retry_after: None,
            cookies: Cookies::default(),
            cache: Cache::Unsaid,
            location: None,
            csp: None,
        }
    }

    /// 200 with a body that carries tokens: never stored by a cache.
    pub fn tokens(value: &Value) -> Self {
        Reply {
            cache: Cache::NoStore,
            ..Self::ok(value)
        }
    }

    /// 200 with a public document that caches may keep for `max_age`.
    pub fn public(value: &Value, max_age: Seconds) -> Self {
        Reply {
            cache: Cache::Public(max_age),
            ..Self::ok(value)
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
            cache: Cache::Unsaid,
            location: None,
            csp: None,
        }
    }

    /// 302 to `url`, never stored by a cache (it may carry a code).
    pub fn redirect(url: String) -> Self {
        Reply {
            cache: Cache::NoStore,
            location: Some(url),
            ..Self::empty(StatusCode::FOUND)
        }
    }

    /// 200 with an HTML page under `csp`, never stored by a cache.
    pub fn page(html: String, csp: String) -> Self {
        Reply {
            body: Some(html),
            cache: Cache::NoStore,
            csp: Some(csp),
            ..Self::empty(StatusCode::OK)
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
pub(crate) enum Change {
    Set {
        value: String,
        max_age: Seconds,
    },
    /// Django's `delete_cookie`; only sent if the request had the cookie.
    Delete,
}

/// The cookies a response sets or deletes: `csrftoken`, `sessionid` and
/// (with `JWT_AUTH_REFRESH_COOKIE`) the refresh token. Formatted by the
/// render step, in Django's exact format with the cookie settings, in
/// Django's order: `csrftoken`, then `sessionid`, then the refresh cookie.
#[derive(Debug, Default)]
pub struct Cookies {
    pub(crate) csrf: Option<Change>,
    pub(crate) session: Option<Change>,
    refresh: Option<Change>,
    /// With `THROTTLE_DEVICE_COOKIE`: a login's new device cookie.
    device: Option<Change>,
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

    /// Sets the refresh-token cookie (when the refresh cookie is on).
    pub fn set_refresh(&mut self, token: &str, lifetime: Seconds) {
        self.refresh = Some(Change::Set {
            value: token.to_owned(),
            max_age: lifetime,
        });
    }

    /// Deletes the client's refresh-token cookie (if it sent one).
    pub fn delete_refresh(&mut self) {
        self.refresh = Some(Change::Delete);
    }

    /// Sets the device cookie (when device cookies are on).
    pub(crate) fn set_device(&mut self, value: &str) {
        self.device = Some(Change::Set {
            value: value.to_owned(),
            max_age: DEVICE_COOKIE_AGE,
        });
    }

    /// Whether this response sets or deletes any cookie.
    pub fn any(&self) -> bool {
        self.csrf.is_some() || self.session.is_some() || self.refresh.is_some()
    }

    /// Whether it sets a credential (a session, a refresh token, a device
    /// cookie).
    pub(crate) fn sets_credential(&self) -> bool {
        [&self.session, &self.refresh, &self.device]
            .into_iter()
            .any(|c| matches!(c, Some(Change::Set { .. })))
    }

    /// `later`'s changes win over these, cookie by cookie.
    pub fn merge(&mut self, later: Cookies) {
        for (mine, theirs) in [
            (&mut self.csrf, later.csrf),
            (&mut self.session, later.session),
            (&mut self.refresh, later.refresh),
            (&mut self.device, later.device),
        ] {
            if theirs.is_some() {
                *mine = theirs;
            }
        }
    }

    /// The `Set-Cookie` values, in order, with each cookie's settings.
    pub(crate) fn headers(&self, req: &Request<'_>, settings: &Settings) -> Vec<String> {
        let (session, csrf, refresh) =
            (&settings.sessions, &settings.csrf, &settings.refresh_cookie);
        let kinds = [
            (
                &self.csrf,
                CookieAttributes {
                    name: CSRF_COOKIE,
                    path: "/",
                    domain: csrf.csrf_cookie_domain.as_deref(),
                    http_only: false,
                    secure: settings.csrf_cookie_secure(),
                    same_site: csrf.csrf_cookie_samesite,
                },
            ),
            (
                &self.session,
                CookieAttributes {
                    name: SESSION_COOKIE,
                    path: "/",
                    domain: session.session_cookie_domain.as_deref(),
                    http_only: true,
                    secure: session.session_cookie_secure,
                    same_site: session.session_cookie_samesite,
                },
            ),
        ];
        let refresh_kind = refresh.jwt_auth_refresh_cookie.as_deref().map(|name| {
            (
                &self.refresh,
                CookieAttributes {
                    name,
                    path: &refresh.jwt_auth_refresh_cookie_path,
                    domain: None,
                    http_only: refresh.jwt_auth_httponly,
                    secure: settings.refresh_cookie_secure(),
                    same_site: refresh.jwt_auth_samesite,
                },
            )
        });
        let device_kind = settings.throttle.device_cookie.as_deref().map(|name| {
            (
                &self.device,
                CookieAttributes {
                    name,
                    path: DEVICE_COOKIE_PATH,
                    domain: None,
                    http_only: true,
                    secure: session.session_cookie_secure,
                    same_site: session.session_cookie_samesite,
                },
            )
        });
        kinds
            .into_iter()
            .chain(refresh_kind)
            .chain(device_kind)
            .filter_map(|(change, attributes)| match change.as_ref()? {
                Change::Set { value, max_age } => Some(attributes.set(value, *max_age)),
                Change::Delete => req.cookie(attributes.name).map(|_| attributes.deletion()),
            })
            .collect()
    }
}

/// How one cookie is written (Django's `set_cookie` arguments).
#[derive(Debug, Clone, Copy)]
pub struct CookieAttributes<'a> {
    pub name: &'a str,
    pub path: &'a str,
    pub domain: Option<&'a str>,
    pub http_only: bool,
    pub secure: bool,
    pub same_site: SameSite,
}

impl CookieAttributes<'_> {
    /// A `Set-Cookie` value in Django's exact format (Python's `Morsel`:
    /// attributes in alphabetical order).
    pub fn set(&self, value: &str, max_age: Seconds) -> String {
        let max_age = max_age.get();
        let expires = httpdate::fmt_http_date(
            std::time::SystemTime::now() + std::time::Duration::from_secs(max_age as u64),
        );
        self.format(value, &expires, max_age, self.http_only, self.secure)
    }

    /// Django's `delete_cookie`: expired, empty, with the same path,
    /// domain and SameSite (and Secure only where SameSite=None needs it).
    pub fn deletion(&self) -> String {
        let expired = "Thu, 01 Jan 1970 00:00:00 GMT";
        let secure = self.same_site == SameSite::None;
        self.format(r#""""#, expired, 0, false, secure)
    }

    fn format(
        &self,
        value: &str,
        expires: &str,
        max_age: i64,
        http_only: bool,
        secure: bool,
    ) -> String {
        let mut cookie = format!("{}={value}", self.name);
        if let Some(domain) = self.domain {
            cookie.push_str(&format!("; Domain={domain}"));
        }
        cookie.push_str(&format!("; expires={expires}"));
        if http_only {
            cookie.push_str("; HttpOnly");
        }
        cookie.push_str(&format!("; Max-Age={max_age}; Path={}", self.path));
        match self.same_site {
            SameSite::Lax => cookie.push_str("; SameSite=Lax"),
            SameSite::Strict => cookie.push_str("; SameSite=Strict"),
            SameSite::None => cookie.push_str("; SameSite=None"),
            SameSite::Omitted => {}
        }
        if secure {
            cookie.push_str("; Secure");
        }
        cookie
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attributes(name: &str, http_only: bool, secure: bool) -> CookieAttributes<'_> {
        CookieAttributes {
            name,
            path: "/",
            domain: None,
            http_only,
            secure,
            same_site: SameSite::Lax,
        }
    }

    #[test]
    fn cookies_are_formatted_as_django_does() {
        let c = attributes("sessionid", true, false).set("abc", Seconds::new(1_209_600));
        let re = |s: &str| {
            s.starts_with("sessionid=abc; expires=")
                && s.ends_with(" GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax")
        };
        assert!(re(&c), "{c}");
        let c = attributes("csrftoken", false, true).set("x", Seconds::new(31_449_600));
        assert!(
            c.ends_with(" GMT; Max-Age=31449600; Path=/; SameSite=Lax; Secure"),
            "{c}"
        );
        assert_eq!(
            attributes("sessionid", true, false).deletion(),
            r#"sessionid=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax"#
        );
    }

    #[test]
    fn cookie_settings_shape_the_cookie_as_django_does() {
        let refresh = CookieAttributes {
            name: "refresh",
            path: "/api/v1/users/login/simpleJWT",
            domain: Some(".example.com"),
            http_only: true,
            secure: true,
            same_site: SameSite::Strict,
        };
        let c = refresh.set("t", Seconds::new(60));
        assert!(
            c.starts_with("refresh=t; Domain=.example.com; expires="),
            "{c}"
        );
        assert!(
            c.ends_with(" GMT; HttpOnly; Max-Age=60; Path=/api/v1/users/login/simpleJWT; SameSite=Strict; Secure"),
            "{c}"
        );
        assert_eq!(
            refresh.deletion(),
            r#"refresh=""; Domain=.example.com; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/api/v1/users/login/simpleJWT; SameSite=Strict"#
        );
        let none = CookieAttributes {
            same_site: SameSite::None,
            ..attributes("sessionid", true, true)
        };
        assert!(
            none.set("k", Seconds::new(1))
                .ends_with("; SameSite=None; Secure")
        );
        assert!(none.deletion().ends_with("; Path=/; SameSite=None; Secure"));
        let omitted = CookieAttributes {
            same_site: SameSite::Omitted,
            ..attributes("csrftoken", false, false)
        };
        assert!(
            omitted
                .set("k", Seconds::new(1))
                .ends_with("; Max-Age=1; Path=/")
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
