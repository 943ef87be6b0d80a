//! Each function under the CPU share and memory limit of a Lambda memory
//! size: cold and warm latency and peak RSS per function and size.
//!
//!     bash tests/cost/measure.sh        # builds the functions, runs this, recomputes the cost tables
//!
//!     cargo build --release -p login -p info …     # the function binaries (measure.sh builds them all)
//!     cargo run --release -p integration-tests --bin lambda_emulate -- \
//!         [--sizes 128,256,512,1024,1769,unrestricted] [--runs 11] [--warm 100] [--warm-budget 30] \
//!         [--warm-gap-ms 0] \
//!         [--key ssm|env] [--rtt-ms 0] [--handshake-rtts 2] [--bin-dir [NAME=]DIR]... \
//!         [--out tests/cost/measurements.json] [CASE...]
//!
//! Every function under `functions/` that runs the Lambda runtime is a case
//! (its `events/<fn>/ok.json`, else `bearer.json`, else its first event;
//! not the OAuth provider's, see below), and so are a few variants the cost
//! model and the Django import need:
//! `info:session`, `token-refresh:rotate` (`ROTATE_REFRESH_TOKENS=true`),
//! and `login:django-pbkdf2`, `login:django-argon2` (a user imported with a
//! Django hash — pbkdf2_sha256 at 1,500,000 iterations, Django's argon2id
//! defaults — the right password, which upgrades the hash) and their
//! `-wrong` twins (a wrong password: the Django hash is checked, no upgrade).
//! The account flows (issue 22), with the flows on as an operator turns
//! them on: `registration:signup` (201, the verification job queued),
//! `registration:verify-email` (a live key), `password-reset:request` (200,
//! the reset job queued), `password-reset:confirm` (a live token), and the
//! mailer running each job: `mailer:confirm`, `mailer:reset`. The stack's
//! mail queue is a real queue on moto, its URL in the settings parameter
//! as the stack writes it; a case that queues checks the queue holds one
//! job per invocation.
//! The OAuth provider's functions (their sample events are refusals or
//! need a registered client) are measured only doing their main job, with
//! the provider on as deployed: `OAUTH_ENABLED=true`, `ALGORITHM=ES256`
//! with an ES256 key (`shared/tests/fixtures/keys/ec.pem`) in the SSM
//! parameter (`--key env`: `SIGNING_KEY`), `ISSUER`; three clients
//! registered per case (a first-party SPA allowed the code and refresh
//! grants, a third-party one, a confidential service with a secret).
//! `oauth-authorize:code` (a live session, PKCE: 302 to the SPA with a
//! code), `oauth-authorize:consent-page` (the third-party client, no
//! consent yet: 200 HTML), `oauth-authorize:login-page` (the hosted login
//! page), `oauth-token:code` (a code stored for the user, exchanged with
//! its PKCE verifier: access, refresh and id_token),
//! `oauth-token:client-credentials` (the service by Basic),
//! `oauth-tokens:introspect` (the service introspecting a user's access
//! token issued to the SPA), `oauth-userinfo:ok` (that token, `openid
//! profile`), `oauth-grants:list` (a user with one consent, by Bearer);
//! and `info:oauth-on`, `info` by Bearer on the same stack.
//! Each checks every answer, not only its status: the redirect carries a
//! code, the tokens are there, the token is active, and so on.
//! Naming cases (or functions: `login` selects `login` and `login:…`) runs
//! only those. Every invocation gets a fresh user and fresh credentials, so
//! nothing one invocation does (a password change, logout everywhere, a
//! hash upgrade) affects the next.
//!
//! Each memory size runs the function binary in a new cgroup v1 group
//! (`integration_tests::lambda::cgroup`): `cpu.cfs_quota_us` = MB × 100000
//! / 1769 of a 100000 µs period (1,769 MB is one vCPU, as in Lambda) and
//! `memory.limit_in_bytes` = MB MiB; `unrestricted` runs it without one
//! (both cores of this machine). Without writable cgroup v1 `cpu` and
//! `memory` controllers (not root, or cgroup v2 only) it says so and
//! measures nothing.
//!
//! Per case and size: `--runs` cold starts (one invocation each; the sizes
//! take turns, so a noisy neighbour hits all of them alike), then one
//! process serving `--warm` more invocations (fewer if they would take
//! longer than `--warm-budget` seconds at that size's cold latency, at least
//! 5), back to back (a small size's CFS quota then runs out within a
//! period, and an invocation waits for the next one); `--warm-gap-ms N`
//! hands each after the first out N ms after the function asked for it, a
//! function idle between requests. Reported: cold start (spawn → first
//! response) p50/p99, Lambda's init (spawn → first `next`) p50, warm
//! duration (event → response) p50/p99, peak RSS (VmHWM) and OOM kills; p99
//! of fewer than 100 values is the maximum. At a memory size also the CPU
//! time used (the group's `cpuacct.usage`, every thread): by a cold start's
//! first response ("cold CPU", p50), and per warm invocation (the mean;
//! with the CFS periods the warm process ran out of quota in). Results are
//! merged, case by case, into `--out`
//! (`tests/cost/measurements.json`; `-` for none), which
//! `tests/cost/cost.py` reads.
//!
//! Realism knobs: `--key ssm` (the default) has the functions read the
//! signing key from an SSM SecureString on moto, as deployed (`--key env`:
//! `SIGNING_KEY`); `--rtt-ms N` puts a proxy adding N ms round trips (and
//! `--handshake-rtts` more per new connection: TCP + TLS) in front of
//! DynamoDB and SSM (`integration_tests::lambda::latency`); `--bin-dir`
//! runs binaries from elsewhere (e.g. built at an older commit), and given
//! more than once compares them side by side: each set at each size, the
//! cold starts taking turns (`tests/cost/coldstart-rtt.sh` does that).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use auth::App;
use auth::accounts::{new_secret, secret_hash, uid_of};
use auth::base::random::new_jti;
use auth::base::time::now;
use auth::credentials::oauth::{self, new_client_id, new_client_secret, new_code};
use auth::credentials::tokens::OAuthGrant;
use auth::fixtures::Credentials;
use auth::mail::Job;
use auth::model::client::{Grant, OAuthClient};
use auth::model::code::{AuthorizationCode, CODE_LIFETIME};
use auth::model::consent::Consent;
use auth::secrecy::ExposeSecret;
use auth::settings::Settings;
use auth::store::{AccountKey, ClientStore, DynamoStore, KeyKind, KeyStore, User, UserAdmin};
use base64::Engine;
use futures::StreamExt;
use integration_tests::iam;
use integration_tests::lambda::cgroup::{self, Cgroup};
use integration_tests::lambda::latency::DelayProxy;
use integration_tests::lambda::{self, Ended, Launch, Run, percentile};
use integration_tests::stack::{
    function_env, make_mail_queue, own_keys, put_parameters, put_settings_with_queue,
};
use integration_tests::{
    ALICE_PASSWORD, TEST_ISSUER, fresh_store, moto_endpoint, password_hash, workspace,
};
use serde_json::{Value, json};

const KEY: &str = "lambda-emulate-signing-key-0123456789abcdef";

/// One thing to measure: a function, the event template it is served, and
/// the user each invocation acts as.
struct Case {
    name: String,
    function: String,
    event: PathBuf,
    /// The password hash of each invocation's fresh user.
    hash: String,
    /// Replaces the body's `password` (a wrong one).
    password: Option<&'static str>,
    envs: Vec<(String, String)>,
    /// What each invocation's event is filled with.
    fresh: Fresh,
    /// Whether each invocation puts one job on the mail queue (checked:
    /// the queue's depth after the case).
    queues_mail: bool,
    /// What every answer should be.
    expects: Expects,
    /// What every answer should also pass (the redirect carries a code…).
    check: Option<fn(&Posted) -> bool>,
    /// With the OAuth provider on (its key, issuer and clients).
    oauth: bool,
    about: &'static str,
}

/// What a case's answers must be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Expects {
    /// A 2xx.
    Success,
    /// A 4xx.
    Refusal,
    /// A 302 (an OAuth authorization's answer).
    Redirect,
}

impl Expects {
    fn admits(self, status: u16) -> bool {
        match self {
            Expects::Success => (200..300).contains(&status),
            Expects::Refusal => (400..500).contains(&status),
            Expects::Redirect => status == 302,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Expects::Success => "2xx",
            Expects::Refusal => "4xx",
            Expects::Redirect => "302",
        }
    }
}

/// An answer as the function posted it (API Gateway's HTTP API payload
/// 2.0: `statusCode`, `headers`, `body`, `isBase64Encoded`).
struct Posted<'a>(&'a Value);

impl Posted<'_> {
    fn header(&self, name: &str) -> &str {
        self.0["headers"][name].as_str().unwrap_or_default()
    }

    fn body(&self) -> String {
        let body = self.0["body"].as_str().unwrap_or_default();
        match self.0["isBase64Encoded"].as_bool() {
            Some(true) => base64::engine::general_purpose::STANDARD
                .decode(body)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default(),
            _ => body.to_owned(),
        }
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body()).unwrap_or_default()
    }

    /// A page: HTML with a form.
    fn is_form_page(&self) -> bool {
        self.header("content-type").starts_with("text/html") && self.body().contains("<form")
    }
}

/// What each invocation gets new, so that nothing one invocation did (a
/// name taken, an address's email limit used) changes the next.
#[derive(Clone, Copy)]
enum Fresh {
    /// A user (with the case's hash) and their credentials; a body's
    /// `username` is theirs.
    User,
    /// No user: a body's `username` and `email` are new (a sign-up).
    SignUp,
    /// A user with an address of their own, a body's `email` (a reset
    /// asked for an account that exists).
    UserWithEmail,
    /// A user with an unverified address, and the SQS event's message the
    /// mail job a request queued for them (the mailer's side).
    Job(fn(&User) -> Job),
    /// A user with an unverified address and a live verification key, the
    /// body's `key`.
    VerifyKey,
    /// A user with an address and a live reset token, the body's `uid` and
    /// `token`, and a new password that passes the validators.
    ResetToken,
    /// What an OAuth request needs, made new (a user for all but a
    /// client's own request and the login page).
    OAuth(OAuthStep),
}

/// An OAuth request, and what each invocation gets for it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OAuthStep {
    /// The hosted login page: nothing.
    LoginPage,
    /// A user with a live session (the event's `{{SESSION_ID}}`); the
    /// query an authorization request of the SPA (first party) or of the
    /// third-party client, with a PKCE challenge.
    Authorize { first_party: bool },
    /// A user and a code stored for them and the SPA (as
    /// `oauth/authorize` stores one); the form its exchange, with the
    /// PKCE verifier.
    Code,
    /// The service's `client_credentials` by Basic (nothing new: a
    /// client's token for itself).
    ClientCredentials,
    /// A user's access token issued to the SPA (`openid profile`),
    /// introspected by the service (Basic).
    Introspect,
    /// The same token, the Bearer of a userinfo request.
    Userinfo,
    /// A user who consented to the third-party client; the event's
    /// `{{ACCESS_TOKEN}}` theirs.
    Grants,
}

/// A Django hash of `ALICE_PASSWORD` from the hasher fixtures.
fn django_hash(pick: impl Fn(&str, &str) -> bool) -> String {
    let path = workspace().join("shared/tests/fixtures/django-hashes.json");
    let all: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    all.iter()
        .find(|h| {
            h["password"] == ALICE_PASSWORD
                && pick(
                    h["hasher"].as_str().unwrap_or_default(),
                    h["hash"].as_str().unwrap_or_default(),
                )
        })
        .and_then(|h| h["hash"].as_str())
        .unwrap_or_else(|| panic!("no such hash in {}", path.display()))
        .to_owned()
}

fn cases() -> Vec<Case> {
    let ours = password_hash(ALICE_PASSWORD);
    let case = |name: &str, function: &str, event: PathBuf, about: &'static str| Case {
        name: name.to_owned(),
        function: function.to_owned(),
        event,
        hash: ours.clone(),
        password: None,
        envs: vec![],
        fresh: Fresh::User,
        queues_mail: false,
        expects: Expects::Success,
        check: None,
        oauth: false,
        about,
    };
    let functions = lambda::functions();
    let mut all: Vec<Case> = functions
        .iter()
        .map(|f| {
            let event = lambda::default_event(f);
            case(f, f, event, "its sample event")
        })
        .collect();
    let has = |f: &str| functions.iter().any(|g| g == f);
    let events = workspace().join("events");
    if has("info") {
        all.push(case(
            "info:session",
            "info",
            events.join("info/session.json"),
            "by session cookie",
        ));
    }
    if has("mfa") {
        all.push(case(
            "mfa:totp",
            "mfa",
            events.join("mfa/totp-ok.json"),
            "TOTP enrolment: a new secret, sealed and stored, its QR code drawn",
        ));
    }
    if has("token-refresh") {
        let mut rotate = case(
            "token-refresh:rotate",
            "token-refresh",
            events.join("token-refresh/ok.json"),
            "with ROTATE_REFRESH_TOKENS=true",
        );
        rotate.envs = vec![("ROTATE_REFRESH_TOKENS".into(), "true".into())];
        all.push(rotate);
    }
    if has("login") {
        let pbkdf2 = django_hash(|hasher, hash| {
            hasher == "pbkdf2_sha256" && hash.starts_with("pbkdf2_sha256$1500000$")
        });
        let argon2 = django_hash(|hasher, hash| {
            hasher == "argon2" && hash.starts_with("argon2$argon2id$v=19$m=102400,t=2,p=8$")
        });
        let login = events.join("login/ok.json");
        for (name, hash, about) in [
            (
                "login:django-pbkdf2",
                &pbkdf2,
                "imported Django pbkdf2_sha256 (1,500,000 iterations), right password: checked and upgraded",
            ),
            (
                "login:django-argon2",
                &argon2,
                "imported Django argon2id (m=100 MiB, t=2, p=8), right password: checked and upgraded",
            ),
        ] {
            let mut right = case(name, "login", login.clone(), about);
            right.hash = hash.clone();
            let mut wrong = case(
                &format!("{name}-wrong"),
                "login",
                login.clone(),
                "the same hash, a wrong password: checked, no upgrade",
            );
            wrong.hash = hash.clone();
            wrong.password = Some("a wrong password");
            wrong.expects = Expects::Refusal;
            all.extend([right, wrong]);
        }
    }
    // The account flows' success cases, with the flows on as an operator
    // turns them on (template parameters RegistrationOpen, ActivationUrl,
    // PasswordResetConfirmUrl; the environment overrides the settings
    // parameter's lines): each request answers and queues one job on the
    // stack's mail queue, a real queue on moto.
    let accounts_on = |vars: &[(&str, &str)]| -> Vec<(String, String)> {
        vars.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let activation = ("ACTIVATION_URL", VERIFY_PAGE);
    let reset_page = ("PASSWORD_RESET_CONFIRM_URL", RESET_PAGE);
    if has("registration") {
        let mut signup = case(
            "registration:signup",
            "registration",
            events.join("registration/signup-ok.json"),
            "sign-up, a new username and address (REGISTRATION_OPEN, ACTIVATION_URL, mandatory verification): the password hashed, the user written, 201, the verification job queued",
        );
        signup.fresh = Fresh::SignUp;
        signup.queues_mail = true;
        signup.envs = accounts_on(&[
            ("REGISTRATION_OPEN", "true"),
            ("ACCOUNT_EMAIL_VERIFICATION", "mandatory"),
            activation,
        ]);
        all.push(signup);
    }
    if has("password-reset") {
        let mut request = case(
            "password-reset:request",
            "password-reset",
            events.join("password-reset/request-ok.json"),
            "password/reset for a user's address (PASSWORD_RESET_CONFIRM_URL): the address's email limits charged, 200, the reset job queued",
        );
        request.fresh = Fresh::UserWithEmail;
        request.queues_mail = true;
        request.envs = accounts_on(&[reset_page]);
        all.push(request);
    }
    if has("registration") {
        let mut verify = case(
            "registration:verify-email",
            "registration",
            events.join("registration/verify-unknown-key.json"),
            "registration/verify-email with a live key (the event's key replaced): the key read, used and the address verified in one transaction, 200",
        );
        verify.fresh = Fresh::VerifyKey;
        verify.envs = accounts_on(&[("REGISTRATION_OPEN", "true"), activation]);
        all.push(verify);
    }
    if has("password-reset") {
        let mut confirm = case(
            "password-reset:confirm",
            "password-reset",
            events.join("password-reset/confirm-off.json"),
            "password/reset/confirm with a live token (the event's uid, token and passwords replaced): the new password validated and hashed, the token used and the hash written in one transaction, 200",
        );
        confirm.fresh = Fresh::ResetToken;
        confirm.envs = accounts_on(&[reset_page]);
        all.push(confirm);
    }
    if has("mailer") {
        let mailer = events.join("mailer/ok.json");
        let mut confirm = case(
            "mailer:confirm",
            "mailer",
            mailer.clone(),
            "a sign-up's job (one message): the user read, the link's key written, the email rendered and sent through SES",
        );
        confirm.fresh = Fresh::Job(|user| Job::Confirm {
            user_id: user.id,
            email: user.email.clone(),
        });
        confirm.envs = accounts_on(&[activation]);
        let mut reset = case(
            "mailer:reset",
            "mailer",
            mailer,
            "a reset request's job (one message): the address's holder looked up, the reset key written, the email rendered and sent through SES",
        );
        reset.fresh = Fresh::Job(|user| Job::PasswordReset {
            email: user.email.clone(),
        });
        reset.envs = accounts_on(&[reset_page]);
        all.extend([confirm, reset]);
    }
    // The passkey functions' sample events (the list, a login's options, a
    // sign-up's options) with passkeys on, as the template's
    // MfaSupportedTypes, MfaPasskeyLoginEnabled, MfaPasskeySignupEnabled
    // and WebauthnRpId turn them on.
    for c in all.iter_mut() {
        if ["passkeys", "login-passkey"].contains(&c.function.as_str()) {
            c.envs = accounts_on(&[
                ("MFA_SUPPORTED_TYPES", "recovery_codes,totp,webauthn"),
                ("MFA_PASSKEY_LOGIN_ENABLED", "true"),
                ("WEBAUTHN_RP_ID", "example.test"),
                ("WEBAUTHN_ALLOWED_ORIGINS", "https://app.example.test"),
            ]);
            c.about = "its sample event, passkeys on";
        }
        if c.function == "registration-passkey" {
            c.envs = accounts_on(&[
                ("REGISTRATION_OPEN", "true"),
                activation,
                ("MFA_SUPPORTED_TYPES", "recovery_codes,totp,webauthn"),
                ("MFA_PASSKEY_SIGNUP_ENABLED", "true"),
                ("WEBAUTHN_RP_ID", "example.test"),
                ("WEBAUTHN_ALLOWED_ORIGINS", "https://app.example.test"),
            ]);
            c.fresh = Fresh::SignUp;
            c.about = "its sample event (a sign-up's options: the username read, the sign-up charged, an id reserved, the ceremony stored), passkey sign-up on";
        }
    }
    // The OAuth provider's functions, doing their main job with the
    // provider on as deployed (OauthEnabled, Algorithm=ES256, TokenIssuer;
    // the ES256 key in the SSM parameter): their sample events are
    // refusals, so they are measured only through these.
    all.retain(|c| !c.function.starts_with("oauth-"));
    let provider = |name: &str,
                    event: &str,
                    step: OAuthStep,
                    expects: Expects,
                    check: fn(&Posted) -> bool,
                    about: &'static str| {
        let function = name.split(':').next().unwrap_or(name);
        let mut c = case(name, function, events.join(event), about);
        c.oauth = true;
        c.envs = accounts_on(OAUTH_ON);
        c.fresh = Fresh::OAuth(step);
        c.expects = expects;
        c.check = Some(check);
        c
    };
    if has("oauth-authorize") {
        all.push(provider(
            "oauth-authorize:code",
            "oauth-authorize/unknown-client.json",
            OAuthStep::Authorize { first_party: true },
            Expects::Redirect,
            |a| {
                let to = a.header("location");
                to.starts_with(&format!("{CALLBACK}?code=")) && !to.contains("error=")
            },
            "an authorization request (the event's query replaced) of a first-party client with PKCE, `openid profile`, for a user with a live session: the session and its user read, the client read, the code stored, 302 to the client with the code",
        ));
        all.push(provider(
            "oauth-authorize:consent-page",
            "oauth-authorize/unknown-client.json",
            OAuthStep::Authorize { first_party: false },
            Expects::Success,
            |a| a.is_form_page(),
            "the same request of a third-party client the user has not consented to: the session and its user read, the client read, 200 the consent page (HTML, a CSRF-protected form)",
        ));
        all.push(provider(
            "oauth-authorize:login-page",
            "oauth-authorize/login-page.json",
            OAuthStep::LoginPage,
            Expects::Success,
            |a| a.is_form_page(),
            "the hosted login page (oauth/login, LOGIN_URL's default): no read, 200 HTML",
        ));
    }
    if has("oauth-token") {
        all.push(provider(
            "oauth-token:code",
            "oauth-token/unsupported-grant.json",
            OAuthStep::Code,
            Expects::Success,
            |a| {
                let v = a.json();
                ["access_token", "refresh_token", "id_token"]
                    .iter()
                    .all(|k| v[k].is_string())
            },
            "grant_type=authorization_code (the event's form replaced): a live code of the user's for a first-party public client allowed refresh tokens, redeemed with its PKCE verifier: the client read, the code redeemed (a conditional write), the user read, 200 with an access token, a refresh token and an id_token (ES256)",
        ));
        all.push(provider(
            "oauth-token:client-credentials",
            "oauth-token/unknown-client.json",
            OAuthStep::ClientCredentials,
            Expects::Success,
            |a| a.json()["access_token"].is_string(),
            "grant_type=client_credentials by a confidential client (Basic; the event's header replaced): the client read, its secret's SHA-256 compared, 200 with an access token (ES256)",
        ));
    }
    if has("oauth-tokens") {
        all.push(provider(
            "oauth-tokens:introspect",
            "oauth-tokens/introspect-unknown-client.json",
            OAuthStep::Introspect,
            Expects::Success,
            |a| a.json()["active"] == json!(true),
            "oauth/introspect by a confidential client (Basic) of a user's live access token issued to another (first-party) client: the caller read, then the token's user, blacklist entry and family and its client at once, 200 active",
        ));
    }
    if has("oauth-userinfo") {
        all.push(provider(
            "oauth-userinfo:ok",
            "oauth-userinfo/own-token.json",
            OAuthStep::Userinfo,
            Expects::Success,
            |a| {
                let v = a.json();
                v["sub"].is_string() && v["preferred_username"].is_string()
            },
            "a user's access token issued to a first-party client for `openid profile` (the event's Bearer replaced): the user, the token's blacklist entry and family, and the client at once, 200 the claims",
        ));
    }
    if has("info") {
        // The baseline on the same stack: `info` by Bearer with the
        // provider's key (ES256) and settings.
        let mut on = case(
            "info:oauth-on",
            "info",
            events.join("info/bearer.json"),
            "by Bearer, with the OAuth provider on (ES256 key, ISSUER)",
        );
        on.oauth = true;
        on.envs = accounts_on(OAUTH_ON);
        all.push(on);
    }
    if has("oauth-grants") {
        all.push(provider(
            "oauth-grants:list",
            "oauth-grants/ok.json",
            OAuthStep::Grants,
            Expects::Success,
            |a| a.json().as_array().is_some_and(|l| l.len() == 1),
            "GET oauth/grants by Bearer for a user with one consent: the user read (authentication), 200 the list",
        ));
    }
    all
}

/// The OAuth provider on, as an operator turns it on (template parameters
/// OauthEnabled, Algorithm, TokenIssuer); the key is [`EC_KEY`].
const OAUTH_ON: &[(&str, &str)] = &[
    ("OAUTH_ENABLED", "true"),
    ("ALGORITHM", "ES256"),
    ("ISSUER", TEST_ISSUER),
];

/// The OAuth cases' signing key: an ES256 private key (PEM).
const EC_KEY: &str = include_str!("../../../shared/tests/fixtures/keys/ec.pem");

/// RFC 7636 Appendix B's PKCE verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// The clients' registered redirect URI.
const CALLBACK: &str = "https://client.example.com/callback";
/// The scope the OAuth cases' users grant.
const SCOPE: &str = "openid profile";

/// The frontend pages the account emails link to (as the contract tests').
const VERIFY_PAGE: &str = "https://app.example.test/verify-email?key={key}";
const RESET_PAGE: &str = "https://app.example.test/reset/{uid}/{token}";

/// The new password of a reset confirmation (Django's validators pass it).
const NEW_PASSWORD: &str = "a long and new passphrase";

/// A new name: a username, or an address's local part.
fn new_name() -> String {
    format!("u{}", &uuid::Uuid::new_v4().simple().to_string()[..20])
}

/// What the fresh users and their credentials are made with.
struct Fixture {
    app: App<DynamoStore>,
    /// The OAuth cases' clients.
    clients: Option<Clients>,
}

/// The clients an OAuth case's requests come from, registered as an
/// operator registers them (`authctl clients add`).
struct Clients {
    /// A first-party public client (a SPA): the code flow with PKCE and
    /// refresh tokens, `openid profile read`.
    spa: String,
    /// A third-party public client, the same grants and scopes: the user
    /// consents to it.
    third_party: OAuthClient,
    /// A confidential client (a service): `client_credentials`, and the
    /// resource server that introspects; its id and secret.
    service: (String, String),
}

impl Clients {
    async fn register(app: &App<DynamoStore>) -> Self {
        let client = |first_party: bool, grants: &[Grant], secret: Option<&str>| OAuthClient {
            client_id: new_client_id(),
            name: "Example app".into(),
            secret_hash: secret.map(|s| oauth::secret_hash(&s.to_owned().into())),
            redirect_uris: vec![CALLBACK.into()],
            first_party,
            scopes: ["openid", "profile", "read"].map(String::from).to_vec(),
            grants: grants.to_vec(),
            created: now(),
        };
        let code = [Grant::AuthorizationCode, Grant::RefreshToken];
        let secret = new_client_secret().expose_secret().to_owned();
        let spa = client(true, &code, None);
        let third_party = client(false, &code, None);
        let service = client(false, &[Grant::ClientCredentials], Some(&secret));
        for c in [&spa, &third_party, &service] {
            assert!(
                app.store.add_client(c).await.expect("the client added"),
                "client id taken"
            );
        }
        Clients {
            spa: spa.client_id,
            third_party,
            service: (service.client_id, secret),
        }
    }

    /// `Authorization: Basic` of the service (client_secret_basic).
    fn service_basic(&self) -> String {
        let (id, secret) = &self.service;
        let pair = format!("{id}:{secret}");
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }
}

impl Fixture {
    /// `n` events for `case`, each for a new user with fresh credentials.
    async fn events(&self, case: &Case, n: usize) -> Vec<String> {
        let template = std::fs::read_to_string(&case.event)
            .unwrap_or_else(|e| panic!("{}: {e}", case.event.display()));
        futures::stream::iter(0..n)
            .map(|_| self.event(case, &template))
            .buffered(4)
            .collect()
            .await
    }

    /// A new user with `hash` and, if `with_email`, an unverified address
    /// of their own.
    async fn user(&self, hash: &str, with_email: bool) -> User {
        // A loaded moto can answer after the SDK's attempt timeout; the
        // retry then finds the name taken (by this very user): take another.
        let mut attempts = 0;
        loop {
            let name = new_name();
            let email = match with_email {
                true => format!("{name}@example.com"),
                false => String::new(),
            };
            match (self.app.store)
                .create_user_with_email(&name, hash, &email, false)
                .await
            {
                Ok(user) => break user,
                Err(e) if attempts < 3 => {
                    attempts += 1;
                    eprintln!("user {name}: {e:?}, another");
                }
                Err(e) => panic!("user {name}: {e:?}"),
            }
        }
    }

    /// A live key of `kind` for `user`, as the mailer writes it (an hour
    /// to live); the secret its link carries.
    async fn key(&self, user: &User, kind: KeyKind) -> String {
        let secret = new_secret();
        let (id, hash, mark) = match kind {
            KeyKind::Confirmation => (
                AccountKey::confirmation_id(&secret_hash(&secret)),
                None,
                None,
            ),
            KeyKind::Reset => (
                AccountKey::reset_id(user.id),
                Some(secret_hash(&secret)),
                Some(secret_hash(&user.password)),
            ),
        };
        (self.app.store)
            .put_key(&AccountKey {
                id,
                kind,
                user_id: user.id,
                email: user.email.clone(),
                secret_hash: hash,
                password_mark: mark,
                expires_at: now() + 3600,
            })
            .await
            .expect("the key written");
        secret
    }

    async fn event(&self, case: &Case, template: &str) -> String {
        let user = match case.fresh {
            Fresh::SignUp | Fresh::OAuth(OAuthStep::LoginPage | OAuthStep::ClientCredentials) => {
                None
            }
            Fresh::User | Fresh::OAuth(_) => Some(self.user(&case.hash, false).await),
            Fresh::UserWithEmail | Fresh::Job(_) | Fresh::VerifyKey | Fresh::ResetToken => {
                Some(self.user(&case.hash, true).await)
            }
        };
        let mut fields: Vec<(&str, String)> = vec![];
        match (case.fresh, &user) {
            (Fresh::VerifyKey, Some(user)) => {
                fields.push(("key", self.key(user, KeyKind::Confirmation).await));
            }
            (Fresh::ResetToken, Some(user)) => {
                fields.push(("token", self.key(user, KeyKind::Reset).await));
                fields.push(("uid", uid_of(user.id)));
                fields.push(("new_password1", NEW_PASSWORD.into()));
                fields.push(("new_password2", NEW_PASSWORD.into()));
            }
            _ => {}
        }
        let template = match case.fresh {
            Fresh::OAuth(step) => self.oauth(step, user.as_ref(), template).await,
            _ => template.to_owned(),
        };
        let template = template.as_str();
        let filled = match &user {
            Some(user) if Credentials::needed(template) => Credentials::mint(&self.app, user)
                .await
                .expect("credentials")
                .fill(template),
            _ => template.to_owned(),
        };
        let mut event: Value = serde_json::from_str(&filled).expect("a JSON event");
        if let Fresh::Job(job) = case.fresh {
            // The mailer: the batch's one message is the job.
            let job = job(user.as_ref().expect("a user for the job"));
            event["Records"][0]["body"] = json!(job.to_json());
            return event.to_string();
        }
        if let Some(Ok(Value::Object(mut body))) =
            event["body"].as_str().map(serde_json::from_str::<Value>)
        {
            let (name, email) = match &user {
                Some(user) => (user.username.clone(), user.email.clone()),
                None => {
                    let name = new_name();
                    (name.clone(), format!("{name}@example.com"))
                }
            };
            if body.contains_key("username") {
                body.insert("username".into(), json!(name));
            }
            if body.contains_key("email") && !email.is_empty() {
                body.insert("email".into(), json!(email));
            }
            if let Some(password) = case.password {
                body.insert("password".into(), json!(password));
            }
            for (field, value) in fields {
                body.insert(field.into(), json!(value));
            }
            event["body"] = json!(Value::Object(body).to_string());
        }
        event.to_string()
    }
}

impl Fixture {
    /// `template` with what OAuth request `step` needs: its query, form or
    /// `Authorization` header replaced; a code stored, a consent given.
    async fn oauth(&self, step: OAuthStep, user: Option<&User>, template: &str) -> String {
        let clients = self.clients.as_ref().expect("an OAuth case's clients");
        let mut event: Value = serde_json::from_str(template).expect("a JSON event");
        let form = |pairs: &[(&str, &str)]| {
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish()
        };
        let now = now();
        let amr = vec!["pwd".to_owned()];
        // A user's access token issued to the SPA for `SCOPE`, as
        // `oauth/token` issues one for a code.
        let user_token = |user: &User| {
            let fam = new_jti();
            let grant = OAuthGrant {
                client_id: &clients.spa,
                scope: SCOPE,
                fam: &fam,
                auth_time: now,
                nonce: None,
                amr: &amr,
                refresh: false,
            };
            self.app.tokens.oauth_tokens(user, &grant, now).access
        };
        match step {
            OAuthStep::LoginPage => {}
            OAuthStep::Authorize { first_party } => {
                let client = match first_party {
                    true => clients.spa.as_str(),
                    false => clients.third_party.client_id.as_str(),
                };
                event["rawQueryString"] = json!(form(&[
                    ("response_type", "code"),
                    ("client_id", client),
                    ("redirect_uri", CALLBACK),
                    ("scope", SCOPE),
                    ("state", "af0ifjsldkj"),
                    ("nonce", "n-0S6_WzA2Mj"),
                    ("code_challenge", CHALLENGE),
                    ("code_challenge_method", "S256"),
                ]));
            }
            OAuthStep::Code => {
                let user = user.expect("a user for the code");
                let (code, id) = new_code();
                (self.app.store)
                    .put_code(&AuthorizationCode {
                        id,
                        client_id: clients.spa.clone(),
                        user_id: user.id,
                        generation: user.generation,
                        redirect_uri: CALLBACK.into(),
                        scope: SCOPE.into(),
                        code_challenge: CHALLENGE.into(),
                        nonce: Some("n-0S6_WzA2Mj".into()),
                        auth_time: now,
                        amr: amr.clone(),
                        fam: new_jti(),
                        // Live for its 60 s once served: a warm run's
                        // events are all made before it starts, and
                        // making a hundred takes longer than that.
                        expires_at: now + CODE_LIFETIME + 600,
                    })
                    .await
                    .expect("the code stored");
                event["body"] = json!(form(&[
                    ("grant_type", "authorization_code"),
                    ("client_id", &clients.spa),
                    ("code", code.expose_secret()),
                    ("redirect_uri", CALLBACK),
                    ("code_verifier", VERIFIER),
                ]));
            }
            OAuthStep::ClientCredentials => {
                event["headers"]["authorization"] = json!(clients.service_basic());
                event["body"] = json!(form(&[("grant_type", "client_credentials")]));
            }
            OAuthStep::Introspect => {
                let token = user_token(user.expect("a user for the token"));
                event["headers"]["authorization"] = json!(clients.service_basic());
                event["body"] = json!(form(&[
                    ("token", &token),
                    ("token_type_hint", "access_token")
                ]));
            }
            OAuthStep::Userinfo => {
                let token = user_token(user.expect("a user for the token"));
                event["headers"]["authorization"] = json!(format!("Bearer {token}"));
            }
            OAuthStep::Grants => {
                let user = user.expect("a user for the consent");
                let client = &clients.third_party;
                let consent = Consent {
                    client_id: client.client_id.clone(),
                    name: client.name.clone(),
                    scope: SCOPE.into(),
                    granted_at: now,
                };
                let given = (self.app.store)
                    .give_consent(user.id, &consent, None)
                    .await
                    .expect("the consent given");
                assert!(given, "the consent given");
            }
        }
        event.to_string()
    }
}

/// A memory size in MB, or none (the whole machine).
type Size = Option<u64>;

/// Which binaries (a name, and their directory if not `target/release`).
type Binaries = (String, Option<PathBuf>);

/// One column of the comparison: a size, with one set of binaries.
struct Slot<'a> {
    size: Size,
    binaries: &'a Binaries,
}

impl Slot<'_> {
    /// `128`, `unrestricted`; with several sets of binaries `128@before`.
    fn label(&self, several: bool) -> String {
        let size = self.size.map_or("unrestricted".into(), |mb| mb.to_string());
        match several {
            true => format!("{size}@{}", self.binaries.0),
            false => size,
        }
    }
}

/// Everything measured for one case at one size.
#[derive(Default)]
struct Tally {
    cold: Vec<Duration>,
    init: Vec<Duration>,
    first: Vec<Duration>,
    own_init_us: Vec<u64>,
    /// CPU time by the first response, per cold start.
    cold_cpu: Vec<Duration>,
    warm: Vec<Duration>,
    /// The warm process's CPU time after its first response, and the CFS
    /// periods it was throttled in meanwhile.
    warm_cpu: Option<(Duration, u64)>,
    peak_rss_kib: u64,
    group_peak_bytes: u64,
    oom_kills: u64,
    throttled_ms: Vec<f64>,
    statuses: BTreeMap<u16, usize>,
    unexpected: usize,
    /// The first unexpected answer, abridged (printed, not written).
    first_unexpected: Option<String>,
    failures: Vec<String>,
}

impl Tally {
    fn add(&mut self, run: &Run, group: Option<&Cgroup>, case: &Case, warm: bool) {
        if warm {
            self.warm.extend(run.durations.iter().skip(1));
            if let (Some(first), Some(end)) = (run.cpu_first, run.cpu_end) {
                self.warm_cpu = Some((
                    end.cpu.saturating_sub(first.cpu),
                    end.throttled_periods - first.throttled_periods,
                ));
            }
        } else {
            self.cold_cpu.extend(run.cpu_first.map(|c| c.cpu));
            self.cold.extend(run.cold);
            self.init.extend(run.init);
            self.first.extend(run.durations.first());
            self.own_init_us.extend(run.own_init.map(|o| o.total_us));
        }
        self.peak_rss_kib = self.peak_rss_kib.max(run.peak_rss_kib.unwrap_or(0));
        for (s, answer) in run.statuses.iter().zip(&run.responses) {
            *self.statuses.entry(*s).or_default() += 1;
            let ok = case.expects.admits(*s) && case.check.is_none_or(|c| c(&Posted(answer)));
            self.unexpected += usize::from(!ok);
            if !ok && self.first_unexpected.is_none() {
                let text = answer.to_string();
                self.first_unexpected = Some(text.chars().take(300).collect());
            }
        }
        if let Some(g) = group {
            self.oom_kills += g.oom_kills();
            self.group_peak_bytes = self.group_peak_bytes.max(g.max_usage_bytes().unwrap_or(0));
            if !warm {
                self.throttled_ms.push(g.throttled_ns() as f64 / 1e6);
            }
        }
        match &run.ended {
            Ended::Answered => {}
            Ended::Exited(status) => self.failures.push(format!("exited: {status}")),
            Ended::TimedOut => self.failures.push("timed out".into()),
        }
    }

    /// The warm invocations' mean CPU time, ms.
    fn warm_cpu_per_invocation(&self) -> Option<f64> {
        let (cpu, _) = self.warm_cpu?;
        (!self.warm.is_empty()).then(|| cpu.as_secs_f64() * 1000.0 / self.warm.len() as f64)
    }

    fn json(&self) -> Value {
        let stats = |v: &[Duration]| {
            if v.is_empty() {
                return Value::Null;
            }
            let ms = |p: f64| (percentile(v, p).unwrap().as_secs_f64() * 1e5).round() / 100.0;
            json!({"p50": ms(50.0), "p99": ms(99.0), "min": ms(0.0), "max": ms(100.0), "n": v.len()})
        };
        let mut own: Vec<u64> = self.own_init_us.clone();
        own.sort();
        let mut throttled = self.throttled_ms.clone();
        throttled.sort_by(f64::total_cmp);
        json!({
            "cold_ms": stats(&self.cold),
            "init_ms": stats(&self.init),
            "first_invocation_ms": stats(&self.first),
            "warm_ms": stats(&self.warm),
            "own_init_p50_ms": own.get(own.len() / 2).map(|us| *us as f64 / 1000.0),
            "cold_cpu_ms": stats(&self.cold_cpu),
            "warm_cpu_ms_per_invocation": self.warm_cpu_per_invocation().map(|ms| (ms * 100.0).round() / 100.0),
            "warm_throttled_periods": self.warm_cpu.map(|(_, periods)| periods),
            "cold_throttled_p50_ms": throttled.get(throttled.len() / 2),
            "peak_rss_kib": self.peak_rss_kib,
            "group_peak_kib": (self.group_peak_bytes > 0).then_some(self.group_peak_bytes / 1024),
            "oom_kills": self.oom_kills,
            "statuses": self.statuses.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
            "unexpected_statuses": self.unexpected,
            "failures": self.failures,
        })
    }
}

struct Options {
    sizes: Vec<Size>,
    runs: usize,
    warm: usize,
    warm_budget: Duration,
    /// The pause before each warm invocation after the first.
    warm_gap: Duration,
    key_from_ssm: bool,
    rtt: Duration,
    handshake_rtts: u32,
    binaries: Vec<Binaries>,
    out: Option<PathBuf>,
    timeout: Duration,
    selected: Vec<String>,
}

fn usage(problem: &str) -> ! {
    eprintln!("lambda_emulate: {problem}\n(see the top of tests/src/bin/lambda_emulate.rs)");
    std::process::exit(2)
}

fn options() -> Options {
    let mut o = Options {
        sizes: [
            Some(128),
            Some(256),
            Some(512),
            Some(1024),
            Some(1769),
            None,
        ]
        .to_vec(),
        runs: 11,
        warm: 100,
        warm_budget: Duration::from_secs(30),
        warm_gap: Duration::ZERO,
        key_from_ssm: true,
        rtt: Duration::ZERO,
        handshake_rtts: 2,
        binaries: vec![],
        out: Some(workspace().join("tests/cost/measurements.json")),
        timeout: Duration::from_secs(60),
        selected: vec![],
    };
    let mut args = std::env::args().skip(1);
    let value = |flag: &str, args: &mut dyn Iterator<Item = String>| {
        args.next()
            .unwrap_or_else(|| usage(&format!("{flag} needs a value")))
    };
    let number = |flag: &str, v: String| -> u64 {
        v.parse()
            .unwrap_or_else(|_| usage(&format!("{flag}: {v}?")))
    };
    while let Some(a) = args.next() {
        match a.as_str() {
            "--sizes" => {
                o.sizes = value(&a, &mut args)
                    .split(',')
                    .map(|s| match s.trim() {
                        "unrestricted" => None,
                        mb => Some(number("--sizes", mb.to_owned())),
                    })
                    .collect()
            }
            "--runs" => o.runs = number(&a, value(&a, &mut args)) as usize,
            "--warm" => o.warm = number(&a, value(&a, &mut args)) as usize,
            "--warm-budget" => {
                o.warm_budget = Duration::from_secs(number(&a, value(&a, &mut args)))
            }
            "--warm-gap-ms" => o.warm_gap = Duration::from_millis(number(&a, value(&a, &mut args))),
            "--timeout" => o.timeout = Duration::from_secs(number(&a, value(&a, &mut args))),
            "--key" => {
                o.key_from_ssm = match value(&a, &mut args).as_str() {
                    "ssm" => true,
                    "env" => false,
                    other => usage(&format!("--key {other}? (ssm or env)")),
                }
            }
            "--rtt-ms" => o.rtt = Duration::from_millis(number(&a, value(&a, &mut args))),
            "--handshake-rtts" => o.handshake_rtts = number(&a, value(&a, &mut args)) as u32,
            "--bin-dir" => {
                let v = value(&a, &mut args);
                let (name, dir) = v.split_once('=').unwrap_or(("", &v));
                let name = match name {
                    "" => format!("bin{}", o.binaries.len() + 1),
                    n => n.to_owned(),
                };
                o.binaries.push((name, Some(PathBuf::from(dir))));
            }
            "--out" => {
                let v = value(&a, &mut args);
                o.out = (v != "-").then(|| PathBuf::from(v));
            }
            flag if flag.starts_with("--") => usage(&format!("unknown option {flag}")),
            case => o.selected.push(case.to_owned()),
        }
    }
    if o.runs == 0 || o.sizes.is_empty() {
        usage("nothing to measure");
    }
    if o.binaries.is_empty() {
        o.binaries.push(("release".into(), None));
    }
    o
}

fn shell(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .current_dir(workspace())
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// How these figures were made: date, commit, machine, command.
fn provenance(o: &Options) -> Value {
    let dirty = !shell(
        "git",
        &["status", "--porcelain", "--", "shared", "functions"],
    )
    .is_empty();
    let commit = shell("git", &["rev-parse", "--short", "HEAD"]);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_default();
    let args: Vec<String> = std::env::args().skip(1).collect();
    json!({
        "date": shell("date", &["-u", "+%Y-%m-%dT%H:%M:%SZ"]),
        "commit": if dirty { format!("{commit}+uncommitted") } else { commit },
        "machine": format!("{} CPUs, {cpu}", std::thread::available_parallelism().map_or(0, |n| n.get())),
        "binaries": o.binaries.iter().map(|(name, dir)| {
            (name.clone(), json!(dir.as_ref().map_or("target/release".into(), |d| d.display().to_string())))
        }).collect::<serde_json::Map<_, _>>(),
        "command": format!("cargo run --release -p integration-tests --bin lambda_emulate -- {}", args.join(" ")),
        "key_from": if o.key_from_ssm { "ssm" } else { "env" },
        "rtt_ms": o.rtt.as_secs_f64() * 1000.0,
        "warm_gap_ms": o.warm_gap.as_secs_f64() * 1000.0,
        "handshake_rtts": o.handshake_rtts,
    })
}

/// How many messages the queue at `url` holds (none is received: a
/// poller would take them).
async fn queue_depth(moto: &str, url: &str) -> u64 {
    use aws_sdk_sqs::types::QueueAttributeName;
    let config = integration_tests::moto_config(moto).await;
    let attributes = aws_sdk_sqs::Client::new(&config)
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "GetQueueAttributes on moto: {}",
                aws_sdk_sqs::error::DisplayErrorContext(e)
            )
        })
        .attributes
        .unwrap_or_default();
    (attributes.get(&QueueAttributeName::ApproximateNumberOfMessages))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn ms(d: Option<Duration>) -> String {
    d.map_or("-".into(), |d| format!("{:.1}", d.as_secs_f64() * 1000.0))
}

#[tokio::main]
async fn main() {
    let o = options();
    let all = cases();
    let selected: Vec<&Case> = all
        .iter()
        .filter(|c| {
            o.selected.is_empty()
                || o.selected
                    .iter()
                    .any(|s| c.name == *s || c.name.starts_with(&format!("{s}:")))
        })
        .collect();
    if selected.is_empty() {
        let names: Vec<&str> = all.iter().map(|c| c.name.as_str()).collect();
        usage(&format!("no such case; cases: {}", names.join(" ")));
    }
    if o.sizes.iter().any(Option::is_some) {
        if let Err(why) = cgroup::available() {
            println!("lambda_emulate: skipped, no Lambda memory sizes here: {why}");
            return;
        }
        cgroup::sweep_stale();
        cgroup::clean_up_on_panic();
    }
    for case in &selected {
        for (_, dir) in &o.binaries {
            let binary = lambda::binary(dir.as_deref(), &case.function);
            if !binary.exists() {
                usage(&format!(
                    "no {} (cargo build --release -p {})",
                    binary.display(),
                    case.function
                ));
            }
        }
    }
    let slots: Vec<Slot> = o
        .binaries
        .iter()
        .flat_map(|b| {
            o.sizes.iter().map(move |size| Slot {
                size: *size,
                binaries: b,
            })
        })
        .collect();
    let several = o.binaries.len() > 1;

    let moto = moto_endpoint();
    let proxy = if o.rtt > Duration::ZERO {
        Some(DelayProxy::start(&moto, o.rtt, o.handshake_rtts).await)
    } else {
        None
    };
    let endpoint = proxy.as_ref().map_or(moto.clone(), |p| p.endpoint.clone());
    // Every case starts on an empty moto: its TransactWriteItems copies
    // every table it holds, so thousands of users from earlier cases would
    // slow each write of the next to seconds (and past the SDK's timeout).
    let (moto, endpoint) = (&moto, &endpoint);
    let fresh = |function: String, with_oauth: bool| async move {
        // IAM as deployed: the function signs as its own user (iam.rs).
        iam::reset(moto);
        let store = fresh_store().await;
        // The OAuth provider signs with an ES256 key.
        let key = if with_oauth { EC_KEY } else { KEY };
        let mut base: Vec<(String, String)> = function_env(endpoint, endpoint)
            .into_iter()
            .chain(own_keys(&function))
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        base.push(("AWS_ENDPOINT_URL_SQS".into(), endpoint.clone()));
        // The stack's mail queue, its URL in the settings as the stack
        // writes it.
        let queue = make_mail_queue(moto, store.tables()).await;
        if o.key_from_ssm {
            put_parameters(moto, key, store.tables()).await;
            put_settings_with_queue(moto, store.tables(), &queue).await;
        } else {
            base.push(("MAIL_QUEUE_URL".into(), queue.clone()));
            integration_tests::stack::verify_sender(moto, None).await;
            base.retain(|(k, _)| k != "SIGNING_KEY_PARAMETER" && k != "SETTINGS_PARAMETER");
            base.push(("SIGNING_KEY".into(), key.into()));
            let t = store.tables();
            for (k, v) in [
                ("USERS_TABLE", &t.users),
                ("SESSIONS_TABLE", &t.sessions),
                ("BLACKLIST_TABLE", &t.blacklist),
                ("THROTTLE_TABLE", &t.throttle),
            ] {
                base.push((k.into(), v.clone()));
            }
        }
        base.extend(
            [
                ("THROTTLE_USERNAME_ADDRESS_LIMIT", "1000000"),
                ("THROTTLE_USERNAME_LIMIT", "1000000"),
                ("THROTTLE_IP_LIMIT", "1000000"),
                ("THROTTLE_SIGNUP_ADDRESS_LIMIT", "1000000"),
                ("AWS_LAMBDA_FUNCTION_NAME", "bench"),
                ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
                ("AWS_LAMBDA_LOG_FORMAT", "JSON"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        );
        let settings = match with_oauth {
            // As the functions read them (the environment over the
            // settings parameter).
            true => Settings::from_lookup(|name| match name {
                "SIGNING_KEY" => Some(key.to_owned()),
                _ => (OAUTH_ON.iter())
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string()),
            }),
            false => Settings::with_signing_key(key),
        };
        let app = App::new(settings.expect("the fixture's settings"), store);
        let clients = match with_oauth {
            true => Some(Clients::register(&app).await),
            false => None,
        };
        let fixture = Fixture { app, clients };
        (fixture, base, queue)
    };
    let meta = provenance(&o);
    println!(
        "lambda_emulate: {} case(s) × sizes {}; {} cold starts each, up to {} warm; key from {}; rtt {} ms (+{} per new connection)",
        selected.len(),
        slots
            .iter()
            .map(|s| s.label(several))
            .collect::<Vec<_>>()
            .join(","),
        o.runs,
        o.warm,
        if o.key_from_ssm { "SSM" } else { "env" },
        o.rtt.as_millis(),
        o.handshake_rtts,
    );

    let mut results = serde_json::Map::new();
    for case in selected {
        let (fixture, base, queue) = fresh(case.function.clone(), case.oauth).await;
        let envs_for = |size: Size| {
            let mut envs = base.clone();
            envs.extend(case.envs.iter().cloned());
            envs.push((
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
                size.unwrap_or(10240).to_string(),
            ));
            envs
        };
        let run_in = |slot: &Slot, events: Vec<String>, gap: Duration| {
            let binary = lambda::binary(slot.binaries.1.as_deref(), &case.function);
            let group = slot
                .size
                .map(|mb| Cgroup::create(mb).unwrap_or_else(|e| panic!("{e}")));
            let envs = envs_for(slot.size);
            async move {
                let launch = Launch {
                    binary: &binary,
                    envs: &envs,
                    events,
                    cgroup: group.as_ref(),
                    timeout: o.timeout,
                };
                let run = lambda::launch_paced(launch, gap).await;
                (run, group)
            }
        };
        let mut tallies: Vec<Tally> = slots.iter().map(|_| Tally::default()).collect();
        // Cold starts, the slots taking turns.
        for _ in 0..o.runs {
            for (i, slot) in slots.iter().enumerate() {
                let events = fixture.events(case, 1).await;
                let (run, group) = run_in(slot, events, Duration::ZERO).await;
                tallies[i].add(&run, group.as_ref(), case, false);
            }
        }
        // Then one warm process per slot.
        for (i, slot) in slots.iter().enumerate() {
            let cold = percentile(&tallies[i].cold, 50.0).unwrap_or(o.warm_budget) + o.warm_gap;
            let fit = (o.warm_budget.as_secs_f64() / cold.as_secs_f64().max(1e-3)) as usize;
            let n = fit.clamp(5, o.warm.max(5)).min(o.warm);
            if n == 0 {
                continue;
            }
            let events = fixture.events(case, n + 1).await;
            let (run, group) = run_in(slot, events, o.warm_gap).await;
            tallies[i].add(&run, group.as_ref(), case, true);
        }

        // Every answered invocation's job, on the queue.
        let invocations: usize = tallies
            .iter()
            .map(|t| t.statuses.values().sum::<usize>())
            .sum();
        let queued = match case.queues_mail {
            true => Some(queue_depth(moto, &queue).await),
            false => None,
        };
        println!(
            "\n{} — {} ({})",
            case.name,
            case.about,
            case.event
                .strip_prefix(workspace())
                .unwrap_or(&case.event)
                .display()
        );
        println!(
            "  {:<20} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9} {:>9} {:>9}  notes",
            "MemorySize",
            "cold p50",
            "cold p99",
            "init p50",
            "warm p50",
            "warm p99",
            "peak RSS",
            "×unrestr",
            "cold CPU",
            "warm CPU"
        );
        let mut sizes = serde_json::Map::new();
        for (slot, t) in slots.iter().zip(&tallies) {
            // Against the unrestricted run of the same binaries.
            let unrestricted = slots
                .iter()
                .position(|s| s.size.is_none() && s.binaries.0 == slot.binaries.0)
                .and_then(|i| percentile(&tallies[i].cold, 50.0));
            let cold = percentile(&t.cold, 50.0);
            let ratio = cold.zip(unrestricted).map_or("-".into(), |(c, u)| {
                format!("{:.2}", c.as_secs_f64() / u.as_secs_f64())
            });
            let mut notes = Vec::new();
            if t.oom_kills > 0 {
                notes.push(format!("OOM-killed {}×", t.oom_kills));
            }
            if t.unexpected > 0 {
                notes.push(format!(
                    "{} unexpected answers (statuses {:?}), the first: {}",
                    t.unexpected,
                    t.statuses,
                    t.first_unexpected.as_deref().unwrap_or_default()
                ));
            }
            if !t.failures.is_empty() {
                notes.push(format!("{} failed: {}", t.failures.len(), t.failures[0]));
            }
            let name = slot
                .size
                .map_or("unrestricted".into(), |mb| format!("{mb} MB"));
            println!(
                "  {:<20} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6} MiB {:>9} {:>9} {:>9}  {}",
                match several {
                    true => format!("{name} @{}", slot.binaries.0),
                    false => name,
                },
                ms(cold),
                ms(percentile(&t.cold, 99.0)),
                ms(percentile(&t.init, 50.0)),
                ms(percentile(&t.warm, 50.0)),
                ms(percentile(&t.warm, 99.0)),
                format!("{:.1}", t.peak_rss_kib as f64 / 1024.0),
                ratio,
                ms(percentile(&t.cold_cpu, 50.0)),
                t.warm_cpu_per_invocation()
                    .map_or("-".into(), |c| format!("{c:.2}")),
                notes.join("; ")
            );
            sizes.insert(slot.label(several), t.json());
        }
        if let Some(queued) = queued {
            let note = match queued == invocations as u64 {
                true => "one each",
                false => "NOT one each",
            };
            println!("  mail jobs queued: {queued} for {invocations} invocations ({note})");
        }
        results.insert(
            case.name.clone(),
            json!({
                "function": case.function,
                "about": case.about,
                "event": case.event.strip_prefix(workspace()).unwrap_or(&case.event).display().to_string(),
                "expects": case.expects.label(),
                "mail_jobs_queued": queued.map(|q| json!({"queued": q, "invocations": invocations})),
                "sizes": sizes,
                "measured": meta,
            }),
        );
    }
    if let Some(proxy) = &proxy {
        println!(
            "\n(through the latency proxy: {} connections, {} requests)",
            proxy.connections(),
            proxy.requests()
        );
    }
    if let Some(out) = &o.out {
        let mut file: Value = std::fs::read_to_string(out)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_else(|| json!({}));
        if !file.is_object() {
            file = json!({});
        }
        file["about"] = json!(
            "Written by tests/src/bin/lambda_emulate.rs (case by case: each case's figures come from the command in its `measured`). Times in ms; sizes in MB of Lambda MemorySize (cgroup CPU share and memory limit); `unrestricted` = no cgroup."
        );
        let cases = file
            .as_object_mut()
            .unwrap()
            .entry("cases")
            .or_insert_with(|| json!({}));
        for (name, value) in results {
            cases[name] = value;
        }
        if let Some(dir) = out.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        std::fs::write(out, serde_json::to_string_pretty(&file).unwrap() + "\n")
            .unwrap_or_else(|e| panic!("{}: {e}", out.display()));
        println!("\nwritten to {}", out.display());
    }
}
