//! Moving users over from Django: a `dumpdata` file made by the reference
//! imports with ids, names, active flags and hashes kept; each user logs in
//! with the Django password, after which the stored hash is our Argon2id,
//! sessions live on, and the user still logs in.

use integration_tests::auth::credentials::django::{self, Record};
use integration_tests::auth::credentials::password::hash_format;
use integration_tests::auth::fixtures::Credentials;
use integration_tests::auth::store::{
    DynamoStore, ImportRefused, Imported, User, UserAdmin, UserChange, UserStore,
};
use integration_tests::{Req, Resp, TestApp, app_on, call, fresh_store, workspace};
use serde_json::json;

use crate::helpers::*;

const PEOPLE: [(&str, &str); 4] = [
    ("pbkdf", "pbkdf2 password 1"),
    ("argon", "argon2 password ✓"),
    ("bcrypt", "bcrypt password 3"),
    ("argon2i", "argon2i password 4"),
];

fn dumpdata() -> Vec<User> {
    let text =
        std::fs::read_to_string(workspace().join("tests/fixtures/django-dumpdata.json")).unwrap();
    django::read(&text)
        .unwrap()
        .into_iter()
        .filter_map(|r| match r {
            Record::User(u) => Some(*u),
            Record::EmailAddress(_) => None,
            Record::Bad { label, reason } => panic!("{label}: {reason}"),
        })
        .collect()
}

async fn imported() -> (TestApp, DynamoStore) {
    let store = fresh_store().await;
    for user in dumpdata() {
        assert_eq!(
            store.import_user(&user, false, false).await.unwrap(),
            Ok(Imported::Created),
            "{}",
            user.username
        );
    }
    store.raise_id_counter(6).await.unwrap();
    let app = app_on(&store, &[]);
    let placeholder = store.user_by_id(1).await.unwrap().unwrap();
    (
        TestApp {
            app,
            alice: placeholder.clone(),
            bob: placeholder,
            calls: Default::default(),
        },
        store,
    )
}

fn login_as(name: &str, password: &str) -> Req {
    Req::post(LOGIN).json(&json!({"username": name, "password": password}))
}

#[tokio::test]
async fn imported_users_log_in_with_their_django_passwords_and_get_upgraded() {
    let (t, store) = imported().await;
    for (id, (name, password)) in PEOPLE.iter().enumerate() {
        let before = store.user_by_username(name).await.unwrap().unwrap();
        assert_eq!(before.id, id as u64 + 1, "ids kept");
        assert_ne!(
            hash_format(&before.password),
            "argon2id",
            "{name} starts with a Django hash"
        );
        // a session from before the upgrade
        let old_session = Credentials::mint(&t.app, &before)
            .await
            .unwrap()
            .fill("{{SESSION_ID}}");

        call!(login, t, login_as(name, "not the password")).assert(403, "");
        call!(login, t, login_as(name, password)).assert(200, r#"{"message":"success"}"#);

        let after = store.user_by_username(name).await.unwrap().unwrap();
        assert_eq!(hash_format(&after.password), "argon2id", "{name} upgraded");
        assert!(
            after
                .password
                .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
        );
        assert_eq!(
            after.generation, before.generation,
            "an upgrade is not a password change"
        );
        call!(info, t, Req::get(INFO).cookie("sessionid", &old_session)).assert(
            200,
            &format!(r#"{{"id":{},"username":"{name}"}}"#, before.id),
        );
        call!(login, t, login_as(name, password)).assert(200, r#"{"message":"success"}"#);
        let r = call!(
            token_obtain_pair,
            t,
            Req::post(OBTAIN).json(&json!({"username": name, "password": password}))
        );
        assert_eq!(r.status, 200, "{name}: {}", r.body);
    }
}

/// Every way a password is checked upgrades an imported hash: the body
/// of the three login views, and Basic authentication on every route that
/// authenticates its caller (each function needs `UpdateItem` on the users
/// table for it, which the IAM checks see here).
#[tokio::test]
async fn every_password_check_upgrades_an_imported_hash() {
    use integration_tests::ROUTES;
    use integration_tests::auth::web::Auth;
    let (name, password) = PEOPLE[0];
    let mut cases: Vec<(&Route, Req)> = [LOGIN, JWT_LOGIN, OBTAIN]
        .into_iter()
        .map(|path| {
            let route = Route::at(path);
            let req = Req::post(path).json(&json!({"username": name, "password": password}));
            (route, req)
        })
        .collect();
    cases.extend(
        ROUTES
            .iter()
            .filter(|r| r.auth != Auth::None)
            .map(|r| (r, Req::new(r.method(), r.path).basic(name, password))),
    );
    for (route, req) in cases {
        let (t, store) = imported().await;
        let r = Resp::from_response(route.invoke(&t.app, req.build()).await);
        assert!(r.status < 500, "{}: {} {}", route.path, r.status, r.body);
        let after = store.user_by_username(name).await.unwrap().unwrap();
        assert_eq!(
            hash_format(&after.password),
            "argon2id",
            "{}: {name} upgraded",
            route.path
        );
    }
}

#[tokio::test]
async fn unusable_and_inactive_django_users_cannot_log_in() {
    let (t, store) = imported().await;
    let nopassword = store.user_by_username("nopassword").await.unwrap().unwrap();
    assert_eq!(hash_format(&nopassword.password), "unusable");
    for guess in ["", "!", &nopassword.password, &nopassword.password[1..]] {
        if !guess.is_empty() {
            call!(login, t, login_as("nopassword", guess)).assert(403, "");
        }
    }
    let retired = store.user_by_username("retired").await.unwrap().unwrap();
    assert!(!retired.is_active);
    call!(login, t, login_as("retired", "retired password 5")).assert(403, "");
    assert_ne!(
        hash_format(
            &store
                .user_by_username("retired")
                .await
                .unwrap()
                .unwrap()
                .password
        ),
        "argon2id",
        "no upgrade for a refused login"
    );
}

#[tokio::test]
async fn importing_again_changes_nothing_and_conflicts_are_refused() {
    let (_t, store) = imported().await;
    let before = integration_tests::snapshot(&store).await;
    for user in dumpdata() {
        assert_eq!(
            store.import_user(&user, false, false).await.unwrap(),
            Ok(Imported::Unchanged)
        );
        assert_eq!(
            store.import_user(&user, false, true).await.unwrap(),
            Ok(Imported::Unchanged)
        );
    }
    assert_eq!(
        integration_tests::snapshot(&store).await,
        before,
        "idempotent"
    );

    let mut users = dumpdata();
    let mut changed = users.remove(0);
    changed.is_active = false;
    assert_eq!(
        store.import_user(&changed, false, false).await.unwrap(),
        Err(ImportRefused::Differs)
    );
    assert_eq!(
        store.import_user(&changed, true, true).await.unwrap(),
        Ok(Imported::Updated),
        "dry run"
    );
    assert_eq!(
        integration_tests::snapshot(&store).await,
        before,
        "a dry run writes nothing"
    );
    assert_eq!(
        store.import_user(&changed, true, false).await.unwrap(),
        Ok(Imported::Updated)
    );
    assert!(!store.user_by_id(1).await.unwrap().unwrap().is_active);

    let mut renamed = users[0].clone();
    renamed.username = "someone-else".into();
    assert_eq!(
        store.import_user(&renamed, true, false).await.unwrap(),
        Err(ImportRefused::IdTaken("argon".into()))
    );
    let mut moved = users[0].clone();
    moved.id = 99;
    assert_eq!(
        store.import_user(&moved, true, false).await.unwrap(),
        Err(ImportRefused::UsernameTaken(2))
    );
    // new users continue after the highest imported id
    assert_eq!(store.create_user("newcomer", "h").await.unwrap().id, 7);
}

#[tokio::test]
async fn a_password_changed_meanwhile_is_never_overwritten_by_an_upgrade() {
    let (_t, store) = imported().await;
    let user = store.user_by_username("bcrypt").await.unwrap().unwrap();
    store
        .update_user(user.id, UserChange::password("set meanwhile"))
        .await
        .unwrap();
    let stale = UserChange::Rehash {
        hash: "upgrade".into(),
        if_current: user.password.clone(),
    };
    assert!(store.update_user(user.id, stale).await.is_err());
    assert_eq!(
        store.user_by_id(user.id).await.unwrap().unwrap().password,
        "set meanwhile"
    );
}

/// Addresses come over too: django-allauth's primary `EmailAddress` with
/// its verified flag, else Django's `email` (unverified); one already held
/// by another user (compared case-insensitively) is reported and left out,
/// and the user is imported without it; importing again changes nothing.
#[tokio::test]
async fn addresses_come_over_from_django_and_allauth() {
    let text = r#"[
      {"model": "users.user", "pk": 11, "fields": {"password": "!x", "username": "ann", "email": "ann@example.com", "is_active": true}},
      {"model": "users.user", "pk": 12, "fields": {"password": "!x", "username": "bo", "email": "Bo@Example.com", "is_active": true}},
      {"model": "users.user", "pk": 13, "fields": {"password": "!x", "username": "cy", "email": "ANN@example.org", "is_active": true}},
      {"model": "users.user", "pk": 14, "fields": {"password": "!x", "username": "di", "email": "", "is_active": true}},
      {"model": "account.emailaddress", "pk": 1, "fields": {"user": 11, "email": "ann@example.org", "verified": true, "primary": true}},
      {"model": "account.emailaddress", "pk": 2, "fields": {"user": 11, "email": "ann@example.com", "verified": true, "primary": false}}
    ]"#;
    let records = django::read(text).unwrap();
    let addresses = &django::addresses(&records);
    let store = fresh_store().await;
    let mut reasons = Vec::new();
    let import = |store: DynamoStore| async move {
        let mut reasons = Vec::new();
        for record in django::read(text).unwrap() {
            let Record::User(user) = record else { continue };
            store
                .import_user(&user, false, false)
                .await
                .unwrap()
                .unwrap();
            if let Some((email, verified)) = addresses.get(&user.id)
                && let Err(reason) = store.import_email(user.id, email, *verified).await.unwrap()
            {
                reasons.push((user.username.clone(), reason));
            }
        }
        (store, reasons)
    };
    let (store, first) = import(store).await;
    reasons.extend(first);
    let holder = |email: &'static str| {
        let store = &store;
        async move {
            store
                .user_by_email(email)
                .await
                .unwrap()
                .map(|u| (u.username, u.email_verified))
        }
    };
    assert_eq!(holder("ann@example.org").await, Some(("ann".into(), true)));
    assert_eq!(
        holder("ann@example.com").await,
        None,
        "a secondary address stays behind"
    );
    assert_eq!(holder("bo@example.com").await, Some(("bo".into(), false)));
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert_eq!(reasons[0].0, "cy");
    assert!(
        reasons[0].1.contains("another user holds this address"),
        "{reasons:?}"
    );
    let cy = store.user_by_username("cy").await.unwrap().unwrap();
    assert_eq!(cy.email, "", "imported without it");
    assert_eq!(
        store.user_by_username("di").await.unwrap().unwrap().email,
        ""
    );
    // Again: nothing changes (cy's address is still refused).
    let before = integration_tests::snapshot(&store).await;
    let (store, again) = import(store).await;
    assert_eq!(again.len(), 1);
    assert_eq!(integration_tests::snapshot(&store).await, before);
}
