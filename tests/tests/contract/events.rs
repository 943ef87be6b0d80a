//! The sample events in `events/` double as fixtures: each one, its
//! placeholders filled with fresh credentials, runs through its function's
//! handler and gets the status its name promises.

use std::collections::BTreeSet;

use integration_tests::auth::fixtures::Credentials;
use integration_tests::{TestApp, spawn_app, workspace};

use crate::helpers::*;

/// Every event file and the status it must produce.
const EXPECTED: &[(&str, u16)] = &[
    ("info/bad-password-basic.json", 401),
    ("info/basic.json", 200),
    ("info/bearer.json", 200),
    ("info/expired-bearer.json", 401),
    ("info/forged-bearer.json", 401),
    ("info/garbage-jwt-auth.json", 401),
    ("info/jwt-auth.json", 200),
    ("info/refresh-token-as-bearer.json", 401),
    ("info/session.json", 200),
    ("info/unauthenticated.json", 401),
    ("info/wrong-method.json", 405),
    ("jwt-login/bad-password.json", 403),
    ("jwt-login/missing-field.json", 400),
    ("jwt-login/ok.json", 200),
    ("login-mfa/forged-token.json", 401),
    ("login-mfa/missing-field.json", 400),
    ("login-mfa/wrong-method.json", 405),
    ("login-passkey/invalid-credential.json", 400),
    ("login-passkey/off.json", 404),
    ("login-passkey/ok.json", 200),
    ("login-passkey/wrong-method.json", 405),
    ("login/already-logged-in-missing-csrf.json", 403),
    ("login/bad-password.json", 403),
    ("login/body-too-large.json", 413),
    ("login/json-parse-error.json", 400),
    ("login/missing-field.json", 400),
    ("login/not-an-object.json", 400),
    ("login/ok-form.json", 200),
    ("login/ok.json", 200),
    ("login/unknown-user.json", 403),
    ("login/unsupported-media-type.json", 415),
    ("login/wrong-method.json", 405),
    ("logout-all/ok.json", 200),
    ("logout-all/session-missing-csrf-header.json", 403),
    ("logout-all/unauthenticated.json", 401),
    ("logout/bad-origin.json", 403),
    ("logout/basic.json", 200),
    ("logout/missing-csrf-header.json", 403),
    ("logout/ok.json", 200),
    ("logout/unauthenticated.json", 401),
    ("logout/wrong-method.json", 405),
    ("mfa/confirm-without-enrolment.json", 409),
    ("mfa/totp-ok.json", 200),
    ("mfa/totp-wrong-password.json", 400),
    ("mfa/unauthenticated.json", 401),
    ("oauth-authorize/login-page.json", 200),
    ("oauth-authorize/off.json", 404),
    ("oauth-authorize/unknown-client.json", 400),
    ("oauth-authorize/wrong-method.json", 405),
    ("oauth-grants/off.json", 404),
    ("oauth-grants/ok.json", 200),
    ("oauth-grants/unauthenticated.json", 401),
    ("oauth-grants/withdraw-unknown.json", 404),
    ("oauth-token/off.json", 404),
    ("oauth-token/unknown-client.json", 401),
    ("oauth-token/unsupported-grant.json", 400),
    ("oauth-token/wrong-method.json", 405),
    ("oauth-tokens/introspect-unknown-client.json", 401),
    ("oauth-tokens/off.json", 404),
    ("oauth-tokens/revoke-unknown-client.json", 401),
    ("oauth-tokens/wrong-method.json", 405),
    ("oauth-userinfo/off.json", 404),
    ("oauth-userinfo/own-token.json", 403),
    ("oauth-userinfo/unauthenticated.json", 401),
    ("oauth-userinfo/wrong-method.json", 405),
    ("passkeys/off.json", 404),
    ("passkeys/ok.json", 200),
    ("passkeys/register-invalid-credential.json", 400),
    ("passkeys/register-options-wrong-password.json", 400),
    ("passkeys/register-options.json", 200),
    ("passkeys/rename-unknown.json", 404),
    ("passkeys/unauthenticated.json", 401),
    ("passkeys/wrong-method.json", 405),
    ("password-change/ok.json", 200),
    ("password-change/too-common.json", 400),
    ("password-change/unauthenticated.json", 401),
    ("password-change/wrong-old-password.json", 400),
    ("password-reset/confirm-off.json", 404),
    ("password-reset/off.json", 404),
    ("password-reset/request-ok.json", 200),
    ("registration/closed.json", 403),
    ("registration/signup-ok.json", 201),
    ("registration/verify-missing-field.json", 400),
    ("registration/verify-unknown-key.json", 404),
    ("registration/wrong-method.json", 405),
    ("registration-passkey/invalid-credential.json", 400),
    ("registration-passkey/off.json", 404),
    ("registration-passkey/ok.json", 200),
    ("registration-passkey/wrong-method.json", 405),
    ("token-blacklist/access-token.json", 401),
    ("token-blacklist/garbage.json", 401),
    ("token-blacklist/missing-field.json", 400),
    ("token-blacklist/ok.json", 200),
    ("token-obtain-pair/bad-password.json", 401),
    ("token-obtain-pair/blank-field.json", 400),
    ("token-obtain-pair/missing-field.json", 400),
    ("token-obtain-pair/ok-form.json", 200),
    ("token-obtain-pair/ok.json", 200),
    ("token-refresh/access-token.json", 401),
    ("token-refresh/expired.json", 401),
    ("token-refresh/forged.json", 401),
    ("token-refresh/garbage.json", 401),
    ("token-refresh/missing-field.json", 400),
    ("token-refresh/ok.json", 200),
    ("token-verify/expired.json", 401),
    ("token-verify/forged.json", 401),
    ("token-verify/missing-field.json", 400),
    ("token-verify/ok-refresh.json", 200),
    ("token-verify/ok.json", 200),
    ("user/delete-wrong-password.json", 400),
    ("user/ok.json", 200),
    ("user/patch-names.json", 200),
    ("user/unauthenticated.json", 401),
    ("user/wrong-method.json", 405),
    ("well-known/jwks.json", 200),
    ("well-known/openid-configuration.json", 200),
    ("well-known/wrong-method.json", 405),
];

/// The events that run with passkeys on (`crate::passkeys::PASSKEYS_ON`);
/// the others find them off. Those also in [`WITH_ACCOUNTS`] run with
/// sign-up by passkey on as well.
const WITH_PASSKEYS: &[&str] = &[
    "login-passkey/invalid-credential.json",
    "login-passkey/ok.json",
    "passkeys/ok.json",
    "passkeys/register-invalid-credential.json",
    "passkeys/register-options-wrong-password.json",
    "passkeys/register-options.json",
    "passkeys/rename-unknown.json",
    "registration-passkey/invalid-credential.json",
    "registration-passkey/ok.json",
];

/// The events that run with the account flows on (sign-up open, both
/// links' pages set) and a mail queue (`crate::signup::Accounts`): the
/// success cases of sign-up and of a reset request, each answered and its
/// job queued. Every other event runs on the default settings (the flows
/// off).
const WITH_ACCOUNTS: &[&str] = &[
    "password-reset/request-ok.json",
    "registration-passkey/invalid-credential.json",
    "registration-passkey/ok.json",
    "registration/signup-ok.json",
];

/// The events that run with the OAuth provider on (`crate::oauth::OAUTH_ON`).
const WITH_OAUTH: &[&str] = &[
    "oauth-authorize/login-page.json",
    "oauth-authorize/unknown-client.json",
    "oauth-grants/ok.json",
    "oauth-grants/unauthenticated.json",
    "oauth-grants/withdraw-unknown.json",
    "oauth-token/unknown-client.json",
    "oauth-token/unsupported-grant.json",
    "oauth-tokens/introspect-unknown-client.json",
    "oauth-tokens/revoke-unknown-client.json",
    "oauth-userinfo/own-token.json",
    "oauth-userinfo/unauthenticated.json",
];

fn event_files() -> BTreeSet<String> {
    let root = workspace().join("events");
    let mut files = BTreeSet::new();
    for dir in std::fs::read_dir(&root).expect("events/") {
        let dir = dir.unwrap().path();
        // The mailer's are SQS events, not requests: mail.rs runs them.
        if !dir.is_dir() || dir.ends_with("mailer") {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "json") {
                files.insert(
                    file.strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    files
}

#[test]
fn every_event_file_has_an_expected_status_and_a_function() {
    let listed: BTreeSet<String> = EXPECTED.iter().map(|(f, _)| f.to_string()).collect();
    assert_eq!(event_files(), listed, "events/ and EXPECTED differ");
    for file in WITH_ACCOUNTS.iter().chain(WITH_PASSKEYS).chain(WITH_OAUTH) {
        assert!(listed.contains(*file), "{file} is not in EXPECTED");
    }
    // every function has events, and every event a function
    let functions: BTreeSet<&str> = EXPECTED
        .iter()
        .map(|(file, _)| file.split('/').next().unwrap())
        .collect();
    assert_covers_every_route(functions);
}

#[tokio::test]
async fn every_event_gets_the_status_its_name_promises() {
    use integration_tests::auth::store::UserStore;
    let mut current: Option<(&str, (bool, bool, bool), TestApp)> = None;
    for (file, status) in EXPECTED {
        let function = file.split('/').next().unwrap();
        let accounts = (
            WITH_ACCOUNTS.contains(file),
            WITH_PASSKEYS.contains(file),
            WITH_OAUTH.contains(file),
        );
        // Each function's events get fresh tables (logout-all and password
        // changes end earlier credentials), and the account flows' success
        // cases an app with the flows on.
        if current
            .as_ref()
            .is_none_or(|(f, a, _)| (*f, *a) != (function, accounts))
        {
            let t = match accounts {
                (_, _, true) => integration_tests::spawn_app_with(crate::oauth::OAUTH_ON).await,
                (true, true, _) => crate::passkey_signup::signup_app(&[]).await.t,
                (true, _, _) => crate::signup::Accounts::new(&[]).await.t,
                (_, true, _) => crate::passkeys::passkey_app().await,
                _ => spawn_app().await,
            };
            current = Some((function, accounts, t));
        }
        let t = &current.as_ref().unwrap().2;
        let template = std::fs::read_to_string(workspace().join("events").join(file)).unwrap();
        let text = if Credentials::needed(&template) {
            let alice = t.app.store.user_by_id(t.alice.id).await.unwrap().unwrap();
            Credentials::mint(&t.app, &alice)
                .await
                .unwrap()
                .fill(&template)
        } else {
            template
        };
        let request = integration_tests::auth::lambda_http::request::from_str(&text)
            .unwrap_or_else(|e| panic!("{file} is not an API Gateway v2 event: {e}"));
        let r = invoke(function, t, request).await;
        assert_eq!(r.status, *status, "{file}: {}", r.body);
        if r.status == 200 && function == "login" {
            assert_eq!(r.set_cookies().len(), 2, "{file}");
        }
    }
}
