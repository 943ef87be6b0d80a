//! The one request pipeline.
//!
//! An endpoint is a [`View`] (what the shared machinery needs to know) and
//! one async function `handler(app, &request, caller) -> Answer` (an
//! [`Answer`] is `Result<Reply, ApiError>`). [`serve`] runs every request the same way, as DRF's
//! `APIView.dispatch` does:
//!
//! 1. admit: with the per-client front on, 403 for a request that did not
//!    come through it (and its client is the viewer CloudFront saw);
//!    413 for a body over 64 KiB, 406 for an `Accept` allowing
//!    neither JSON nor HTML; a CORS preflight from an allowed origin is
//!    answered here (`cors.rs`); a view that logs in refuses a foreign
//!    `Origin` (login CSRF);
//! 2. authenticate, if the view does (DRF's `initial()`, so before the
//!    method check): the chain of `authn.rs`; a bad credential is a 401 and
//!    a view that requires a caller answers 401 without one;
//! 3. the method check: 405 with `Allow`, or OPTIONS with the view's
//!    metadata;
//! 4. the body of an unsafe method, if the view reads one (415, 400 for
//!    JSON that does not parse);
//! 5. the endpoint's own function;
//! 6. render: the error's or reply's status, body and cookies, the headers
//!    every response carries, and one log line.
//!
//! All of it runs in one `request` span naming the function and the client
//! address, so every log line (and audit event) of the request carries them.
//!
//! Whether a view authenticates is its type parameter, [`Required`],
//! [`Optional`] or [`Anonymous`], and shows in the handler's signature: it
//! receives a `Caller`, an `Option<Caller>` or `()`.

use lambda_http::{Body, Response};
use tracing::Instrument;

use crate::app::App;
use crate::store::Store;
use crate::web::authn;
use crate::web::cors::Cors;
use crate::web::render::render;
use crate::web::reply::{Cookies, Reply};
use crate::web::request::{Call, Request};
use crate::web::view::{Auth, Authentication, Endpoint, View};

/// Serves one request to `view` with `endpoint`.
pub async fn serve<S, A, F>(
    view: &View<A>,
    app: &App<S>,
    event: lambda_http::Request,
    endpoint: F,
) -> Response<Body>
where
    S: Store,
    A: Authentication,
    F: for<'a> Endpoint<'a, S, A::Caller>,
{
    let mut req = Request::new(&event);
    // With the per-client front, the client is the viewer CloudFront saw.
    let front = req.through_front(&app.settings);
    // Every line of this request (the audit trail's above all) says which
    // function and which client; enabled whatever the level, as audit is.
    let span = tracing::info_span!(
        target: crate::base::audit::TARGET,
        "request",
        function = view.name,
        address = req.client_address()
    );
    let mut cors = Cors::of(&req, &app.settings);
    let serves = view.serves_at(req.path());
    let mut cookies = Cookies::default();
    let mut logged = None;
    let outcome = async {
        front?;
        req.admit()?;
        // Browsers send preflights without credentials.
        if let Some(reply) = cors.preflight(&req, serves, &app.settings) {
            return Ok(reply);
        }
        if view.login_csrf && !req.is_safe_method() {
            authn::check_login_origin(app, &req)?;
        }
        let found = match A::AUTH {
            Auth::None => None,
            Auth::Optional | Auth::Required => authn::authenticate(app, &req, &mut cookies).await?,
        };
        logged = found.as_ref().map(|c| (c.via, c.user.id));
        let caller = A::admit(found)?;
        if req.call(serves)? == Call::Options {
            return Ok(Reply::options(view.options));
        }
        if view.reads_body && !req.is_safe_method() {
            req.read_body()?;
        }
        endpoint(app, &req, caller).await
    }
    .instrument(span.clone())
    .await;
    span.in_scope(|| render(view, &req, &app.settings, outcome, cookies, &cors, logged))
}

impl Reply {
    /// The OPTIONS reply: the view's metadata.
    fn options(metadata: &str) -> Reply {
        let mut reply = Reply::empty(lambda_http::http::StatusCode::OK);
        reply.body = Some(metadata.to_owned());
        reply
    }
}
