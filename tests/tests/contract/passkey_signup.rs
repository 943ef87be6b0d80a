//! Sign-up with a passkey instead of a password
//! (`registration/passkey/options`, `registration/passkey`, with
//! `MFA_PASSKEY_SIGNUP_ENABLED`): the account created holding its passkey
//! in one transaction, its address verified as any sign-up's, then its
//! logins and re-authentication by the passkey; and what the ceremony must
//! refuse (a used, foreign or unverified one; a username or credential
//! taken meanwhile).

use integration_tests::auth::credentials::password::hash_format;
use integration_tests::auth::store::{PasskeyStore, UserAdmin, UserStore};
use integration_tests::softkey::SoftKey;

use crate::helpers::*;
use crate::mail::unique_address;
use crate::passkeys::{
    INVALID, ORIGIN, PASSKEYS_ON, assertion, creation_options, login_with, request_options,
};
use crate::signup::{Accounts, NOT_VERIFIED, SENT, query, verify};

/// Accounts and passkeys on, and sign-up with a passkey.
pub async fn signup_app(more: &[(&str, &str)]) -> Accounts {
    let mut vars = PASSKEYS_ON.to_vec();
    vars.push(("MFA_PASSKEY_SIGNUP_ENABLED", "true"));
    vars.extend_from_slice(more);
    Accounts::new(&vars).await
}

fn options_for(username: &str, email: &str) -> Req {
    Req::post(SIGNUP_PASSKEY_OPTIONS).json(&json!({"username": username, "email": email}))
}

/// The creation options for a sign-up as `username`.
async fn signup_options(t: &TestApp, username: &str, email: &str) -> Value {
    let r = call!(registration_passkey, t, options_for(username, email));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    r.json()
}

fn finish(credential: &Value) -> Req {
    Req::post(SIGNUP_PASSKEY).json(&json!({"credential": credential, "name": "My phone"}))
}

#[tokio::test]
async fn a_passkey_account_verifies_its_address_then_logs_in_and_re_authenticates_with_it() {
    let a = signup_app(&[]).await;
    let email = unique_address();
    let options = signup_options(&a.t, "keyholder", &email).await;
    let pk = &options["publicKey"];
    assert_eq!(pk["rp"]["id"], "localhost");
    assert_eq!(pk["user"]["name"], "keyholder");
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
    assert!(!options.to_string().contains(&email), "no address in it");
    let mut key = SoftKey::new(ORIGIN);
    let credential = key.create(&options).await.unwrap();
    let r = call!(registration_passkey, a.t, finish(&credential));
    r.assert(201, SENT);

    // The account: no usable password, its passkey, its address unverified.
    let user = (a.t.app.store.user_by_username("keyholder").await)
        .unwrap()
        .unwrap();
    assert_eq!(hash_format(&user.password), "unusable");
    assert!(!user.email_verified && user.email == email);
    assert_eq!(user.passkeys.len(), 1);
    assert_eq!(user.passkeys[0].name, "My phone");
    let id = credential["id"].as_str().unwrap();
    assert_eq!(
        a.t.app.store.passkey_owner(id).await.unwrap(),
        Some(user.id)
    );

    // Not before the address is verified; never with a password.
    let login = assertion(&a.t, &mut key).await;
    let r = call!(login_passkey, a.t, login_with(&login, "session"));
    r.assert(403, NOT_VERIFIED);
    for password in ["", "!", &user.password] {
        let r = call!(
            token_obtain_pair,
            a.t,
            credentials(OBTAIN, "keyholder", password)
        );
        assert_ne!(r.status, 200, "{password:?}: {}", r.body);
    }
    let links = a.links(&email).await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].0, "Please confirm your e-mail address");
    let r = call!(registration, a.t, verify(&query(&links[0].1, "key")));
    r.assert(200, r#"{"detail":"ok"}"#);

    let login = assertion(&a.t, &mut key).await;
    let r = call!(login_passkey, a.t, login_with(&login, "simpleJWT"));
    assert_eq!(r.status, 200, "{}", r.body);
    let access = r.json()["access"].as_str().unwrap().to_owned();
    let r = call!(info, a.t, Req::get(INFO).bearer(&access));
    assert!(r.body.contains("keyholder"), "{}", r.body);

    // Re-authenticated by the passkey (it has no password), a second one.
    let proof = assertion(&a.t, &mut key).await;
    let r = call!(
        passkeys,
        a.t,
        Req::post(PASSKEY_REGISTER_OPTIONS)
            .bearer(&access)
            .json(&json!({ "credential": proof }))
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let excluded = &r.json()["publicKey"]["excludeCredentials"];
    assert_eq!(excluded[0]["id"], credential["id"], "its passkey excluded");
    let r = call!(
        passkeys,
        a.t,
        Req::post(PASSKEY_REGISTER_OPTIONS)
            .bearer(&access)
            .json(&json!({ "password": "" }))
    );
    assert_eq!(r.status, 400, "{}", r.body);
}

#[tokio::test]
async fn passkey_sign_up_is_off_unless_asked_for_and_closed_with_sign_up() {
    let a = Accounts::new(&[]).await;
    let key_less = [options_for("x", &unique_address()), finish(&json!({}))];
    for req in key_less {
        let r = call!(registration_passkey, a.t, req);
        r.assert(404, r#"{"detail":"Not found."}"#);
    }
    // Passkeys on, their sign-up not.
    let a = Accounts::new(PASSKEYS_ON).await;
    let r = call!(
        registration_passkey,
        a.t,
        options_for("x", &unique_address())
    );
    r.assert(404, r#"{"detail":"Not found."}"#);
    // On, with sign-up closed: as `registration`.
    let a = signup_app(&[("REGISTRATION_OPEN", "false")]).await;
    let r = call!(
        registration_passkey,
        a.t,
        options_for("x", &unique_address())
    );
    assert_eq!(r.status, 403, "{}", r.body);
}

#[tokio::test]
async fn bad_fields_are_field_errors_and_a_taken_username_is_refused_before_the_authenticator() {
    let a = signup_app(&[]).await;
    let r = call!(
        registration_passkey,
        a.t,
        options_for("alice", &unique_address())
    );
    r.assert(
        400,
        r#"{"username":["A user with that username already exists."]}"#,
    );
    let r = call!(registration_passkey, a.t, options_for("no spaces", "nope"));
    r.assert(
        400,
        r#"{"username":["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."],"email":["Enter a valid email address."]}"#,
    );
    let r = call!(
        registration_passkey,
        a.t,
        Req::post(SIGNUP_PASSKEY_OPTIONS).json(&json!({}))
    );
    r.assert(
        400,
        r#"{"username":["This field is required."],"email":["This field is required."]}"#,
    );
    let r = call!(
        registration_passkey,
        a.t,
        Req::post(SIGNUP_PASSKEY).json(&json!({"name": 5}))
    );
    r.assert(400, r#"{"credential":["This field is required."]}"#);
}

#[tokio::test]
async fn a_taken_address_answers_as_a_new_one_and_creates_nothing() {
    let a = signup_app(&[]).await;
    let email = unique_address();
    a.t.app
        .store
        .create_user_with_email("owner", "x", &email, true)
        .await
        .unwrap();
    let options = signup_options(&a.t, "intruder", &email.to_uppercase()).await;
    let mut key = SoftKey::new(ORIGIN);
    let credential = key.create(&options).await.unwrap();
    let r = call!(registration_passkey, a.t, finish(&credential));
    r.assert(201, SENT);
    let store = &a.t.app.store;
    assert!(store.user_by_username("intruder").await.unwrap().is_none());
    let id = credential["id"].as_str().unwrap();
    assert_eq!(store.passkey_owner(id).await.unwrap(), None);
    let links = a.links(&email).await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0].0, "Account already exists");
}

#[tokio::test]
async fn a_username_taken_meanwhile_is_refused_and_claims_nothing() {
    let a = signup_app(&[("ACCOUNT_EMAIL_VERIFICATION", "none")]).await;
    let first = signup_options(&a.t, "racer", &unique_address()).await;
    let second = signup_options(&a.t, "racer", &unique_address()).await;
    assert_ne!(
        first["publicKey"]["user"]["id"],
        second["publicKey"]["user"]["id"]
    );
    let (mut one, mut two) = (SoftKey::new(ORIGIN), SoftKey::new(ORIGIN));
    let (c1, c2) = (
        one.create(&first).await.unwrap(),
        two.create(&second).await.unwrap(),
    );
    // With no verification, the new user's pair, as `registration`.
    let r = call!(registration_passkey, a.t, finish(&c1));
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.json()["access"].is_string(), "{}", r.body);
    let r = call!(registration_passkey, a.t, finish(&c2));
    r.assert(
        400,
        r#"{"username":["A user with that username already exists."]}"#,
    );
    let id = c2["id"].as_str().unwrap();
    assert_eq!(a.t.app.store.passkey_owner(id).await.unwrap(), None);
    // The winner logs in with theirs at once.
    let login = assertion(&a.t, &mut one).await;
    let r = call!(login_passkey, a.t, login_with(&login, "jwt"));
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn a_sign_up_ceremony_is_good_once_and_for_nothing_else() {
    let a = signup_app(&[]).await;
    let t = &a.t;
    let options = signup_options(t, "once", &unique_address()).await;
    let mut key = SoftKey::new(ORIGIN);
    let credential = key.create(&options).await.unwrap();
    // Not as alice's new passkey.
    let (_, access) = pair_of(t, "alice", integration_tests::ALICE_PASSWORD).await;
    let r = call!(
        passkeys,
        t,
        Req::post(PASSKEY_REGISTER)
            .bearer(&access)
            .json(&json!({ "credential": credential }))
    );
    r.assert(400, INVALID);
    // That did not spend it (only its own kind of step takes a ceremony);
    // the sign-up does, once.
    let r = call!(registration_passkey, t, finish(&credential));
    r.assert(201, SENT);
    let r = call!(registration_passkey, t, finish(&credential));
    r.assert(400, INVALID);

    // alice's registration ceremony is not a sign-up.
    let alices = creation_options(t, &access, integration_tests::ALICE_PASSWORD).await;
    let credential = SoftKey::new(ORIGIN).create(&alices).await.unwrap();
    let r = call!(registration_passkey, t, finish(&credential));
    r.assert(400, INVALID);

    // Another origin, or no user verification.
    let options = signup_options(t, "elsewhere", &unique_address()).await;
    let credential = SoftKey::new("http://evil.localhost:3000")
        .create(&options)
        .await
        .unwrap();
    let r = call!(registration_passkey, t, finish(&credential));
    r.assert(400, INVALID);
    let mut options = signup_options(t, "unverified", &unique_address()).await;
    options["publicKey"]["authenticatorSelection"]["userVerification"] = json!("discouraged");
    let credential = SoftKey::with_verification(ORIGIN, false)
        .create(&options)
        .await
        .unwrap();
    let r = call!(registration_passkey, t, finish(&credential));
    r.assert(400, INVALID);

    for name in ["elsewhere", "unverified"] {
        assert!(t.app.store.user_by_username(name).await.unwrap().is_none());
    }
    // Nor is a login's: an assertion on its options.
    let mut holder = SoftKey::new(ORIGIN);
    let options = signup_options(t, "holder", &unique_address()).await;
    let created = holder.create(&options).await.unwrap();
    let r = call!(registration_passkey, t, finish(&created));
    r.assert(201, SENT);
    let login = holder.get(&request_options(t).await).await.unwrap();
    let r = call!(registration_passkey, t, finish(&login));
    r.assert(400, INVALID);
}

#[tokio::test]
async fn a_passkey_account_deletes_itself_with_its_passkey_and_no_one_elses() {
    let a = signup_app(&[("ACCOUNT_EMAIL_VERIFICATION", "none")]).await;
    let t = &a.t;
    let options = signup_options(t, "leaving", &unique_address()).await;
    let mut key = SoftKey::new(ORIGIN);
    let credential = key.create(&options).await.unwrap();
    let r = call!(registration_passkey, t, finish(&credential));
    assert_eq!(r.status, 201, "{}", r.body);
    let access = r.json()["access"].as_str().unwrap().to_owned();
    // Not with alice's passkey, nor with a password it does not have.
    let (_, alices_access) = pair_of(t, "alice", integration_tests::ALICE_PASSWORD).await;
    let mut alices = SoftKey::new(ORIGIN);
    crate::passkeys::register(
        t,
        &mut alices,
        &alices_access,
        integration_tests::ALICE_PASSWORD,
    )
    .await;
    let foreign = assertion(t, &mut alices).await;
    let r = call!(
        user,
        t,
        Req::new("DELETE", USER)
            .bearer(&access)
            .json(&json!({ "credential": foreign }))
    );
    r.assert(400, INVALID);
    let r = call!(
        user,
        t,
        Req::new("DELETE", USER)
            .bearer(&access)
            .json(&json!({ "password": "!" }))
    );
    r.assert(400, r#"{"password":["Wrong password."]}"#);
    let own = assertion(t, &mut key).await;
    let r = call!(
        user,
        t,
        Req::new("DELETE", USER)
            .bearer(&access)
            .json(&json!({ "credential": own }))
    );
    r.assert(204, "");
    assert!(
        t.app
            .store
            .user_by_username("leaving")
            .await
            .unwrap()
            .is_none()
    );
    let id = credential["id"].as_str().unwrap();
    assert_eq!(t.app.store.passkey_owner(id).await.unwrap(), None);

    // Passkeys off: a `credential` is no password, as before.
    let t = integration_tests::spawn_app().await;
    let (_, access) = pair_of(&t, "alice", integration_tests::ALICE_PASSWORD).await;
    let r = call!(
        user,
        t,
        Req::new("DELETE", USER)
            .bearer(&access)
            .json(&json!({ "credential": {} }))
    );
    r.assert(400, r#"{"password":["This field is required."]}"#);
}
