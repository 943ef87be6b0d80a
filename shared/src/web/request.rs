//! A request, parsed once: method, headers, cookies, client address and
//! body (read as DRF reads it). The pipeline (`view.rs`) gates it (413,
//! 406, 405) and parses its body; endpoints read it.

use std::borrow::Cow;
use std::sync::OnceLock;

use lambda_http::http::{HeaderValue, header};
use serde_json::{Map, Value};

use crate::app::App;
use crate::policy::throttle::Client;
use crate::settings::Settings;
pub use crate::web::body::{Data, Field};
use crate::web::body::{Parser, acceptable, decode_charset, is_form, select_parser};

/// Bodies above this many bytes get 413 before anything else looks at them.
/// The method an endpoint serves (besides OPTIONS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serves {
    Post,
    /// GET, and HEAD as GET without the body.
    Get,
    /// One resource: GET (and HEAD) reads it, PATCH changes it, DELETE
    /// removes it (DRF's `RetrieveUpdateDestroyAPIView` without PUT).
    Resource,
    /// One item of a collection: PATCH changes it, DELETE removes it.
    Item,
    /// GET (and HEAD) or POST, the same answer (OpenID Connect's userinfo).
    GetOrPost,
    /// One item of a collection that can only be removed (an OAuth grant).
    Delete,
}

impl Serves {
    /// The `Allow` header.
    pub fn allow(self) -> &'static str {
        match self {
            Serves::Post => "POST, OPTIONS",
            Serves::Get => "GET, HEAD, OPTIONS",
            Serves::Resource => "GET, PATCH, DELETE, HEAD, OPTIONS",
            Serves::Item => "PATCH, DELETE, OPTIONS",
            Serves::GetOrPost => "GET, POST, HEAD, OPTIONS",
            Serves::Delete => "DELETE, OPTIONS",
        }
    }

    /// Whether `method` (upper-case) is one it serves, OPTIONS aside.
    pub fn serves(self, method: &str) -> bool {
        match self {
            Serves::Post => method == "POST",
            Serves::Get => matches!(method, "GET" | "HEAD"),
            Serves::Resource => matches!(method, "GET" | "HEAD" | "PATCH" | "DELETE"),
            Serves::Item => matches!(method, "PATCH" | "DELETE"),
            Serves::GetOrPost => matches!(method, "GET" | "HEAD" | "POST"),
            Serves::Delete => method == "DELETE",
        }
    }
}

/// Why a request is refused before its endpoint runs (worded in
/// `contract.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestError {
    /// 413: a body over [`MAX_BODY_BYTES`].
    BodyTooLarge,
    /// 406: `Accept` allows neither JSON nor HTML.
    NotAcceptable,
    /// 405; the method as sent.
    MethodNotAllowed(String),
    /// 415; the content type as sent.
    UnsupportedMediaType(String),
    /// 400; why the JSON did not parse.
    JsonParse(String),
    /// 403: with `FRONT_ORIGIN_SECRET`, not from the front.
    NotThroughFront,
}

/// The header CloudFront's origin requests carry the front's secret in.
pub const ORIGIN_VERIFY: &str = "x-origin-verify";
/// The header the front's viewer-request function sets to the address the
/// viewer connected to CloudFront from (whatever the viewer sent in it).
pub const TRUE_CLIENT_IP: &str = "true-client-ip";

pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Bytes as text: UTF-8 if they are, else Latin-1 (every byte a char).
pub fn text_of(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(bytes.iter().map(|&b| b as char).collect()),
    }
}

// ---------------------------------------------------------------------------
// The request

/// Which handler a request's method selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Call {
    /// The endpoint's own method (HEAD counts as GET).
    Main,
    Options,
}

/// One request, parsed once.
pub struct Request<'r> {
    event: &'r lambda_http::Request,
    /// Upper-cased, as Django does (`post` is POST).
    method: String,
    /// Every request cookie, in order (later duplicates win on lookup).
    cookies: Vec<(String, String)>,
    /// The urlencoded body's pairs, parsed on first use (body or CSRF token).
    form: OnceLock<Vec<(String, String)>>,
    /// The body as DRF parsed it: set by the pipeline for views that read
    /// it, else an empty mapping.
    data: Data,
    /// The device cookie a login in this request earned (with
    /// `THROTTLE_DEVICE_COOKIE`), set by the render step.
    device_cookie: OnceLock<String>,
    /// With the per-client front: the viewer's address, as CloudFront saw it.
    viewer: OnceLock<String>,
}

impl<'r> Request<'r> {
    pub fn new(event: &'r lambda_http::Request) -> Self {
        let cookies = event
            .headers()
            .get_all(header::COOKIE)
            .iter()
            .flat_map(|v| parse_cookie_header(&String::from_utf8_lossy(v.as_bytes())))
            .collect();
        Request {
            method: event.method().as_str().to_ascii_uppercase(),
            event,
            cookies,
            form: OnceLock::new(),
            data: Data::Json(Value::Object(Map::new())),
            device_cookie: OnceLock::new(),
            viewer: OnceLock::new(),
        }
    }

    /// With `FRONT_ORIGIN_SECRET`: the request must come through the front
    /// — its secret in `X-Origin-Verify` (compared in constant time) and
    /// the viewer's address in `True-Client-IP` — and that address is the
    /// client's from then on. Else 403: a client calling API Gateway
    /// directly would bypass the front's per-client limits. Without it,
    /// neither header means anything.
    pub(crate) fn through_front(&self, settings: &Settings) -> Result<(), RequestError> {
        use secrecy::ExposeSecret;
        use subtle::ConstantTimeEq;
        let Some(secret) = settings.front.front_origin_secret.get() else {
            return Ok(());
        };
        let sent = self.header_bytes(ORIGIN_VERIFY).unwrap_or_default();
        let genuine: bool = sent.ct_eq(secret.expose_secret().as_bytes()).into();
        let viewer = self
            .event
            .headers()
            .get(TRUE_CLIENT_IP)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok());
        match (genuine, viewer) {
            (true, Some(ip)) => {
                let _ = self.viewer.set(ip.to_owned());
                Ok(())
            }
            _ => Err(RequestError::NotThroughFront),
        }
    }
    /// Who is attempting, for the password throttle: the client address
    /// and (with `THROTTLE_DEVICE_COOKIE`) the device cookie it sent.
    pub fn throttle_client(&self, settings: &Settings) -> Client<'_> {
        let name = settings.throttle.device_cookie.as_deref();
        Client {
            address: self.client_address(),
            device: name.and_then(|name| self.cookie(name)),
        }
    }

    /// A login as `username` succeeded in this request: with
    /// `THROTTLE_DEVICE_COOKIE`, the answer sets a new device cookie.
    pub fn logged_in<S>(&self, app: &App<S>, username: &str) {
        if app.settings.throttle.device_cookie.is_some() {
            let cookie = app.devices.issue(username, crate::base::time::now());
            let _ = self.device_cookie.set(cookie);
        }
    }

    /// The device cookie to set, if a login earned one.
    pub(crate) fn earned_device_cookie(&self) -> Option<&str> {
        self.device_cookie.get().map(String::as_str)
    }

    /// What every request passes first: 413 for bodies over
    /// [`MAX_BODY_BYTES`], then DRF's content negotiation (406 when `Accept`
    /// allows neither JSON nor HTML; we answer JSON either way).
    pub(crate) fn admit(&self) -> Result<(), RequestError> {
        if self.body().len() > MAX_BODY_BYTES {
            return Err(RequestError::BodyTooLarge);
        }
        if let Some(accept) = self.header_bytes("accept")
            && !acceptable(&String::from_utf8_lossy(accept))
        {
            return Err(RequestError::NotAcceptable);
        }
        Ok(())
    }

    /// The method check: the endpoint's method, OPTIONS, or 405.
    pub(crate) fn call(&self, serves: Serves) -> Result<Call, RequestError> {
        match self.method() {
            method if serves.serves(method) => Ok(Call::Main),
            "OPTIONS" => Ok(Call::Options),
            method => Err(RequestError::MethodNotAllowed(method.to_owned())),
        }
    }

    /// The method, upper-cased as Django does.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request's path (API Gateway's `rawPath`).
    pub fn path(&self) -> &'r str {
        self.event.uri().path()
    }

    /// GET, HEAD, OPTIONS and TRACE (Django's safe methods, exempt from CSRF).
    pub fn is_safe_method(&self) -> bool {
        matches!(self.method(), "GET" | "HEAD" | "OPTIONS" | "TRACE")
    }

    /// The client's address: API Gateway's `sourceIp`, or with the
    /// per-client front the viewer's (see [`Request::through_front`]).
    pub fn client_address(&self) -> &str {
        use lambda_http::RequestExt;
        if let Some(viewer) = self.viewer.get() {
            return viewer;
        }
        use lambda_http::request::RequestContext;
        match self.event.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => {
                ctx.http.source_ip.as_deref().unwrap_or("unknown")
            }
            _ => "unknown",
        }
    }

    /// A header as text, whatever bytes it holds: UTF-8 (API Gateway's
    /// events are JSON), else Latin-1 (as Django reads headers). A header
    /// that is present is never read as absent.
    pub fn header(&self, name: &str) -> Option<Cow<'r, str>> {
        self.header_bytes(name).map(text_of)
    }

    pub fn header_bytes(&self, name: &str) -> Option<&'r [u8]> {
        self.event.headers().get(name).map(HeaderValue::as_bytes)
    }

    /// The request cookie `name` (the last one, as Django's parser).
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every request cookie called `name`, in order (a browser sends two
    /// when two cookies of that name, for other paths or domains, apply).
    pub fn cookies_named(&self, name: &str) -> Vec<&str> {
        self.cookies
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
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

    /// The API's own origin, `scheme://host`, as the client addressed it.
    pub fn own_origin(&self) -> Option<String> {
        let host = self.header("host")?;
        let scheme = if self.is_secure() { "https" } else { "http" };
        Some(format!("{scheme}://{}", host.trim()))
    }

    /// The query string's pairs, in order (repeats kept).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let query = self.event.uri().query().unwrap_or_default();
        form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    pub fn body(&self) -> &'r [u8] {
        self.event.body().as_ref()
    }

    fn content_type(&self) -> Cow<'r, str> {
        self.header("content-type").unwrap_or_default()
    }

    /// The body as the pipeline parsed it (an empty mapping for views that
    /// do not read their body).
    pub fn data(&self) -> &Data {
        &self.data
    }

    /// Parses the body for the endpoint, as DRF would: an empty body is `{}`
    /// (or an empty form); JSON and urlencoded forms are read; anything
    /// else is 415.
    pub(crate) fn read_body(&mut self) -> Result<(), RequestError> {
        let content_type = self.content_type();
        let body = self.body();
        self.data = if body.is_empty() {
            match is_form(&content_type) {
                true => Data::Form(Vec::new()),
                false => Data::Json(Value::Object(Map::new())),
            }
        } else {
            match select_parser(&content_type) {
                Some(Parser::Json) => {
                    let parse_error = |reason: &dyn std::fmt::Display| {
                        RequestError::JsonParse(reason.to_string())
                    };
                    match decode_charset(body, &content_type).map_err(|e| parse_error(&e))? {
                        None => serde_json::from_slice(body),
                        Some(text) => serde_json::from_str(&text),
                    }
                    .map(Data::Json)
                    .map_err(|e| parse_error(&e))?
                }
                Some(Parser::Form) => Data::Form(self.form().to_vec()),
                Some(Parser::Multipart) | None => {
                    return Err(RequestError::UnsupportedMediaType(
                        content_type.into_owned(),
                    ));
                }
            }
        };
        Ok(())
    }

    /// The urlencoded body's pairs (Django's `request.POST`), parsed once.
    fn form(&self) -> &[(String, String)] {
        self.form.get_or_init(|| {
            form_urlencoded::parse(self.body())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
    }

    /// `csrfmiddlewaretoken` from a urlencoded body (Django's `request.POST`).
    pub fn form_csrf_token(&self) -> Option<&str> {
        if !is_form(&self.content_type()) {
            return None;
        }
        self.form()
            .iter()
            .rev()
            .find(|(k, _)| k == "csrfmiddlewaretoken")
            .map(|(_, v)| v.as_str())
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
    fn form_fields_take_the_last_value() {
        let data = Data::Form(vec![
            ("username".into(), "a".into()),
            ("username".into(), "b".into()),
        ]);
        assert_eq!(data.field("username"), Field::Text("b"));
        assert_eq!(data.field("password"), Field::Missing);
    }
}
