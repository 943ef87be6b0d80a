//! Passkeys: registration, the list, rename and removal, a login with a
//! passkey of each kind, and a passkey as the second factor, against an
//! independent software authenticator (1Password's `passkey`, in a
//! "browser" at `http://localhost:3000`); and every attack the ceremonies
//! must refuse: replayed assertions, reused and expired challenges, other
//! origins and RP ids, no user verification, a cloned authenticator's
//! counter, one user's credential on another's ceremony.

use integration_tests::auth::store::{Ceremony, CeremonyKind, PasskeyStore};
use integration_tests::softkey::SoftKey;
use integration_tests::{ALICE_PASSWORD, BOB_PASSWORD, spawn_app_with};

use crate::helpers::*;
use crate::mfa::{challenge, enrol, settle};

/// Where the tests' browser runs.
pub const ORIGIN: &str = "http://localhost:3000";

/// Passkeys on, for a frontend at [`ORIGIN`] (RP id `localhost`).
pub const PASSKEYS_ON: &[(&str, &str)] = &[
    ("MFA_SUPPORTED_TYPES", "recovery_codes,totp,webauthn"),
    ("MFA_PASSKEY_LOGIN_ENABLED", "true"),
    ("WEBAUTHN_RP_ID", "localhost"),
    (
        "WEBAUTHN_ALLOWED_ORIGINS",
        "http://localhost:3000,http://sub.localhost:3000",
    ),
    ("MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN", "true"),
];

pub async fn passkey_app() -> TestApp {
    spawn_app_with(PASSKEYS_ON).await
}

/// `username`'s access token.
async fn access_of(t: &TestApp, username: &str, password: &str) -> String {
    pair_of(t, username, password).await.1
}

/// The creation options for the holder of `access`.
pub async fn creation_options(t: &TestApp, access: &str, password: &str) -> Value {
    let r = call!(
        passkeys,
        t,
        Req::post(PASSKEY_REGISTER_OPTIONS)
            .bearer(access)
            .json(&json!({ "password": password }))
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    r.json()
}

/// Registers `key` for the holder of `access`: the passkey as answered.
pub async fn register(t: &TestApp, key: &mut SoftKey, access: &str, password: &str) -> Value {
    let options = creation_options(t, access, password).await;
    let credential = key
        .create(&options)
        .await
        .expect("the authenticator creates");
    let r = call!(
        passkeys,
        t,
        Req::post(PASSKEY_REGISTER)
            .bearer(access)
            .json(&json!({ "credential": credential, "name": "My laptop" }))
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()
}

/// Fresh request options.
pub async fn request_options(t: &TestApp) -> Value {
    let r = call!(
        login_passkey,
        t,
        Req::post(LOGIN_PASSKEY_OPTIONS).json(&json!({}))
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// An assertion by `key` on fresh options.
pub async fn assertion(t: &TestApp, key: &mut SoftKey) -> Value {
    let options = request_options(t).await;
    key.get(&options).await.expect("the authenticator asserts")
}

pub fn login_with(credential: &Value, login: &str) -> Req {
    Req::post(LOGIN_PASSKEY).json(&json!({ "credential": credential, "login": login }))
}

pub const INVALID: &str = r#"{"credential":["Invalid credential."]}"#;

/// alice with a passkey: the app, her key, her access token.
pub async fn alice_with_passkey() -> (TestApp, SoftKey, String) {
    let t = passkey_app().await;
    let access = access_of(&t, "alice", ALICE_PASSWORD).await;
    let mut key = SoftKey::new(ORIGIN);
    register(&t, &mut key, &access, ALICE_PASSWORD).await;
    (t, key, access)
}

#[tokio::test]
async fn passkeys_are_off_by_default() {
    let t = spawn_app_with(&[]).await;
    let (_, access) = pair_of_alice(&t).await;
    let r = call!(passkeys, t, Req::get(PASSKEYS).bearer(&access));
    r.assert(404, r#"{"detail":"Not found."}"#);
    let r = call!(
        login_passkey,
        t,
        Req::post(LOGIN_PASSKEY_OPTIONS).json(&json!({}))
    );
    r.assert(404, r#"{"detail":"Not found."}"#);
    // Supported but passkey login off: options (for the second step), no login.
    let without_login: Vec<_> = (PASSKEYS_ON.iter())
        .filter(|(name, _)| *name != "MFA_PASSKEY_LOGIN_ENABLED")
        .copied()
        .collect();
    let t = spawn_app_with(&without_login).await;
    request_options(&t).await;
    let r = call!(login_passkey, t, login_with(&json!({}), "session"));
    r.assert(404, r#"{"detail":"Not found."}"#);
    // On, but no allowed origin on the RP id (here the API's own host, an
    // address, which no browser takes as an RP id): off.
    let t = spawn_app_with(&PASSKEYS_ON[..2]).await;
    let r = call!(
        login_passkey,
        t,
        Req::post(LOGIN_PASSKEY_OPTIONS).json(&json!({}))
    );
    r.assert(404, r#"{"detail":"Not found."}"#);
}

#[tokio::test]
async fn register_list_then_log_in_with_each_kind_of_login() {
    let t = passkey_app().await;
    let access = access_of(&t, "alice", ALICE_PASSWORD).await;
    let options = creation_options(&t, &access, ALICE_PASSWORD).await;
    let pk = &options["publicKey"];
    assert_eq!(pk["rp"]["id"], "localhost");
    assert_eq!(pk["user"]["name"], "alice");
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    assert_eq!(pk["authenticatorSelection"]["residentKey"], "required");
    assert!(
        pk["challenge"].as_str().unwrap().len() >= 43,
        "32 random bytes"
    );
    let mut key = SoftKey::new(ORIGIN);
    let credential = key.create(&options).await.unwrap();
    let r = call!(
        passkeys,
        t,
        Req::post(PASSKEY_REGISTER)
            .bearer(&access)
            .json(&json!({ "credential": credential, "name": "  My laptop " }))
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let added = r.json();
    assert_eq!(added["id"], credential["id"]);
    assert_eq!(added["name"], "My laptop");
    assert_eq!(added["last_used"], Value::Null);
    // 1Password's software passkey is a synced one: backed up.
    assert_eq!(added["backed_up"], true);
    let keys: Vec<&str> = added
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "name", "created", "last_used", "backed_up"]);
    let created = added["created"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.len() == 20, "{created}");
    let r = call!(passkeys, t, Req::get(PASSKEYS).bearer(&access));
    r.assert(200, &json!([added]).to_string());

    // The request options name nobody.
    let options = request_options(&t).await;
    let pk = &options["publicKey"];
    assert_eq!(pk["rpId"], "localhost");
    assert_eq!(pk["userVerification"], "required");
    assert!(
        pk.get("allowCredentials")
            .is_none_or(|a| a.as_array().unwrap().is_empty())
    );
    assert_eq!(options.as_object().unwrap().len(), 1, "only publicKey");

    // Each kind of login.
    let credential = key.get(&options).await.unwrap();
    let r = call!(login_passkey, t, login_with(&credential, "session"));
    r.assert(200, r#"{"message":"success"}"#);
    let session = r.cookie("sessionid").unwrap();
    let csrf = r.cookie("csrftoken").unwrap();
    let r = call!(info, t, Req::get(INFO).session(&session, &csrf));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("alice"), "{}", r.body);

    let credential = assertion(&t, &mut key).await;
    let r = call!(login_passkey, t, login_with(&credential, "jwt"));
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.json()["token"].as_str().unwrap().to_owned();
    let r = call!(info, t, Req::get(INFO).header("jwt-auth", &token));
    assert_eq!(r.status, 200, "{}", r.body);

    let credential = assertion(&t, &mut key).await;
    let r = call!(login_passkey, t, login_with(&credential, "simpleJWT"));
    assert_eq!(r.status, 200, "{}", r.body);
    let pair = r.json();
    assert_eq!(
        pair.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["refresh", "access"]
    );
    let r = call!(
        info,
        t,
        Req::get(INFO).bearer(pair["access"].as_str().unwrap())
    );
    assert_eq!(r.status, 200, "{}", r.body);

    // Its use is recorded.
    let r = call!(passkeys, t, Req::get(PASSKEYS).bearer(&access));
    let listed = &r.json()[0];
    assert!(listed["last_used"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn bad_bodies_are_clear_refusals() {
    let (t, _, access) = alice_with_passkey().await;
    let r = call!(
        passkeys,
        t,
        Req::post(PASSKEY_REGISTER_OPTIONS)
            .bearer(&access)
            .json(&json!({ "password": "wrong" }))
    );
    r.assert(400, r#"{"password":["Wrong password."]}"#);
    let r = call!(
        passkeys,
        t,
        Req::post(PASSKEY_REGISTER_OPTIONS)
            .bearer(&access)
            .json(&json!({}))
    );
    r.assert(400, r#"{"password":["This field is required."]}"#);
    let r = call!(
        passkeys,
        t,
        Req::post(PASSKEY_REGISTER).bearer(&access).json(&json!({}))
    );
    r.assert(400, r#"{"credential":["This field is required."]}"#);
    let r = call!(
        passkeys,
        t,
        Req::post(PASSKEY_REGISTER)
            .bearer(&access)
            .json(&json!({"credential": "x", "name": 5}))
    );
    r.assert(400, r#"{"credential":["Invalid credential."]}"#);
    let r = call!(
        passkeys,
        t,
        Req::post(PASSKEY_REGISTER)
            .bearer(&access)
            .json(&json!({"credential": {"id": "AAAA", "response": {}}}))
    );
    r.assert(400, INVALID);
    let r = call!(login_passkey, t, login_with(&json!({"id": "x"}), "cookie"));
    r.assert(400, r#"{"login":["\"cookie\" is not a valid choice."]}"#);
    let r = call!(login_passkey, t, login_with(&json!({"id": "x"}), "session"));
    r.assert(400, INVALID);
    let r = call!(login_passkey, t, Req::post(LOGIN_PASSKEY).json(&json!([])));
    r.assert(
        400,
        r#"{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}"#,
    );
    let r = call!(passkeys, t, Req::get(PASSKEYS));
    r.assert(
        401,
        r#"{"detail":"Authentication credentials were not provided."}"#,
    );
}

#[tokio::test]
async fn rename_delete_and_a_deleted_passkey_no_longer_logs_in() {
    let (t, mut key, access) = alice_with_passkey().await;
    let listed = call!(passkeys, t, Req::get(PASSKEYS).bearer(&access)).json();
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    let one = PASSKEY.replace("{id}", &id);
    let r = call!(
        passkeys,
        t,
        Req::new("PATCH", &one)
            .bearer(&access)
            .json(&json!({"name": "Phone"}))
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["name"], "Phone");
    let r = call!(passkeys, t, Req::get(PASSKEYS).bearer(&access));
    assert_eq!(r.json()[0]["name"], "Phone");
    let r = call!(
        passkeys,
        t,
        Req::new("PATCH", &one)
            .bearer(&access)
            .json(&json!({"name": "x".repeat(151)}))
    );
    r.assert(
        400,
        r#"{"name":["Ensure this field has no more than 150 characters."]}"#,
    );
    // Not bob's to touch.
    let bobs = access_of(&t, "bob", BOB_PASSWORD).await;
    let r = call!(
        passkeys,
        t,
        Req::new("DELETE", &one)
            .bearer(&bobs)
            .json(&json!({"password": BOB_PASSWORD}))
    );
    r.assert(404, r#"{"detail":"Not found."}"#);
    let r = call!(passkeys, t, Req::new("GET", &one).bearer(&access));
    r.assert(405, r#"{"detail":"Method \"GET\" not allowed."}"#);
    assert_eq!(r.header("allow"), Some("PATCH, DELETE, OPTIONS"));
    // Removal needs the password.
    let r = call!(
        passkeys,
        t,
        Req::new("DELETE", &one)
            .bearer(&access)
            .json(&json!({"password": "nope"}))
    );
    r.assert(400, r#"{"password":["Wrong password."]}"#);
    let r = call!(
        passkeys,
        t,
        Req::new("DELETE", &one)
            .bearer(&access)
            .json(&json!({"password": ALICE_PASSWORD}))
    );
    r.assert(204, "");
    let r = call!(passkeys, t, Req::get(PASSKEYS).bearer(&access));
    r.assert(200, "[]");
    assert_eq!(t.app.store.passkey_owner(&id).await.unwrap(), None);
    let credential = assertion(&t, &mut key).await;
    let r = call!(login_passkey, t, login_with(&credential, "session"));
    r.assert(400, INVALID);
}

#[tokio::test]
async fn an_assertion_or_a_challenge_is_good_once() {
    let (t, mut key, _) = alice_with_passkey().await;
    let options = request_options(&t).await;
    let credential = key.get(&options).await.unwrap();
    let r = call!(login_passkey, t, login_with(&credential, "jwt"));
    assert_eq!(r.status, 200, "{}", r.body);
    // The same assertion again.
    let r = call!(login_passkey, t, login_with(&credential, "jwt"));
    r.assert(400, INVALID);
    // A new assertion on the used challenge.
    let again = key.get(&options).await.unwrap();
    let r = call!(login_passkey, t, login_with(&again, "jwt"));
    r.assert(400, INVALID);
    // A refused assertion uses its challenge up too.
    let options = request_options(&t).await;
    let mut wrong = key.get(&options).await.unwrap();
    wrong["response"]["signature"] = json!("AAAA");
    let r = call!(login_passkey, t, login_with(&wrong, "jwt"));
    r.assert(400, INVALID);
    let right = key.get(&options).await.unwrap();
    let r = call!(login_passkey, t, login_with(&right, "jwt"));
    r.assert(400, INVALID);
}

#[tokio::test]
async fn an_expired_challenge_is_refused() {
    let (t, mut key, _) = alice_with_passkey().await;
    let options = request_options(&t).await;
    let credential = key.get(&options).await.unwrap();
    // The stored ceremony, as it will be once its 300 s have passed.
    let challenge = options["publicKey"]["challenge"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ceremony = (t.app.store)
        .take_ceremony(&challenge, CeremonyKind::Login, 0)
        .await
        .unwrap()
        .expect("stored");
    ceremony.expires_at = integration_tests::auth::base::time::now() - 1;
    t.app.store.put_ceremony(&ceremony).await.unwrap();
    let r = call!(login_passkey, t, login_with(&credential, "jwt"));
    r.assert(400, INVALID);
    let _: Ceremony = ceremony;
}

#[tokio::test]
async fn another_origin_or_rp_id_is_refused() {
    let (t, mut key, access) = alice_with_passkey().await;
    // A page on an origin not allowed.
    key.move_to("http://localhost:4000");
    let credential = assertion(&t, &mut key).await;
    let r = call!(login_passkey, t, login_with(&credential, "session"));
    r.assert(400, INVALID);
    // An allowed origin, but a credential of another RP id (the page
    // asked for `sub.localhost`, which the browser lets it).
    let mut other = SoftKey::new("https://sub.localhost:3000");
    let mut options = creation_options(&t, &access, ALICE_PASSWORD).await;
    options["publicKey"]["rp"]["id"] = json!("sub.localhost");
    let credential = other.create(&options).await.unwrap();
    let r = call!(
        passkeys,
        t,
        Req::post(PASSKEY_REGISTER)
            .bearer(&access)
            .json(&json!({"credential": credential}))
    );
    r.assert(400, INVALID);
    let r = call!(passkeys, t, Req::get(PASSKEYS).bearer(&access));
    assert_eq!(r.json().as_array().unwrap().len(), 1, "nothing added");
}

#[tokio::test]
async fn without_user_verification_nothing_is_accepted() {
    let (t, mut key, access) = alice_with_passkey().await;
    key.set_verifies(false);
    // A page that asked for less than the server's options.
    let mut options = request_options(&t).await;
    options["publicKey"]["userVerification"] = json!("discouraged");
    let credential = key.get(&options).await.unwrap();
    let r = call!(login_passkey, t, login_with(&credential, "session"));
    r.assert(400, INVALID);
    let mut options = creation_options(&t, &access, ALICE_PASSWORD).await;
    options["publicKey"]["authenticatorSelection"]["userVerification"] = json!("discouraged");
    let mut second = SoftKey::with_verification(ORIGIN, false);
    let credential = second.create(&options).await.unwrap();
    let r = call!(
        passkeys,
        t,
        Req::post(PASSKEY_REGISTER)
            .bearer(&access)
            .json(&json!({"credential": credential}))
    );
    r.assert(400, INVALID);
}

#[tokio::test]
async fn a_counter_going_backwards_refuses_the_login() {
    let (t, mut key, _) = alice_with_passkey().await;
    key.set_counter(Some(10));
    let credential = assertion(&t, &mut key).await;
    let r = call!(login_passkey, t, login_with(&credential, "jwt"));
    assert_eq!(r.status, 200, "{}", r.body);
    // A clone of the authenticator, behind the original.
    key.set_counter(Some(3));
    let credential = assertion(&t, &mut key).await;
    let r = call!(login_passkey, t, login_with(&credential, "jwt"));
    r.assert(400, INVALID);
    // The original, ahead, still logs in.
    key.set_counter(Some(20));
    let credential = assertion(&t, &mut key).await;
    let r = call!(login_passkey, t, login_with(&credential, "jwt"));
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn one_users_credential_never_answers_anothers_ceremony() {
    let (t, mut alices, _) = alice_with_passkey().await;
    let bobs_access = access_of(&t, "bob", BOB_PASSWORD).await;
    // bob's registration, answered with a credential made on it by alice's
    // session: the ceremony is bob's, the caller alice.
    let options = creation_options(&t, &bobs_access, BOB_PASSWORD).await;
    let mut another = SoftKey::new(ORIGIN);
    let credential = another.create(&options).await.unwrap();
    let alices_access = access_of(&t, "alice", ALICE_PASSWORD).await;
    let r = call!(
        passkeys,
        t,
        Req::post(PASSKEY_REGISTER)
            .bearer(&alices_access)
            .json(&json!({"credential": credential}))
    );
    r.assert(400, INVALID);
    // bob with TOTP: his second step, answered with alice's passkey.
    let mut bobs = SoftKey::new(ORIGIN);
    register(&t, &mut bobs, &bobs_access, BOB_PASSWORD).await;
    settle().await;
    enrol(&t, "bob", BOB_PASSWORD).await;
    let r = call!(login, t, credentials(LOGIN, "bob", BOB_PASSWORD));
    let token = challenge(&r);
    let credential = assertion(&t, &mut alices).await;
    let r = call!(
        login_mfa,
        t,
        Req::post(LOGIN_MFA).json(&json!({"mfa_token": token, "credential": credential}))
    );
    r.assert(400, INVALID);
    // His own passkey completes it.
    let credential = assertion(&t, &mut bobs).await;
    let r = call!(
        login_mfa,
        t,
        Req::post(LOGIN_MFA).json(&json!({"mfa_token": token, "credential": credential}))
    );
    r.assert(200, r#"{"message":"success"}"#);
    // The token is used.
    let credential = assertion(&t, &mut bobs).await;
    let r = call!(
        login_mfa,
        t,
        Req::post(LOGIN_MFA).json(&json!({"mfa_token": token, "credential": credential}))
    );
    assert_eq!(r.status, 401, "{}", r.body);
}

#[tokio::test]
async fn a_totp_users_passkey_login_needs_no_code() {
    let (t, mut key, _) = alice_with_passkey().await;
    settle().await;
    enrol(&t, "alice", ALICE_PASSWORD).await;
    let r = call!(login, t, alice_credentials(LOGIN));
    challenge(&r);
    for login in ["session", "jwt", "simpleJWT"] {
        let credential = assertion(&t, &mut key).await;
        let r = call!(login_passkey, t, login_with(&credential, login));
        assert_eq!(r.status, 200, "{login}: {}", r.body);
    }
}

#[tokio::test]
async fn deleting_the_user_removes_their_passkeys() {
    let (t, mut key, access) = alice_with_passkey().await;
    let id = call!(passkeys, t, Req::get(PASSKEYS).bearer(&access)).json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = call!(
        user,
        t,
        Req::new("DELETE", USER)
            .bearer(&access)
            .json(&json!({"password": ALICE_PASSWORD}))
    );
    r.assert(204, "");
    assert_eq!(t.app.store.passkey_owner(&id).await.unwrap(), None);
    let credential = assertion(&t, &mut key).await;
    let r = call!(login_passkey, t, login_with(&credential, "session"));
    r.assert(400, INVALID);
}

#[tokio::test]
async fn a_passkey_login_replaces_the_session_the_browser_had() {
    let (t, mut key, _) = alice_with_passkey().await;
    let (old, csrf) = session_of_alice(&t).await;
    let credential = assertion(&t, &mut key).await;
    let r = call!(
        login_passkey,
        t,
        login_with(&credential, "session").session(&old, &csrf)
    );
    r.assert(200, r#"{"message":"success"}"#);
    let new = r.cookie("sessionid").unwrap();
    assert_ne!(new, old, "a new key: no session fixation");
    let r = call!(info, t, Req::get(INFO).session(&old, &csrf));
    assert_eq!(r.status, 401, "the old session is gone: {}", r.body);
}

#[tokio::test]
async fn failed_assertions_are_throttled_per_credential_and_address() {
    let t = spawn_app_with(
        &[
            PASSKEYS_ON,
            &[
                ("THROTTLE_USERNAME_ADDRESS_LIMIT", "2"),
                ("THROTTLE_USERNAME_LIMIT", "3"),
            ],
        ]
        .concat(),
    )
    .await;
    let access = access_of(&t, "alice", ALICE_PASSWORD).await;
    let mut key = SoftKey::new(ORIGIN);
    register(&t, &mut key, &access, ALICE_PASSWORD).await;
    let (home, a, b) = ("192.0.2.10", "198.51.100.1", "198.51.100.2");
    // alice logs in from home: that address is remembered for her key.
    let credential = assertion(&t, &mut key).await;
    let r = call!(
        login_passkey,
        t,
        login_with(&credential, "jwt").source_ip(home)
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let forged = |mut c: Value| {
        c["response"]["signature"] = json!("AAAA");
        c
    };
    // Someone replays forged assertions of her key from a: two, then 429.
    for _ in 0..2 {
        let credential = forged(assertion(&t, &mut key).await);
        let r = call!(
            login_passkey,
            t,
            login_with(&credential, "jwt").source_ip(a)
        );
        r.assert(400, INVALID);
    }
    let credential = forged(assertion(&t, &mut key).await);
    let r = call!(
        login_passkey,
        t,
        login_with(&credential, "jwt").source_ip(a)
    );
    assert_throttled(&r, 900);
    // From b, one more, then the key's ceiling (3) refuses b...
    let credential = forged(assertion(&t, &mut key).await);
    let r = call!(
        login_passkey,
        t,
        login_with(&credential, "jwt").source_ip(b)
    );
    r.assert(400, INVALID);
    let credential = assertion(&t, &mut key).await;
    let r = call!(
        login_passkey,
        t,
        login_with(&credential, "jwt").source_ip(b)
    );
    assert_throttled(&r, 900);
    // ...but not alice at home.
    let credential = assertion(&t, &mut key).await;
    let r = call!(
        login_passkey,
        t,
        login_with(&credential, "jwt").source_ip(home)
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[tokio::test]
async fn a_passkey_of_ones_own_re_authenticates_and_no_one_elses() {
    let (t, mut alices, access) = alice_with_passkey().await;
    // A second passkey, added with the first instead of the password.
    let credential = assertion(&t, &mut alices).await;
    let r = call!(
        passkeys,
        t,
        Req::post(PASSKEY_REGISTER_OPTIONS)
            .bearer(&access)
            .json(&json!({ "credential": credential }))
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let mut phone = SoftKey::new(ORIGIN);
    let created = phone.create(&r.json()).await.unwrap();
    let r = call!(
        passkeys,
        t,
        Req::post(PASSKEY_REGISTER)
            .bearer(&access)
            .json(&json!({ "credential": created, "name": "Phone" }))
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let phones_id = r.json()["id"].as_str().unwrap().to_owned();
    // The same assertion again: used.
    let r = call!(
        passkeys,
        t,
        Req::post(PASSKEY_REGISTER_OPTIONS)
            .bearer(&access)
            .json(&json!({ "credential": credential }))
    );
    r.assert(400, INVALID);
    // bob's passkey does not re-authenticate alice, nor does garbage.
    let bobs_access = access_of(&t, "bob", BOB_PASSWORD).await;
    let mut bobs = SoftKey::new(ORIGIN);
    register(&t, &mut bobs, &bobs_access, BOB_PASSWORD).await;
    let one = PASSKEY.replace("{id}", &phones_id);
    let bobs_assertion = assertion(&t, &mut bobs).await;
    for body in [
        json!({ "credential": bobs_assertion }),
        json!({ "credential": "nope" }),
        json!({ "credential": {} }),
    ] {
        let r = call!(
            passkeys,
            t,
            Req::new("DELETE", &one).bearer(&access).json(&body)
        );
        r.assert(400, INVALID);
    }
    let r = call!(
        passkeys,
        t,
        Req::new("DELETE", &one)
            .bearer(&access)
            .json(&json!({ "credential": null }))
    );
    r.assert(400, r#"{"credential":["This field may not be null."]}"#);
    let listed = call!(passkeys, t, Req::get(PASSKEYS).bearer(&access)).json();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    // The phone removes itself.
    let credential = assertion(&t, &mut phone).await;
    let r = call!(
        passkeys,
        t,
        Req::new("DELETE", &one)
            .bearer(&access)
            .json(&json!({ "credential": credential }))
    );
    r.assert(204, "");
    let listed = call!(passkeys, t, Req::get(PASSKEYS).bearer(&access)).json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0]["last_used"].is_string(), "the use is written");
}
