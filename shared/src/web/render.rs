//! The one render step: an endpoint's reply, or an error, turned into the
//! Lambda response with the headers DRF and Django add, and the request's
//! log line.

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Response};

use crate::settings::Settings;
use crate::web::authn::Via;
use crate::web::contract::ApiError;
use crate::web::cors::Cors;
use crate::web::reply::{CSRF_COOKIE, Cache, Cookies, Reply, SESSION_COOKIE};
use crate::web::request::Request;
use crate::web::view::{Family, View};

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
    cors: &Cors<'_>,
    caller: Logged,
) -> Response<Body> {
    let reply = outcome.unwrap_or_else(ApiError::reply);
    cookies.merge(reply.cookies);
    if let Some(device) = req
        .earned_device_cookie()
        .filter(|_| reply.status.is_success())
    {
        cookies.set_device(device);
    }
    // Django replaces a malformed csrftoken cookie on any response, and
    // drops a sessionid too short to be a session key.
    if cookies.csrf.is_none()
        && req
            .cookie(CSRF_COOKIE)
            .is_some_and(|c| crate::policy::csrf::check_format(c).is_err())
    {
        cookies.set_csrf(&crate::policy::csrf::new_secret());
    }
    if cookies.session.is_none() && req.cookie(SESSION_COOKIE).is_some_and(|k| k.len() < 8) {
        cookies.delete_session();
    }
    let cache = match cookies.sets_credential() {
        true => Cache::NoStore,
        false => reply.cache,
    };
    let set_cookies = cookies.headers(req, settings);

    let mut builder = Response::builder().status(reply.status);
    match (&reply.body, &reply.csp) {
        (Some(_), Some(csp)) => {
            builder = builder
                .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                .header("Content-Security-Policy", csp);
        }
        (Some(_), None) => builder = builder.header(header::CONTENT_TYPE, "application/json"),
        (None, _) => {}
    }
    let mut vary = match view.family {
        Family::Tutorial => "Accept, Cookie",
        // Django adds Cookie to Vary whenever it sets one.
        Family::SimpleJwt | Family::OAuth | Family::OAuthResource if !set_cookies.is_empty() => {
            "Accept, Cookie"
        }
        Family::SimpleJwt | Family::OAuth | Family::OAuthResource => "Accept",
    }
    .to_owned();
    if cors.enabled(settings) {
        vary.push_str(", Origin");
    }
    builder = builder
        .header(header::VARY, vary)
        .header(header::ALLOW, view.serves_at(req.path()).allow())
        .header("X-Frame-Options", "DENY")
        .header("X-Content-Type-Options", "nosniff")
        .header("Referrer-Policy", "same-origin")
        .header("Cross-Origin-Opener-Policy", "same-origin");
    match cache {
        Cache::Unsaid => {}
        Cache::NoStore => {
            builder = builder
                .header(header::CACHE_CONTROL, "no-store")
                .header(header::PRAGMA, "no-cache");
        }
        Cache::Public(max_age) => {
            let value = format!("public, max-age={}", max_age.get());
            builder = builder.header(header::CACHE_CONTROL, value);
        }
    }
    if reply.status == StatusCode::UNAUTHORIZED {
        let challenge = match view.family {
            // A browser answers Basic with its own login dialog: not for
            // pages that handle the 401 themselves (see `Cors`).
            Family::Tutorial if cors.handles_401_itself(req, settings) => None,
            Family::Tutorial => Some(r#"Basic realm="api""#),
            Family::SimpleJwt => Some(r#"Bearer realm="api""#),
            Family::OAuth => Some(r#"Basic realm="oauth""#),
            Family::OAuthResource => Some(r#"Bearer realm="oauth", error="invalid_token""#),
        };
        if let Some(challenge) = challenge {
            builder = builder.header(header::WWW_AUTHENTICATE, challenge);
        }
    }
    if let Some(location) = &reply.location {
        builder = builder.header(header::LOCATION, location);
    }
    if let Some(seconds) = reply.retry_after {
        builder = builder.header(header::RETRY_AFTER, seconds);
    }
    for (name, value) in cors.headers(settings) {
        builder = builder.header(name, value);
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
