//! The route table: every contract path and the function serving it, with
//! what its `VIEW` declares.
//!
//! The one list of endpoints. `tests/deploy.rs` checks that the SAM
//! template's routes, the `cargo lambda watch` router and the crates under
//! `functions/` name exactly these; every list of endpoints in the tests
//! derives from it. A new endpoint added here gets the cross-cutting
//! contract checks and the hostile suite without further ado.

use std::future::Future;
use std::pin::Pin;
use std::sync::LazyLock;

use auth::App;
use auth::lambda_http::{Body, Request, Response};
use auth::store::DynamoStore;
use auth::web::{Auth, Authentication, Family, Serves, View, serve};

/// One endpoint.
pub struct Route {
    /// Its path, as API Gateway and `cargo lambda watch` route it.
    pub path: &'static str,
    /// Its function (crate and Lambda) name.
    pub function: &'static str,
    pub family: Family,
    pub serves: Serves,
    pub auth: Auth,
    pub reads_body: bool,
    /// Whether it logs a caller in (its POST refuses a foreign `Origin`).
    pub logs_in: bool,
    /// Its OPTIONS metadata.
    pub options: &'static str,
    /// Whether it puts emails on the mail queue (its function builds an
    /// SQS client).
    pub sends_mail: bool,
    invoke: Invoke,
}

type Invoke = for<'a> fn(
    &'a App<DynamoStore>,
    Request,
) -> Pin<Box<dyn Future<Output = Response<Body>> + Send + 'a>>;

impl Route {
    fn new<A: Authentication>(path: &'static str, view: &'static View<A>, invoke: Invoke) -> Self {
        let serves = view.serves_at(path);
        Route {
            path,
            function: view.name,
            family: view.family,
            serves,
            auth: view.auth(),
            // A path serving only GET reads no body, whatever the function's
            // other paths do.
            reads_body: view.reads_body && serves != Serves::Get,
            logs_in: view.login_csrf,
            options: view.options,
            sends_mail: view.sends_mail,
            invoke,
        }
    }

    /// Runs `event` through this endpoint's pipeline and handler, as its
    /// function (its IAM user and statements: `iam.rs`).
    pub async fn invoke(&self, app: &App<DynamoStore>, event: Request) -> Response<Body> {
        crate::iam::as_function(self.function, (self.invoke)(app, event)).await
    }

    /// The route of the function named `function`.
    pub fn of(function: &str) -> &'static Route {
        ROUTES
            .iter()
            .find(|r| r.function == function)
            .unwrap_or_else(|| panic!("no function {function} in the route table"))
    }

    /// The route serving `path`.
    pub fn at(path: &str) -> &'static Route {
        ROUTES
            .iter()
            .find(|r| r.path == path)
            .unwrap_or_else(|| panic!("no route {path} in the route table"))
    }

    /// Whether it authenticates its caller (before the method check).
    pub fn authenticates(&self) -> bool {
        self.auth != Auth::None
    }

    /// A method it does not serve (for 405 checks).
    pub fn wrong_methods(&self) -> [&'static str; 3] {
        match self.serves {
            Serves::Get => ["POST", "PUT", "DELETE"],
            Serves::Post => ["GET", "PUT", "DELETE"],
            Serves::Resource => ["POST", "PUT", "TRACE"],
            Serves::Item => ["GET", "POST", "PUT"],
            Serves::GetOrPost => ["PUT", "PATCH", "DELETE"],
            Serves::Delete => ["GET", "POST", "PATCH"],
        }
    }

    /// The method it serves (a resource: the one reading it).
    pub fn method(&self) -> &'static str {
        match self.serves {
            Serves::Get | Serves::Resource | Serves::GetOrPost => "GET",
            Serves::Post => "POST",
            Serves::Item => "PATCH",
            Serves::Delete => "DELETE",
        }
    }

    /// The method whose body it reads (if it reads one).
    pub fn body_method(&self) -> &'static str {
        match self.serves {
            Serves::Get | Serves::Post | Serves::GetOrPost => "POST",
            Serves::Resource | Serves::Item => "PATCH",
            Serves::Delete => "DELETE",
        }
    }
}

/// The contract's paths.
pub mod paths {
    pub const LOGIN: &str = "/api/v1/users/login";
    pub const LOGOUT: &str = "/api/v1/users/logout";
    pub const LOGOUT_ALL: &str = "/api/v1/users/logout/all";
    pub const PASSWORD: &str = "/api/v1/users/password";
    pub const JWT_LOGIN: &str = "/api/v1/users/login/jwt";
    pub const INFO: &str = "/api/v1/users/login/jwt/info";
    pub const OBTAIN: &str = "/api/v1/users/login/simpleJWT";
    pub const REFRESH: &str = "/api/v1/users/login/simpleJWT/refresh";
    pub const VERIFY: &str = "/api/v1/users/login/simpleJWT/verify";
    pub const BLACKLIST: &str = "/api/v1/users/login/simpleJWT/blacklist";
    pub const LOGIN_MFA: &str = "/api/v1/users/login/mfa";
    pub const MFA_TOTP: &str = "/api/v1/users/mfa/totp";
    pub const MFA_CONFIRM: &str = "/api/v1/users/mfa/totp/confirm";
    pub const MFA_DISABLE: &str = "/api/v1/users/mfa/totp/disable";
    pub const MFA_RECOVERY: &str = "/api/v1/users/mfa/recovery-codes";
    pub const REGISTRATION: &str = "/api/v1/users/registration";
    pub const VERIFY_EMAIL: &str = "/api/v1/users/registration/verify-email";
    pub const RESEND_EMAIL: &str = "/api/v1/users/registration/resend-email";
    pub const SIGNUP_PASSKEY_OPTIONS: &str = "/api/v1/users/registration/passkey/options";
    pub const SIGNUP_PASSKEY: &str = "/api/v1/users/registration/passkey";
    pub const PASSWORD_RESET: &str = "/api/v1/users/password/reset";
    pub const PASSWORD_RESET_CONFIRM: &str = "/api/v1/users/password/reset/confirm";
    pub const USER: &str = "/api/v1/users/user";
    pub const PASSKEYS: &str = "/api/v1/users/passkeys";
    pub const PASSKEY_REGISTER_OPTIONS: &str = "/api/v1/users/passkeys/register/options";
    pub const PASSKEY_REGISTER: &str = "/api/v1/users/passkeys/register";
    /// One passkey: `{id}` is its credential id.
    pub const PASSKEY: &str = "/api/v1/users/passkeys/{id}";
    pub const LOGIN_PASSKEY_OPTIONS: &str = "/api/v1/users/login/passkey/options";
    pub const LOGIN_PASSKEY: &str = "/api/v1/users/login/passkey";
    pub const OAUTH_AUTHORIZE: &str = "/api/v1/users/oauth/authorize";
    pub const OAUTH_TOKEN: &str = "/api/v1/users/oauth/token";
    pub const OAUTH_REVOKE: &str = "/api/v1/users/oauth/revoke";
    pub const OAUTH_INTROSPECT: &str = "/api/v1/users/oauth/introspect";
    pub const OAUTH_USERINFO: &str = "/api/v1/users/oauth/userinfo";
    pub const OAUTH_LOGIN: &str = "/api/v1/users/oauth/login";
    pub const OAUTH_GRANTS: &str = "/api/v1/users/oauth/grants";
    /// One grant: `{client_id}` is its client's id.
    pub const OAUTH_GRANT: &str = "/api/v1/users/oauth/grants/{client_id}";
    pub const JWKS: &str = "/api/v1/users/.well-known/jwks.json";
    pub const OPENID: &str = "/api/v1/users/.well-known/openid-configuration";
    pub const OAUTH_METADATA: &str = "/api/v1/users/.well-known/oauth-authorization-server";
}

use paths::*;

macro_rules! route {
    ($path:expr => $krate:ident) => {
        Route::new($path, &$krate::VIEW, |app, event| {
            Box::pin(serve(&$krate::VIEW, app, event, $krate::handler))
        })
    };
}

/// Every endpoint, in the contract's order.
pub static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    vec![
        route!(LOGIN => login),
        route!(LOGOUT => logout),
        route!(LOGOUT_ALL => logout_all),
        route!(PASSWORD => password_change),
        route!(JWT_LOGIN => jwt_login),
        route!(INFO => info),
        route!(OBTAIN => token_obtain_pair),
        route!(REFRESH => token_refresh),
        route!(VERIFY => token_verify),
        route!(BLACKLIST => token_blacklist),
        route!(LOGIN_MFA => login_mfa),
        route!(MFA_TOTP => mfa),
        route!(MFA_CONFIRM => mfa),
        route!(MFA_DISABLE => mfa),
        route!(MFA_RECOVERY => mfa),
        route!(REGISTRATION => registration),
        route!(VERIFY_EMAIL => registration),
        route!(RESEND_EMAIL => registration),
        route!(SIGNUP_PASSKEY_OPTIONS => registration_passkey),
        route!(SIGNUP_PASSKEY => registration_passkey),
        route!(PASSWORD_RESET => password_reset),
        route!(PASSWORD_RESET_CONFIRM => password_reset),
        route!(USER => user),
        route!(PASSKEYS => passkeys),
        route!(PASSKEY_REGISTER_OPTIONS => passkeys),
        route!(PASSKEY_REGISTER => passkeys),
        route!(PASSKEY => passkeys),
        route!(LOGIN_PASSKEY_OPTIONS => login_passkey),
        route!(LOGIN_PASSKEY => login_passkey),
        route!(OAUTH_AUTHORIZE => oauth_authorize),
        route!(OAUTH_TOKEN => oauth_token),
        route!(OAUTH_REVOKE => oauth_tokens),
        route!(OAUTH_INTROSPECT => oauth_tokens),
        route!(OAUTH_USERINFO => oauth_userinfo),
        route!(OAUTH_LOGIN => oauth_authorize),
        route!(OAUTH_GRANTS => oauth_grants),
        route!(OAUTH_GRANT => oauth_grants),
        route!(JWKS => well_known),
        route!(OPENID => well_known),
        route!(OAUTH_METADATA => well_known),
    ]
});
