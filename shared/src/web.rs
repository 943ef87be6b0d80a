//! The HTTP side every endpoint shares: reading a request (size limit, body
//! parsing as DRF does it, cookies, method checks) and writing the response
//! (JSON, status, the headers DRF and Django add, cookies).
//!
//! A handler builds a [`Cx`] for its [`View`], runs its logic to a
//! `Result<Reply, ApiError>`, and hands that to [`Cx::finish`].

use std::borrow::Cow;

use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde_json::{Map, Value, json};

use crate::password::PasswordError;
use crate::settings::CSRF_COOKIE_AGE;
use crate::store::StoreError;

/// Bodies above this many bytes get 413 before anything else looks at them.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub const SESSION_COOKIE: &str = "sessionid";
pub const CSRF_COOKIE: &str = "csrftoken";

/// The two families of views in the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    /// `login`, `logout`, `login/jwt`, `login/jwt/info`: DRF `APIView`s that
    /// authenticate the caller (`WWW-Authenticate: Basic`, `Vary: Accept, Cookie`).
    Tutorial,
    /// `login/simpleJWT…`: no caller authentication (`WWW-Authenticate:
    /// Bearer`, `Vary: Accept`).
    SimpleJwt,
}

/// The method an endpoint serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serves {
    Post,
    Get,
}

impl Serves {
    pub fn allow(self) -> &'static str {
        match self {
            Serves::Post => "POST, OPTIONS",
            Serves::Get => "GET, HEAD, OPTIONS",
        }
    }
}

/// What an endpoint is, for the shared machinery.
#[derive(Debug)]
pub struct View {
    /// Name in logs (the function's name).
    pub name: &'static str,
    pub kind: ViewKind,
    pub serves: Serves,
    /// The body of `OPTIONS` (DRF's view metadata).
    pub options: &'static str,
}

/// Which handler a request's method selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// The endpoint's own method (HEAD counts as GET).
    Main,
    Options,
}

/// A response before the shared headers are added.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    /// Compact JSON, or nothing (then no `Content-Type` either).
    pub body: Option<String>,
    /// Seconds for a `Retry-After` header (429, 503).
    pub retry_after: Option<u64>,
}

impl Reply {
    pub fn json(status: StatusCode, value: &Value) -> Self {
        Reply {
            status,
            body: Some(to_json(value)),
            retry_after: None,
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
        }
    }
}

/// An error response. Store and task failures become 503 and are logged
/// (without secrets) where they are converted.
#[derive(Debug)]
pub struct ApiError(pub Reply);

impl ApiError {
    pub fn json(status: StatusCode, value: Value) -> Self {
        ApiError(Reply::json(status, &value))
    }

    pub fn detail(status: StatusCode, detail: &str) -> Self {
        Self::json(status, json!({ "detail": detail }))
    }

    pub fn empty(status: StatusCode) -> Self {
        ApiError(Reply::empty(status))
    }

    pub fn not_authenticated() -> Self {
        Self::detail(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided.",
        )
    }

    pub fn malformed() -> Self {
        Self::detail(StatusCode::BAD_REQUEST, "Malformed request.")
    }

    pub fn unavailable() -> Self {
        let mut e = Self::detail(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service temporarily unavailable.",
        );
        e.0.retry_after = Some(RETRY_AFTER_SECONDS);
        e
    }

    /// DRF's `Throttled`: 429 with the wait in the body and `Retry-After`.
    pub fn throttled(wait: u64) -> Self {
        let unit = if wait == 1 { "second" } else { "seconds" };
        let mut e = Self::detail(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("Request was throttled. Expected available in {wait} {unit}."),
        );
        e.0.retry_after = Some(wait);
        e
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        tracing::error!(error = %err, "store error");
        ApiError::unavailable()
    }
}

impl From<PasswordError> for ApiError {
    fn from(err: PasswordError) -> Self {
        tracing::error!(error = %err, "password hashing error");
        ApiError::unavailable()
    }
}

/// Seconds a client should wait after a 503.
pub const RETRY_AFTER_SECONDS: u64 = 1;

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

/// Bytes as text: UTF-8 if they are, else Latin-1 (every byte a char).
pub fn text_of(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| b as char).collect()),
    }
}

// ---------------------------------------------------------------------------
// Request bodies

/// A parsed body: JSON (any value) or a form (every pair, in order).
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Json(Value),
    Form(Vec<(String, String)>),
}

/// One field of a body.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Field<'a> {
    Missing,
    Json(&'a Value),
    /// A form value (the last one, when the field repeats, as Django's QueryDict).
    Text(&'a str),
}

impl Data {
    /// JSON objects and forms are mappings; other JSON values are not.
    pub fn is_mapping(&self) -> bool {
        matches!(self, Data::Json(Value::Object(_)) | Data::Form(_))
    }

    pub fn field(&self, name: &str) -> Field<'_> {
        match self {
            Data::Json(Value::Object(map)) => map.get(name).map_or(Field::Missing, Field::Json),
            Data::Json(_) => Field::Missing,
            Data::Form(pairs) => pairs
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map_or(Field::Missing, |(_, v)| Field::Text(v)),
        }
    }

    /// Python's name for the type of a non-mapping JSON body.
    pub fn python_type(&self) -> &'static str {
        match self {
            Data::Json(Value::Array(_)) => "list",
            Data::Json(Value::String(_)) => "str",
            Data::Json(Value::Bool(_)) => "bool",
            Data::Json(Value::Number(n)) if n.is_f64() => "float",
            Data::Json(Value::Number(_)) => "int",
            Data::Json(Value::Null) => "NoneType",
            _ => "dict",
        }
    }
}

/// The media types DRF's parsers accept, in DRF's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parser {
    Json,
    Form,
    Multipart,
}

/// DRF's `media_type_matches` of each parser against the request's type:
/// main type lowercased, `*` matching anything, parameters ignored.
fn select_parser(content_type: &str) -> Option<Parser> {
    let full = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (main, sub) = full.split_once('/').unwrap_or((full.as_str(), ""));
    let matches = |m: &str, s: &str| (main == "*" || main == m) && (sub == "*" || sub == s);
    [
        (Parser::Json, "application", "json"),
        (Parser::Form, "application", "x-www-form-urlencoded"),
        (Parser::Multipart, "multipart", "form-data"),
    ]
    .into_iter()
    .find(|(_, m, s)| matches(m, s))
    .map(|(p, _, _)| p)
}

/// DRF's `DefaultContentNegotiation` with its two renderers (JSON and the
/// browsable API's HTML): does any media range of `accept` match one?
fn acceptable(accept: &str) -> bool {
    accept.split(',').any(|range| {
        let full = range
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let (main, sub) = full.split_once('/').unwrap_or((full.as_str(), ""));
        [("application", "json"), ("text", "html")]
            .iter()
            .any(|(m, s)| (main == "*" || main == *m) && (sub == "*" || sub == *s))
    })
}

/// The body as text in the `charset` its content type names, as DRF's JSON
/// parser reads it; `None` for UTF-8 (the default), left to the JSON parser.
///
/// Decoded here: UTF-16 (with Python's byte-order-mark rule), Latin-1 and
/// ASCII, under Python's codec names and aliases. Any other charset is
/// ignored, as Django ignores one it does not know: the body is read as
/// UTF-8, so ASCII-only JSON parses and other bytes get the 400 for
/// malformed JSON. (The full WHATWG set via `encoding_rs` cost 160 KB per
/// binary for charsets no JSON client sends.)
fn decode_charset(body: &[u8], content_type: &str) -> Result<Option<String>, String> {
    let charset = content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches('"').to_owned())
    });
    let Some(label) = charset else {
        return Ok(None);
    };
    // Python's codec lookup: case-insensitive, `-` and ` ` read as `_`.
    let name = label.to_ascii_lowercase().replace(['-', ' '], "_");
    match name.as_str() {
        "utf_16" | "utf16" | "u16" => {
            // Python: a byte-order mark decides (and is dropped), else little-endian.
            match body {
                [0xfe, 0xff, rest @ ..] => utf16(rest, u16::from_be_bytes),
                [0xff, 0xfe, rest @ ..] => utf16(rest, u16::from_le_bytes),
                _ => utf16(body, u16::from_le_bytes),
            }
        }
        "utf_16_le" | "utf_16le" => utf16(body, u16::from_le_bytes),
        "utf_16_be" | "utf_16be" => utf16(body, u16::from_be_bytes),
        "latin_1" | "latin1" | "latin" | "l1" | "iso_8859_1" | "iso8859_1" | "8859" | "cp819"
        | "iso_ir_100" => Ok(Some(body.iter().map(|&b| char::from(b)).collect())),
        "ascii" | "us_ascii" | "646" => match body.is_ascii() {
            true => Ok(None),
            false => Err("the body is not valid ASCII".to_owned()),
        },
        _ => Ok(None),
    }
}

/// UTF-16 code units in the byte order `unit` reads, strictly decoded.
fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<Option<String>, String> {
    let invalid = || "the body is not valid UTF-16".to_owned();
    let pairs = bytes.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(invalid());
    }
    char::decode_utf16(pairs.map(|p| unit([p[0], p[1]])))
        .collect::<Result<String, _>>()
        .map(Some)
        .map_err(|_| invalid())
}

/// Whether `content_type` is a urlencoded form (Django's `request.POST` test).
fn is_form(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|t| {
        t.trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

// ---------------------------------------------------------------------------
// Cookies out

/// A `Set-Cookie` value in Django's exact format.
pub fn cookie(name: &str, value: &str, max_age: i64, http_only: bool, secure: bool) -> String {
    let expires = httpdate::fmt_http_date(
        std::time::SystemTime::now() + std::time::Duration::from_secs(max_age.max(0) as u64),
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

// ---------------------------------------------------------------------------
// The exchange

/// One request on its way to a response.
pub struct Cx<'r> {
    pub req: &'r Request,
    pub view: &'static View,
    /// `SESSION_COOKIE_SECURE`: cookies set by this response get `Secure`.
    secure_cookies: bool,
    cookies: Vec<(String, String)>,
    set_csrf: Option<String>,
    set_session: Option<String>,
    /// How the caller was authenticated and who it is, for the log line.
    pub caller: Option<(&'static str, u64)>,
}

impl<'r> Cx<'r> {
    pub fn new(view: &'static View, req: &'r Request, secure_cookies: bool) -> Self {
        let cookies = req
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .flat_map(|v| parse_cookie_header(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        Cx {
            req,
            view,
            secure_cookies,
            cookies,
            set_csrf: None,
            set_session: None,
            caller: None,
        }
    }

    /// What every request passes first: 413 for bodies over
    /// [`MAX_BODY_BYTES`], then DRF's content negotiation (406 when `Accept`
    /// allows neither JSON nor HTML; we answer JSON either way).
    pub fn admit(&self) -> Result<(), ApiError> {
        if self.body_bytes().len() > MAX_BODY_BYTES {
            return Err(ApiError::detail(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request body too large.",
            ));
        }
        if let Some(accept) = self.header_bytes("accept")
            && !acceptable(&String::from_utf8_lossy(accept))
        {
            return Err(ApiError::detail(
                StatusCode::NOT_ACCEPTABLE,
                "Could not satisfy the request Accept header.",
            ));
        }
        Ok(())
    }

    /// The method check: the endpoint's method, OPTIONS, or 405 with `Allow`.
    pub fn call(&self) -> Result<Call, ApiError> {
        let method = self.method_name();
        match (self.view.serves, method.as_str()) {
            (Serves::Post, "POST") | (Serves::Get, "GET" | "HEAD") => Ok(Call::Main),
            (_, "OPTIONS") => Ok(Call::Options),
            _ => Err(ApiError::detail(
                StatusCode::METHOD_NOT_ALLOWED,
                &format!("Method \"{method}\" not allowed."),
            )),
        }
    }

    /// The method, upper-cased as Django does (`post` is POST).
    pub fn method_name(&self) -> String {
        self.req.method().as_str().to_ascii_uppercase()
    }

    /// The OPTIONS reply: the view's metadata.
    pub fn options(&self) -> Reply {
        Reply {
            status: StatusCode::OK,
            body: Some(self.view.options.to_owned()),
            retry_after: None,
        }
    }

    /// The client's address as API Gateway saw it (`sourceIp`).
    pub fn client_address(&self) -> &'r str {
        use lambda_http::RequestExt;
        use lambda_http::request::RequestContext;
        match self.req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => {
                ctx.http.source_ip.as_deref().unwrap_or("unknown")
            }
            _ => "unknown",
        }
    }

    pub fn method(&self) -> &Method {
        self.req.method()
    }

    /// A header as text, whatever bytes it holds: UTF-8 (API Gateway's
    /// events are JSON), else Latin-1 (as Django reads headers). A header
    /// that is present is never read as absent.
    pub fn header(&self, name: &str) -> Option<Cow<'r, str>> {
        self.req.headers().get(name).map(|v| text_of(v.as_bytes()))
    }

    pub fn header_bytes(&self, name: &str) -> Option<&'r [u8]> {
        self.req.headers().get(name).map(HeaderValue::as_bytes)
    }

    /// The request cookie `name` (the last one, as Django's parser).
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the request came over HTTPS, as API Gateway reports it in
    /// `X-Forwarded-Proto` (Django's `SECURE_PROXY_SSL_HEADER`). Without the
    /// header (`cargo lambda watch`), plain HTTP.
    pub fn is_secure(&self) -> bool {
        self.header("x-forwarded-proto").is_some_and(|v| {
            v.split(',')
                .next()
                .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
        })
    }

    pub fn body_bytes(&self) -> &'r [u8] {
        self.req.body().as_ref()
    }

    fn content_type(&self) -> String {
        self.header("content-type")
            .map(Cow::into_owned)
            .unwrap_or_default()
    }

    /// Parses the body as DRF would: an empty body is `{}` (or an empty
    /// form); JSON and urlencoded forms are read; anything else is 415.
    pub fn data(&self) -> Result<Data, ApiError> {
        let content_type = self.content_type();
        let body = self.body_bytes();
        if body.is_empty() {
            return Ok(if is_form(&content_type) {
                Data::Form(Vec::new())
            } else {
                Data::Json(Value::Object(Map::new()))
            });
        }
        match select_parser(&content_type) {
            Some(Parser::Json) => {
                let parse_error = |reason: &dyn std::fmt::Display| {
                    ApiError::detail(
                        StatusCode::BAD_REQUEST,
                        &format!("JSON parse error - {reason}"),
                    )
                };
                match decode_charset(body, &content_type).map_err(|e| parse_error(&e))? {
                    None => serde_json::from_slice(body),
                    Some(text) => serde_json::from_str(&text),
                }
                .map(Data::Json)
                .map_err(|e| parse_error(&e))
            }
            Some(Parser::Form) => Ok(Data::Form(parse_form(body))),
            Some(Parser::Multipart) | None => Err(ApiError::detail(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                &format!("Unsupported media type \"{content_type}\" in request."),
            )),
        }
    }

    /// `csrfmiddlewaretoken` from a urlencoded body (Django's `request.POST`).
    pub fn form_csrf_token(&self) -> Option<String> {
        if !is_form(&self.content_type()) {
            return None;
        }
        parse_form(self.body_bytes())
            .into_iter()
            .rev()
            .find(|(k, _)| k == "csrfmiddlewaretoken")
            .map(|(_, v)| v)
    }

    /// Sets a new `sessionid` cookie.
    pub fn set_session_cookie(&mut self, key: &str, max_age: i64) {
        self.set_session = Some(cookie(
            SESSION_COOKIE,
            key,
            max_age,
            true,
            self.secure_cookies,
        ));
    }

    /// Deletes the client's `sessionid` cookie.
    pub fn delete_session_cookie(&mut self) {
        if self.cookie(SESSION_COOKIE).is_some() {
            self.set_session = Some(deletion_cookie(SESSION_COOKIE));
        }
    }

    /// Sets a `csrftoken` cookie with this secret.
    pub fn set_csrf_cookie(&mut self, secret: &str) {
        self.set_csrf = Some(cookie(
            CSRF_COOKIE,
            secret,
            CSRF_COOKIE_AGE,
            false,
            self.secure_cookies,
        ));
    }

    /// Turns the outcome into the Lambda response, adding what every
    /// response carries, and writes the request's log line.
    pub fn finish(mut self, outcome: Result<Reply, ApiError>) -> Response<Body> {
        let reply = outcome.unwrap_or_else(|e| e.0);
        // Django replaces a malformed csrftoken cookie on any response, and
        // drops a sessionid too short to be a session key.
        if self.set_csrf.is_none()
            && self
                .cookie(CSRF_COOKIE)
                .is_some_and(|c| crate::csrf::check_format(c).is_err())
        {
            let secret = crate::csrf::new_secret();
            self.set_csrf_cookie(&secret);
        }
        if self.set_session.is_none() && self.cookie(SESSION_COOKIE).is_some_and(|k| k.len() < 8) {
            self.delete_session_cookie();
        }

        let head = self.method_name() == "HEAD";
        let mut builder = Response::builder().status(reply.status);
        if reply.body.is_some() {
            builder = builder.header(header::CONTENT_TYPE, "application/json");
        }
        let vary = match self.view.kind {
            ViewKind::Tutorial => "Accept, Cookie",
            // Django adds Cookie to Vary whenever it sets one.
            ViewKind::SimpleJwt if self.set_session.is_some() || self.set_csrf.is_some() => {
                "Accept, Cookie"
            }
            ViewKind::SimpleJwt => "Accept",
        };
        builder = builder
            .header(header::VARY, vary)
            .header(header::ALLOW, self.view.serves.allow())
            .header("X-Frame-Options", "DENY")
            .header("X-Content-Type-Options", "nosniff")
            .header("Referrer-Policy", "same-origin")
            .header("Cross-Origin-Opener-Policy", "same-origin");
        if reply.status == StatusCode::UNAUTHORIZED {
            let challenge = match self.view.kind {
                ViewKind::Tutorial => r#"Basic realm="api""#,
                ViewKind::SimpleJwt => r#"Bearer realm="api""#,
            };
            builder = builder.header(header::WWW_AUTHENTICATE, challenge);
        }
        if let Some(seconds) = reply.retry_after {
            builder = builder.header(header::RETRY_AFTER, seconds);
        }
        for c in self.set_csrf.iter().chain(self.set_session.iter()) {
            builder = builder.header(header::SET_COOKIE, c);
        }
        let (via, user_id) = self.caller.unwrap_or(("none", 0));
        tracing::info!(
            function = self.view.name,
            method = %self.req.method(),
            status = reply.status.as_u16(),
            auth = via,
            user_id,
            "request"
        );
        let body = match reply.body {
            Some(b) if !head => Body::Text(b),
            _ => Body::Empty,
        };
        builder.body(body).unwrap_or_else(|_| {
            // Only reachable if a header value were invalid; all are static.
            let mut r = Response::new(Body::Empty);
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r
        })
    }
}

/// Django's `parse_cookie`, through the `cookie` crate: `;`-separated
/// pairs, whitespace trimmed, surrounding quotes removed; later duplicates win.
fn parse_cookie_header(header: &str) -> Vec<(String, String)> {
    header
        .split(';')
        .filter_map(|chunk| {
            let chunk = chunk.trim();
            if chunk.is_empty() {
                return None;
            }
            let c = cookie::Cookie::parse(chunk).ok()?;
            Some((c.name().to_owned(), c.value_trimmed().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets_decode_as_python_codecs_do() {
        let json = "application/json; charset=";
        let text = |charset: &str, body: &[u8]| decode_charset(body, &format!("{json}{charset}"));
        let le: Vec<u8> = "{\"a\":\"é\"}"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let be: Vec<u8> = "{\"a\":\"é\"}"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        let want = Ok(Some("{\"a\":\"é\"}".to_owned()));
        // UTF-16: a byte-order mark decides and is dropped; without one, little-endian.
        assert_eq!(text("utf-16", &[&[0xff, 0xfe][..], &le].concat()), want);
        assert_eq!(text("UTF16", &[&[0xfe, 0xff][..], &be].concat()), want);
        assert_eq!(text("utf-16", &le), want);
        assert_eq!(text("utf-16-be", &be), want);
        assert_eq!(text("utf_16le", &le), want);
        // odd length, an unpaired surrogate
        assert!(text("utf-16", &le[1..]).is_err());
        assert!(text("utf-16le", &[0x00, 0xd8, 0x41, 0x00]).is_err());
        // Latin-1 is every byte as its code point (0x80-0x9f too, unlike windows-1252).
        assert_eq!(
            text("ISO-8859-1", b"caf\xe9\x80"),
            Ok(Some("caf\u{e9}\u{80}".to_owned()))
        );
        assert_eq!(text("latin1", b"x"), Ok(Some("x".to_owned())));
        assert_eq!(text("us-ascii", b"{}"), Ok(None));
        assert!(text("ascii", b"caf\xe9").is_err());
        // UTF-8, unknown charsets and no charset: left to the JSON parser as UTF-8.
        assert_eq!(text("utf-8", b"\xff"), Ok(None));
        assert_eq!(text("nonesuch", b"\xff"), Ok(None));
        assert_eq!(text("shift_jis", b"{}"), Ok(None));
        assert_eq!(decode_charset(b"{}", "application/json"), Ok(None));
    }

    #[test]
    fn parser_selection_follows_drf() {
        assert_eq!(select_parser("application/json"), Some(Parser::Json));
        assert_eq!(
            select_parser("Application/JSON; charset=utf-8"),
            Some(Parser::Json)
        );
        assert_eq!(select_parser("*/*"), Some(Parser::Json));
        assert_eq!(select_parser("application/*"), Some(Parser::Json));
        assert_eq!(
            select_parser("application/x-www-form-urlencoded; charset=UTF-8"),
            Some(Parser::Form)
        );
        assert_eq!(
            select_parser("multipart/form-data; boundary=x"),
            Some(Parser::Multipart)
        );
        for other in ["", "text/plain", "json", "application/jsonx", "text/json"] {
            assert_eq!(select_parser(other), None, "{other}");
        }
    }

    #[test]
    fn content_negotiation_follows_drf() {
        for ok in [
            "*/*",
            "application/json",
            "text/html",
            "application/*",
            "text/*; q=0.5",
            "application/xml, */*;q=0.1",
            "Application/JSON",
        ] {
            assert!(acceptable(ok), "{ok}");
        }
        for bad in ["application/xml", "", "text/plain", "image/*", "json"] {
            assert!(!acceptable(bad), "{bad}");
        }
    }

    #[test]
    fn cookies_are_formatted_as_django_does() {
        let c = cookie("sessionid", "abc", 1_209_600, true, false);
        let re = |s: &str| {
            s.starts_with("sessionid=abc; expires=")
                && s.ends_with(" GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax")
        };
        assert!(re(&c), "{c}");
        let c = cookie("csrftoken", "x", 31_449_600, false, true);
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
    fn cookie_header_parsing_keeps_the_last_duplicate() {
        let parsed = parse_cookie_header(r#"a=1; sessionid=x;; b="q"; sessionid=y; junk"#);
        let last = |name: &str| {
            parsed
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(last("sessionid").as_deref(), Some("y"));
        assert_eq!(last("b").as_deref(), Some("q"));
        assert_eq!(last("a").as_deref(), Some("1"));
    }

    #[test]
    fn json_output_escapes_line_separators_like_drf() {
        assert_eq!(to_json(&json!({"a": "x\u{2028}y"})), r#"{"a":"x\u2028y"}"#);
    }

    #[test]
    fn form_fields_take_the_last_value() {
        let data = Data::Form(vec![
            ("username".into(), "a".into()),
            ("username".into(), "b".into()),
        ]);
        assert_eq!(data.field("username"), Field::Text("b"));
        assert_eq!(data.field("password"), Field::Missing);
    }
}
