//! API Gateway v2 events to send the functions, and their responses read
//! back.

use auth::lambda_http::{Body, Request, Response};
use base64::Engine;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------
// Requests

/// Builds an API Gateway HTTP API (payload 2.0) event, the shape the
/// functions receive from API Gateway and from `cargo lambda watch`.
#[derive(Clone, Debug)]
pub struct Req {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    cookies: Vec<String>,
    body: Option<Vec<u8>>,
    source_ip: String,
    /// The raw query string (`rawQueryString`), already encoded.
    query: String,
}

impl Req {
    pub fn new(method: &str, path: &str) -> Self {
        Req {
            method: method.to_owned(),
            path: path.to_owned(),
            headers: vec![("host".into(), "127.0.0.1:9000".into())],
            cookies: Vec::new(),
            body: None,
            source_ip: "127.0.0.1".into(),
            query: String::new(),
        }
    }

    /// The query string: `pairs`, form-urlencoded, in order.
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        self.query = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self
    }

    pub fn post(path: &str) -> Self {
        Self::new("POST", path)
    }

    pub fn get(path: &str) -> Self {
        Self::new("GET", path)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// The client address API Gateway reports (`requestContext.http.sourceIp`).
    pub fn source_ip(mut self, ip: &str) -> Self {
        self.source_ip = ip.to_owned();
        self
    }

    pub fn cookie(mut self, name: &str, value: &str) -> Self {
        self.cookies.push(format!("{name}={value}"));
        self
    }

    /// A logged-in browser's cookies: `sessionid` and `csrftoken`.
    pub fn session(self, key: &str, csrf: &str) -> Self {
        self.cookie("sessionid", key).cookie("csrftoken", csrf)
    }

    /// As [`Req::session`], the CSRF token echoed in `X-CSRFToken` as a
    /// page's script sends it.
    pub fn session_with_csrf(self, key: &str, csrf: &str) -> Self {
        self.session(key, csrf).header("x-csrftoken", csrf)
    }

    /// A raw `Cookie` header (bypasses the event's cookies array).
    pub fn cookie_header(self, value: &str) -> Self {
        self.header("cookie", value)
    }

    pub fn json(self, value: &Value) -> Self {
        self.raw_body("application/json", value.to_string().as_bytes())
    }

    pub fn form(self, pairs: &[(&str, &str)]) -> Self {
        let body: String = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.raw_body("application/x-www-form-urlencoded", body.as_bytes())
    }

    pub fn raw_body(mut self, content_type: &str, body: &[u8]) -> Self {
        if !content_type.is_empty() {
            self.headers.retain(|(k, _)| k != "content-type");
            self.headers
                .push(("content-type".into(), content_type.into()));
        }
        self.body = Some(body.to_vec());
        self
    }

    pub fn basic(self, username: &str, password: &str) -> Self {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        self.header("authorization", &format!("Basic {encoded}"))
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// The event as JSON.
    pub fn event(&self) -> Value {
        let mut headers = serde_json::Map::new();
        for (k, v) in &self.headers {
            // API Gateway joins repeated headers with commas.
            let joined = match headers.get(k).and_then(Value::as_str) {
                Some(prev) => format!("{prev},{v}"),
                None => v.clone(),
            };
            headers.insert(k.clone(), Value::String(joined));
        }
        let (body, b64) = match &self.body {
            None => (Value::Null, false),
            Some(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => (Value::String(text.to_owned()), false),
                Err(_) => (
                    Value::String(base64::engine::general_purpose::STANDARD.encode(bytes)),
                    true,
                ),
            },
        };
        let mut event = json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": self.path,
            "rawQueryString": self.query,
            "headers": headers,
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "api",
                "domainName": "127.0.0.1",
                "domainPrefix": "api",
                "http": {
                    "method": self.method,
                    "path": self.path,
                    "protocol": "HTTP/1.1",
                    "sourceIp": self.source_ip,
                    "userAgent": "tests"
                },
                "requestId": "test",
                "routeKey": "$default",
                "stage": "$default",
                "time": "26/Nov/2026:00:00:00 +0000",
                "timeEpoch": 1_795_651_200_000_i64
            },
            "isBase64Encoded": b64
        });
        if !self.cookies.is_empty() {
            event["cookies"] = json!(self.cookies);
        }
        if !body.is_null() {
            event["body"] = body;
        }
        event
    }

    pub fn build(&self) -> Request {
        auth::lambda_http::request::from_str(&self.event().to_string())
            .expect("the event parses as an API Gateway v2 request")
    }
}

/// `application/x-www-form-urlencoded` encoding of one component.
pub fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Responses

/// A function's response, read back.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Resp {
    pub fn from_response(resp: Response<Body>) -> Self {
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = match resp.body() {
            Body::Empty => String::new(),
            Body::Text(t) => t.clone(),
            Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        };
        Resp {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn headers_named(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers_named("set-cookie")
    }

    /// The value a `Set-Cookie` of this response gives `name`.
    pub fn cookie(&self, name: &str) -> Option<String> {
        cookie_value(self.set_cookies(), name)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", self.body))
    }

    /// Asserts status and exact body.
    #[track_caller]
    pub fn assert(&self, status: u16, body: &str) {
        assert_eq!(
            (self.status, self.body.as_str()),
            (status, body),
            "headers: {:?}",
            self.headers
        );
    }
}

/// The value the first of `set_cookies` naming `name` gives it.
pub fn cookie_value<'a>(
    set_cookies: impl IntoIterator<Item = &'a str>,
    name: &str,
) -> Option<String> {
    set_cookies.into_iter().find_map(|c| {
        let (n, rest) = c.split_once('=')?;
        (n == name).then(|| rest.split(';').next().unwrap_or("").to_owned())
    })
}

/// The claims of a JWT, decoded without checks (`None` if it has no
/// base64url JSON payload).
pub fn token_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// A JWT's header, decoded (no signature check).
pub fn token_header(token: &str) -> Option<Value> {
    let header = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Runs a built request through one function's pipeline and handler, as
/// that function ([`iam::as_function`]: its IAM user and statements).
#[macro_export]
macro_rules! call {
    ($function:ident, $app:expr, $req:expr) => {
        // Boxed: a test awaits many of these, and in a debug build each
        // would take its whole size in the test's own future, on the test
        // thread's 2 MiB stack.
        $crate::Resp::from_response(
            ::std::boxed::Box::pin($crate::iam::as_function(
                ::$function::VIEW.name,
                $crate::auth::web::serve(
                    &::$function::VIEW,
                    &$app.app,
                    ($req).build(),
                    ::$function::handler,
                ),
            ))
            .await,
        )
    };
}
