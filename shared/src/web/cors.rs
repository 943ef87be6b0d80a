//! CORS, as django-cors-headers does it, from the settings
//! (`CORS_ALLOWED_ORIGINS`, `CORS_ALLOW_CREDENTIALS`, `CORS_ALLOW_HEADERS`,
//! `CORS_PREFLIGHT_MAX_AGE`).
//!
//! With no allowed origin configured (the default) nothing here adds a
//! header. Otherwise every response varies by `Origin`; a request whose
//! `Origin` is exactly an allowed one gets `Access-Control-Allow-Origin:
//! <it>` (and `-Credentials: true`); a preflight (`OPTIONS` with `Origin`
//! and `Access-Control-Request-Method`) from one is answered before
//! authentication, with the methods the endpoint serves and the allowed
//! request headers — or, asking for another method or header, with no
//! grant at all. Any other origin (absent, `null`, malformed, several)
//! gets no CORS header, and a preflight from it is an ordinary `OPTIONS`.

use std::borrow::Cow;

use lambda_http::http::StatusCode;

use crate::base::url::origin_of;
use crate::settings::Settings;
use crate::web::reply::Reply;
use crate::web::request::Request;
use crate::web::request::Serves;

/// What a response grants the request's origin.
#[derive(Debug)]
pub(crate) struct Cors<'r> {
    origin: Option<Cow<'r, str>>,
    /// Answering an allowed preflight: the endpoint's methods.
    preflight: Option<&'static str>,
}

impl<'r> Cors<'r> {
    /// The request's `Origin`, if it is an allowed one.
    pub(crate) fn of(req: &Request<'r>, settings: &Settings) -> Self {
        let origin = req
            .header("origin")
            .filter(|o| settings.cors.cors_allowed_origins.contains(o));
        Cors {
            origin,
            preflight: None,
        }
    }

    /// Whether CORS is configured at all (then every response varies by
    /// `Origin`).
    pub(crate) fn enabled(&self, settings: &Settings) -> bool {
        !settings.cors.cors_allowed_origins.0.is_empty()
    }

    /// The answer to a preflight from an allowed origin; `None` for any
    /// other request. A preflight asking for a method the endpoint does not
    /// serve, or a header not allowed, is answered without any grant.
    pub(crate) fn preflight(
        &mut self,
        req: &Request<'_>,
        serves: Serves,
        settings: &Settings,
    ) -> Option<Reply> {
        let method = req.header("access-control-request-method")?;
        if req.method() != "OPTIONS" || self.origin.is_none() {
            return None;
        }
        let served = serves.serves(&method);
        let allowed = &settings.cors.cors_allow_headers.0;
        let headers_allowed = req
            .header("access-control-request-headers")
            .unwrap_or_default()
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .all(|h| allowed.contains(&h));
        match served && headers_allowed {
            true => self.preflight = Some(serves.allow()),
            false => self.origin = None,
        }
        Some(Reply::empty(StatusCode::OK))
    }

    /// Whether the request comes from a page that handles a 401 itself: an
    /// allowed origin, or (with `XHR_OMITS_BASIC_CHALLENGE`) a script that
    /// says so with `X-Requested-With: XMLHttpRequest`, or (with the OAuth
    /// provider on) the provider's own hosted login page, whose script
    /// runs on the issuer's origin and shows the `mfa_required` step
    /// itself (a browser's Basic dialog would hide it).
    pub(crate) fn handles_401_itself(&self, req: &Request<'_>, settings: &Settings) -> bool {
        let hosted_page = || {
            let issuer = settings.tokens.issuer.as_deref().map(origin_of);
            settings.oauth.enabled && req.header("origin").is_some_and(|o| Some(&*o) == issuer)
        };
        self.origin.is_some()
            || (settings.cors.xhr_omits_basic_challenge
                && req
                    .header("x-requested-with")
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("XMLHttpRequest")))
            || hosted_page()
    }

    /// The CORS headers of the response.
    pub(crate) fn headers(&self, settings: &Settings) -> Vec<(&'static str, String)> {
        let Some(origin) = &self.origin else {
            return Vec::new();
        };
        let mut headers = vec![("Access-Control-Allow-Origin", origin.to_string())];
        if settings.cors_allow_credentials() {
            headers.push(("Access-Control-Allow-Credentials", "true".to_owned()));
        }
        if let Some(methods) = self.preflight {
            let cors = &settings.cors;
            headers.push(("Access-Control-Allow-Methods", methods.to_owned()));
            headers.push((
                "Access-Control-Allow-Headers",
                cors.cors_allow_headers.0.join(", "),
            ));
            headers.push((
                "Access-Control-Max-Age",
                cors.cors_preflight_max_age.get().to_string(),
            ));
        }
        headers
    }
}
