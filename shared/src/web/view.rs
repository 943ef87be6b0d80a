//! What an endpoint is for the shared pipeline: its [`View`] (family,
//! method, how it treats its caller, whether it reads a body, its OPTIONS
//! metadata) and its handler's shape ([`Endpoint`]). Whether a view
//! authenticates is its type parameter, [`Required`], [`Optional`] or
//! [`Anonymous`], and shows in the handler's signature: it receives a
//! `Caller`, an `Option<Caller>` or `()`.

use std::future::Future;

use crate::app::App;
use crate::web::authn::Caller;
use crate::web::contract::ApiError;
use crate::web::reply::Reply;
use crate::web::request::Request;
pub use crate::web::request::Serves;

/// The two families of views in the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `login`, `logout`, `login/jwt`, `login/jwt/info` and our lifecycle
    /// views: DRF `APIView`s that authenticate the caller
    /// (`WWW-Authenticate: Basic`, `Vary: Accept, Cookie`).
    Tutorial,
    /// `login/simpleJWT…`: no caller authentication (`WWW-Authenticate:
    /// Bearer`, `Vary: Accept`).
    SimpleJwt,
    /// `oauth/…`, the OAuth provider: no caller authentication (the
    /// endpoint authenticates the client itself), `Vary: Accept`, and a 401
    /// (`invalid_client`) challenges `Basic` (RFC 6749 §5.2).
    OAuth,
    /// `oauth/userinfo`, a resource of the provider's: the endpoint checks
    /// the client's Bearer token itself, `Vary: Accept`, and a 401
    /// challenges `Bearer` with RFC 6750's `invalid_token`.
    OAuthResource,
}

/// Whether a view authenticates its caller, as a value (for tests and docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// No authentication at all (simplejwt's views).
    None,
    /// Credentials are checked if presented (a bad one is a 401); no caller
    /// is fine.
    Optional,
    /// A caller is needed: 401 without one, before the method check.
    Required,
}

/// How a view treats its caller; the handler receives [`Self::Caller`].
pub trait Authentication: Sync {
    type Caller: Send;
    const AUTH: Auth;
    /// The handler's argument from what the chain found.
    fn admit(found: Option<Caller>) -> Result<Self::Caller, ApiError>;
}

/// The view needs an authenticated caller (`logout`, `info`, …).
#[derive(Debug, Clone, Copy)]
pub struct Required;

/// The view authenticates whoever presents credentials (`login`, `login/jwt`).
#[derive(Debug, Clone, Copy)]
pub struct Optional;

/// The view does not authenticate (simplejwt's views).
#[derive(Debug, Clone, Copy)]
pub struct Anonymous;

impl Authentication for Required {
    type Caller = Caller;
    const AUTH: Auth = Auth::Required;
    fn admit(found: Option<Caller>) -> Result<Caller, ApiError> {
        found.ok_or(ApiError::NotAuthenticated)
    }
}

impl Authentication for Optional {
    type Caller = Option<Caller>;
    const AUTH: Auth = Auth::Optional;
    fn admit(found: Option<Caller>) -> Result<Option<Caller>, ApiError> {
        Ok(found)
    }
}

impl Authentication for Anonymous {
    type Caller = ();
    const AUTH: Auth = Auth::None;
    fn admit(_: Option<Caller>) -> Result<(), ApiError> {
        Ok(())
    }
}

/// What an endpoint is, for the shared machinery.
#[derive(Debug)]
pub struct View<A> {
    /// The function's name (logs, the route table).
    pub name: &'static str,
    pub family: Family,
    /// What it serves at every path but those [`View::paths`] names.
    pub serves: Serves,
    /// A function serving several paths with different methods: each
    /// path's end (segments; `{…}` stands for any one segment) and what
    /// is served there, the first match winning.
    pub paths: &'static [(&'static str, Serves)],
    /// Whether and how the caller is authenticated: [`Required`],
    /// [`Optional`] or [`Anonymous`].
    pub caller: A,
    /// Whether the endpoint reads its body (parsed before it runs, for an
    /// unsafe method; a view that does not, like `logout`, never refuses
    /// one).
    pub reads_body: bool,
    /// Login CSRF: an unsafe request whose `Origin` is neither the
    /// request's own nor trusted is refused (403) before anything else.
    pub login_csrf: bool,
    /// The body of `OPTIONS` (DRF's view metadata).
    pub options: &'static str,
    /// Whether the endpoint puts emails on the mail queue: only then does
    /// its function build an SQS client (`runtime::init`), and only then
    /// does the template let it `sqs:SendMessage` (tests/deploy.rs).
    pub sends_mail: bool,
}

impl<A> View<A> {
    /// A view of the tutorial's family (`WWW-Authenticate: Basic`, `Vary:
    /// Accept, Cookie`) that treats its caller as `caller` says. A POST
    /// view reads its body; a resource reads its PATCH's and DELETE's.
    pub const fn tutorial(name: &'static str, serves: Serves, caller: A) -> Self {
        View {
            name,
            family: Family::Tutorial,
            serves,
            caller,
            reads_body: matches!(serves, Serves::Post | Serves::Resource | Serves::Item),
            paths: &[],
            login_csrf: false,
            options: "{}",
            sends_mail: false,
        }
    }

    /// What it serves at each path, where that differs from `serves`.
    pub const fn at(mut self, paths: &'static [(&'static str, Serves)]) -> Self {
        self.paths = paths;
        self
    }

    /// The view never reads its body (Django's `logout`): whatever the body
    /// or its type, it is not refused.
    pub const fn ignores_body(mut self) -> Self {
        self.reads_body = false;
        self
    }

    /// The view logs a browser in: a cross-site form must not be able to
    /// (login CSRF).
    pub const fn logs_in(mut self) -> Self {
        self.login_csrf = true;
        self
    }

    /// The view puts emails on the mail queue (its function gets an SQS
    /// client).
    pub const fn sends_mail(mut self) -> Self {
        self.sends_mail = true;
        self
    }

    /// DRF's metadata for OPTIONS (compact JSON).
    pub const fn options(mut self, metadata: &'static str) -> Self {
        self.options = metadata;
        self
    }
}

impl View<Anonymous> {
    /// A simplejwt view: no caller authentication (`WWW-Authenticate:
    /// Bearer`, `Vary: Accept`). A POST view reads its body.
    pub const fn simple_jwt(name: &'static str, serves: Serves) -> Self {
        View {
            name,
            family: Family::SimpleJwt,
            serves,
            caller: Anonymous,
            reads_body: matches!(serves, Serves::Post),
            paths: &[],
            login_csrf: false,
            options: "{}",
            sends_mail: false,
        }
    }
}

impl View<Anonymous> {
    /// An OAuth provider's endpoint (`oauth/…`): it authenticates the
    /// client itself. A POST endpoint reads its body.
    pub const fn oauth(name: &'static str, serves: Serves) -> Self {
        View {
            family: Family::OAuth,
            ..View::simple_jwt(name, serves)
        }
    }

    /// A resource of the OAuth provider's (`oauth/userinfo`): it checks
    /// the Bearer token itself, and never reads a body.
    pub const fn oauth_resource(name: &'static str, serves: Serves) -> Self {
        View {
            family: Family::OAuthResource,
            reads_body: false,
            ..View::simple_jwt(name, serves)
        }
    }
}

impl<A: Authentication> View<A> {
    pub fn auth(&self) -> Auth {
        A::AUTH
    }
}

impl<A> View<A> {
    /// What it serves at `path`.
    pub fn serves_at(&self, path: &str) -> Serves {
        let matches = |end: &str| {
            let (mut want, mut have) = (end.rsplit('/'), path.trim_end_matches('/').rsplit('/'));
            want.all(|w| {
                have.next()
                    .is_some_and(|h| h == w || (w.starts_with('{') && !h.is_empty()))
            })
        };
        (self.paths.iter())
            .find(|(end, _)| matches(end))
            .map_or(self.serves, |(_, serves)| *serves)
    }
}

/// What an endpoint's function returns.
pub type Answer = Result<Reply, ApiError>;

/// An endpoint's function: `async fn handler(app, &request, caller) ->
/// Result<Reply, ApiError>` (the bound names its future, which must be
/// `Send` for the Lambda runtime).
pub trait Endpoint<'a, S: 'a, C>: Fn(&'a App<S>, &'a Request<'a>, C) -> Self::Future {
    type Future: Future<Output = Result<Reply, ApiError>> + Send + 'a;
}

impl<'a, S: 'a, C, F, Fut> Endpoint<'a, S, C> for F
where
    F: Fn(&'a App<S>, &'a Request<'a>, C) -> Fut,
    Fut: Future<Output = Result<Reply, ApiError>> + Send + 'a,
{
    type Future = Fut;
}

#[cfg(test)]
mod tests {
    use super::*;

    static PASSKEYS: View<Required> = View::tutorial("passkeys", Serves::Post, Required).at(&[
        ("passkeys", Serves::Get),
        ("passkeys/register", Serves::Post),
        ("passkeys/{id}", Serves::Item),
    ]);

    #[test]
    fn each_path_serves_what_the_view_names_for_it_the_first_match_winning() {
        let at = |path| PASSKEYS.serves_at(path);
        assert_eq!(at("/api/v1/users/passkeys"), Serves::Get);
        assert_eq!(at("/api/v1/users/passkeys/"), Serves::Get);
        assert_eq!(at("/api/v1/users/passkeys/register"), Serves::Post);
        assert_eq!(at("/api/v1/users/passkeys/AbC-_9"), Serves::Item);
        // Unnamed paths: the view's own.
        assert_eq!(at("/api/v1/users/passkeys/register/options"), Serves::Post);
        assert_eq!(at("/api/v1/users/other"), Serves::Post);
        assert_eq!(at("/api/v1/users/passkeys//"), Serves::Get);
        let plain = View::tutorial("user", Serves::Resource, Required);
        assert_eq!(plain.serves_at("/anything"), Serves::Resource);
    }
}
