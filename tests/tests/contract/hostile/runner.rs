//! The runner of the hostile cases: each case, replayed where the pipeline
//! answers it alike, must get its exact answer and change nothing.

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;

use futures::FutureExt;
use integration_tests::auth::base::time::now;
use integration_tests::auth::web::{Auth, Family};
use integration_tests::{ROUTES, Req, Route, TestApp, snapshot};
use serde_json::Value;

use crate::helpers::*;

/// What a case's body must be.
pub(super) enum Body {
    /// Exactly this text.
    Exact(String),
    /// A JSON object with exactly these keys (fresh tokens: not byte-predictable).
    Keys(&'static [&'static str]),
}

/// One crafted request and the answer it must get.
pub(super) struct Case {
    pub(super) name: String,
    pub(super) function: &'static str,
    /// The API Gateway event.
    pub(super) event: Value,
    pub(super) status: u16,
    pub(super) body: Body,
    /// If set, exactly these `Set-Cookie` values.
    pub(super) set_cookies: Option<Vec<String>>,
}

pub(super) fn case(
    name: impl Into<String>,
    function: &'static str,
    request: Req,
    status: u16,
    body: impl Into<String>,
) -> Case {
    Case {
        name: name.into(),
        function,
        event: request.event(),
        status,
        body: Body::Exact(body.into()),
        set_cookies: None,
    }
}

impl Case {
    /// The same case with an edited event (raw header names).
    pub(super) fn event(mut self, event: Value) -> Self {
        self.event = event;
        self
    }

    pub(super) fn keys(mut self, keys: &'static [&'static str]) -> Self {
        self.body = Body::Keys(keys);
        self
    }

    pub(super) fn cookies(mut self, cookies: &[&str]) -> Self {
        self.set_cookies = Some(cookies.iter().map(|c| c.to_string()).collect());
        self
    }

    pub(super) fn exact_body(&self) -> Option<&str> {
        match &self.body {
            Body::Exact(b) => Some(b),
            Body::Keys(_) => None,
        }
    }

    /// The routes this case runs on (see the module docs), its own first.
    pub(super) fn routes(&self) -> Vec<&'static Route> {
        let own = Route::of(self.function);
        let body = self.exact_body().unwrap_or_default();
        let others: Box<dyn Fn(&Route) -> bool> = match self.status {
            413 | 406 => Box::new(|_| true),
            415 => Box::new(|r| r.reads_body),
            400 if body.starts_with(r#"{"detail":"JSON parse error"#) => Box::new(|r| r.reads_body),
            401 if own.authenticates() && body == NOT_PROVIDED => {
                Box::new(|r| r.auth == Auth::Required)
            }
            401 if own.authenticates() => Box::new(|r| r.authenticates()),
            403 if body.starts_with(r#"{"detail":"CSRF Failed"#) => Box::new(|r| r.authenticates()),
            _ => Box::new(|_| false),
        };
        std::iter::once(own)
            .chain(
                ROUTES
                    .iter()
                    .filter(|r| r.function != own.function && others(r)),
            )
            .collect()
    }
}

/// `event` sent to `route`: its path, and alice's access token for the
/// body step of an endpoint that needs a caller.
pub(super) fn replayed(event: &Value, route: &Route, access: &str, needs_caller: bool) -> Value {
    let mut event = event.clone();
    if needs_caller && event["requestContext"]["http"]["method"] == "POST" {
        // A body's check, on the method whose body the route reads (a
        // check before the method's, such as CSRF's, keeps POST).
        event["requestContext"]["http"]["method"] = route.body_method().into();
    }
    event["rawPath"] = route.path.into();
    event["requestContext"]["http"]["path"] = route.path.into();
    let headers = event["headers"].as_object_mut().expect("headers");
    if needs_caller && route.auth == Auth::Required && !headers.contains_key("authorization") {
        headers.insert("authorization".into(), format!("Bearer {access}").into());
    }
    event
}

/// Runs every case against `t` on each of its routes, one after the
/// other; panics listing every request that failed. Returns the number of
/// requests per endpoint.
pub(super) async fn run(t: &TestApp, cases: Vec<Case>) -> BTreeMap<&'static str, usize> {
    let access = t.app.tokens.pair_for(&t.alice, now(), "127.0.0.1").access;
    let mut before = snapshot(&t.app.store).await;
    let mut failures = Vec::new();
    let mut counts = BTreeMap::new();
    for case in &cases {
        let body_step = matches!(case.status, 400 | 415);
        for route in case.routes() {
            *counts.entry(route.function).or_insert(0) += 1;
            let event = match route.function == case.function {
                true => case.event.clone(),
                false => replayed(&case.event, route, &access, body_step),
            };
            let name = format!("[{}] {}", route.function, case.name);
            let problems = check(t, case, route, event).await;
            let after = snapshot(&t.app.store).await;
            let mut problems = problems;
            if after != before {
                let added: Vec<_> = after.iter().filter(|i| !before.contains(i)).collect();
                let removed: Vec<_> = before.iter().filter(|i| !after.contains(i)).collect();
                problems.push(format!(
                    "state changed: added {added:?}, removed {removed:?}"
                ));
                before = after;
            }
            if !problems.is_empty() {
                failures.push(format!("{name}: {}", problems.join("; ")));
            }
        }
    }
    let total: usize = counts.values().sum();
    assert!(
        failures.is_empty(),
        "{} of {total} hostile requests failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    counts
}

/// What is wrong with `route`'s answer to `event` (empty: nothing).
pub(super) async fn check(t: &TestApp, case: &Case, route: &Route, event: Value) -> Vec<String> {
    let request = integration_tests::auth::lambda_http::request::from_str(&event.to_string())
        .expect("an API Gateway v2 event");
    let outcome = AssertUnwindSafe(route.invoke(&t.app, request))
        .catch_unwind()
        .await;
    let r = match outcome {
        Ok(r) => Resp::from_response(r),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            return vec![format!("PANIC {msg}")];
        }
    };
    let mut problems = Vec::new();
    if r.status >= 500 {
        problems.push(format!("5xx: {} {}", r.status, r.body));
    }
    let body_ok = match &case.body {
        Body::Exact(body) => r.body == *body,
        Body::Keys(keys) => serde_json::from_str::<Value>(&r.body)
            .ok()
            .and_then(|v| v.as_object().cloned())
            .is_some_and(|o| o.keys().map(String::as_str).eq(keys.iter().copied())),
    };
    if r.status != case.status || !body_ok {
        let want = match &case.body {
            Body::Exact(b) => b.clone(),
            Body::Keys(k) => format!("an object with keys {k:?}"),
        };
        problems.push(format!(
            "got {} {:?}, want {} {:?}",
            r.status, r.body, case.status, want
        ));
    }
    if std::panic::catch_unwind(AssertUnwindSafe(|| assert_security_headers(&r))).is_err() {
        problems.push(format!("security headers missing: {:?}", r.headers));
    }
    if r.status == 401 {
        let challenge = match route.family {
            Family::Tutorial => r#"Basic realm="api""#,
            Family::SimpleJwt => r#"Bearer realm="api""#,
            Family::OAuth => r#"Basic realm="oauth""#,
            Family::OAuthResource => r#"Bearer realm="oauth", error="invalid_token""#,
        };
        if r.header("www-authenticate") != Some(challenge) {
            problems.push(format!(
                "WWW-Authenticate {:?}, want {challenge:?}",
                r.header("www-authenticate")
            ));
        }
    }
    if let Some(want) = &case.set_cookies {
        let got: Vec<&str> = r.set_cookies();
        if got != *want {
            problems.push(format!("Set-Cookie {got:?}, want {want:?}"));
        }
    }
    problems
}

/// Runs `cases` and reports how many requests each endpoint got.
pub(super) async fn run_reporting(suite: &str, t: &TestApp, cases: Vec<Case>) {
    let counts = run(t, cases).await;
    let total: usize = counts.values().sum();
    eprintln!("{suite}: {total} requests {counts:?}");
}
