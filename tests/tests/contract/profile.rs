//! The caller's own account, `user`: the profile (dj-rest-auth's
//! `UserDetailsView` shape), names, an address change that waits for its
//! link, and account deletion.

use integration_tests::auth::store::{SessionStore, UserAdmin, UserStore};
use integration_tests::{ALICE_PASSWORD, BOB_PASSWORD, spawn_app};

use crate::helpers::*;
use crate::mail::unique_address;
use crate::signup::{Accounts, query, verify};

fn get() -> Req {
    Req::get(USER)
}

fn patch(body: Value) -> Req {
    Req::new("PATCH", USER).json(&body)
}

fn delete(body: Value) -> Req {
    Req::new("DELETE", USER).json(&body)
}

/// alice's profile as the endpoint must show it.
fn profile(id: u64, email: &str, first: &str, last: &str) -> String {
    json!({"pk": id, "username": "alice", "email": email, "first_name": first, "last_name": last})
        .to_string()
}

#[tokio::test]
async fn the_profile_has_dj_rest_auths_shape_for_every_kind_of_caller() {
    let t = spawn_app().await;
    let expected = profile(t.alice.id, "", "", "");
    let (_, access) = pair_of_alice(&t).await;
    let (session, csrf) = session_of_alice(&t).await;
    let jwt = jwt_of_alice(&t).await;
    for req in [
        get().bearer(&access),
        get().session(&session, &csrf),
        get().basic("alice", ALICE_PASSWORD),
        get().header("jwt-auth", &jwt),
    ] {
        let r = call!(user, t, req);
        r.assert(200, &expected);
    }
    let r = call!(user, t, Req::new("HEAD", USER).bearer(&access));
    r.assert(200, "");
    let r = call!(user, t, get());
    r.assert(
        401,
        r#"{"detail":"Authentication credentials were not provided."}"#,
    );
    let r = call!(
        user,
        t,
        Req::new("PUT", USER).bearer(&access).json(&json!({}))
    );
    r.assert(405, r#"{"detail":"Method \"PUT\" not allowed."}"#);
    assert_eq!(r.header("allow"), Some("GET, PATCH, DELETE, HEAD, OPTIONS"));
}

#[tokio::test]
async fn patch_sets_the_names_trimmed_and_ignores_read_only_fields() {
    let t = spawn_app().await;
    let (_, access) = pair_of_alice(&t).await;
    let body =
        json!({"first_name": "  Alice ", "last_name": "Liddell", "username": "mallory", "pk": 99});
    let r = call!(user, t, patch(body).bearer(&access));
    r.assert(200, &profile(t.alice.id, "", "Alice", "Liddell"));
    let r = call!(user, t, get().bearer(&access));
    r.assert(200, &profile(t.alice.id, "", "Alice", "Liddell"));
    // A blank name removes it; an absent one stays.
    let r = call!(user, t, patch(json!({"last_name": ""})).bearer(&access));
    r.assert(200, &profile(t.alice.id, "", "Alice", ""));
    let r = call!(user, t, patch(json!({})).bearer(&access));
    r.assert(200, &profile(t.alice.id, "", "Alice", ""));
    // A form body too, as DRF parses it.
    let r = call!(
        user,
        t,
        Req::new("PATCH", USER)
            .bearer(&access)
            .raw_body("application/x-www-form-urlencoded", b"last_name=Pleasance")
    );
    r.assert(200, &profile(t.alice.id, "", "Alice", "Pleasance"));
}

#[tokio::test]
async fn bad_fields_are_field_errors_in_the_serializers_order_and_change_nothing() {
    let t = spawn_app().await;
    let (_, access) = pair_of_alice(&t).await;
    let long = "x".repeat(151);
    for (body, expected) in [
        (
            json!({"first_name": long, "email": "not an address"}),
            r#"{"email":["Enter a valid email address."],"first_name":["Ensure this field has no more than 150 characters."]}"#,
        ),
        (
            json!({"last_name": null}),
            r#"{"last_name":["This field may not be null."]}"#,
        ),
        (
            json!({"first_name": ["Alice"]}),
            r#"{"first_name":["Not a valid string."]}"#,
        ),
        (
            json!({"email": ""}),
            r#"{"email":["This field may not be blank."]}"#,
        ),
        (
            json!([{"first_name": "Alice"}]),
            r#"{"non_field_errors":["Invalid data. Expected a dictionary, but got list."]}"#,
        ),
    ] {
        let before = t.app.store.user_by_id(t.alice.id).await.unwrap();
        let r = call!(user, t, patch(body.clone()).bearer(&access));
        r.assert(400, expected);
        let after = t.app.store.user_by_id(t.alice.id).await.unwrap();
        assert_eq!(before, after, "{body}: changed alice");
    }
}

#[tokio::test]
async fn a_session_needs_its_csrf_token_to_patch_or_delete() {
    let t = spawn_app().await;
    let (session, csrf) = session_of_alice(&t).await;
    let r = call!(
        user,
        t,
        patch(json!({"first_name": "Eve"})).session(&session, &csrf)
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(
        r.body.starts_with(r#"{"detail":"CSRF Failed"#),
        "{}",
        r.body
    );
    let r = call!(
        user,
        t,
        delete(json!({"password": ALICE_PASSWORD})).session(&session, &csrf)
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(t.app.store.user_by_id(t.alice.id).await.unwrap().is_some());
    let r = call!(
        user,
        t,
        patch(json!({"first_name": "Alice"})).session_with_csrf(&session, &csrf)
    );
    r.assert(200, &profile(t.alice.id, "", "Alice", ""));
}

#[tokio::test]
async fn a_new_address_is_the_users_only_once_its_link_is_followed() {
    let a = Accounts::new(&[]).await;
    let (old, new) = (unique_address(), unique_address());
    give_address(&a.t, &old).await;
    let (_, access) = pair_of_alice(&a.t).await;
    let r = call!(user, a.t, patch(json!({"email": new})).bearer(&access));
    // The old address stays until the new one is proved.
    r.assert(200, &profile(a.t.alice.id, &old, "", ""));
    let r = call!(user, a.t, get().bearer(&access));
    r.assert(200, &profile(a.t.alice.id, &old, "", ""));
    let links = a.links(&new).await;
    assert_eq!(links.len(), 1, "{links:?}");
    let key = query(&links[0].1, "key");
    assert!(
        a.links(&old).await.is_empty(),
        "nothing to the old address yet"
    );

    let r = call!(registration, a.t, verify(&key));
    r.assert(200, r#"{"detail":"ok"}"#);
    let r = call!(user, a.t, get().bearer(&access));
    r.assert(200, &profile(a.t.alice.id, &new, "", ""));
    let alice = stored_user(&a.t, a.t.alice.id).await;
    assert!(alice.email_verified, "the new address is proved");
    let holder = a.t.app.store.user_by_email(&new).await.unwrap();
    assert_eq!(holder.map(|u| u.id), Some(a.t.alice.id));
    assert!(a.t.app.store.user_by_email(&old).await.unwrap().is_none());
    // The old address is told, with both addresses.
    a.deliver().await;
    let notices = a.links(&old).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].0, "E-mail changed");
    // The link is used up.
    let r = call!(registration, a.t, verify(&key));
    r.assert(404, r#"{"detail":"Not found."}"#);
}

#[tokio::test]
async fn an_address_another_account_holds_answers_alike_and_its_owner_is_told() {
    let a = Accounts::new(&[]).await;
    let (mine, theirs) = (unique_address(), unique_address());
    give_address(&a.t, &mine).await;
    let bob = a.t.app.store.user_by_id(a.t.bob.id).await.unwrap().unwrap();
    a.t.app.store.set_email(&bob, &theirs, true).await.unwrap();
    let (_, access) = pair_of_alice(&a.t).await;
    let r = call!(
        user,
        a.t,
        patch(json!({"email": theirs.to_uppercase()})).bearer(&access)
    );
    r.assert(200, &profile(a.t.alice.id, &mine, "", ""));
    let sent = a.links(&theirs).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(
        !sent[0].1.contains("key="),
        "no link that would move bob's address: {sent:?}"
    );
    let alice = stored_user(&a.t, a.t.alice.id).await;
    assert_eq!(alice.email, mine);
}

#[tokio::test]
async fn a_link_to_an_address_taken_meanwhile_moves_nothing() {
    let a = Accounts::new(&[]).await;
    let (mine, wanted) = (unique_address(), unique_address());
    give_address(&a.t, &mine).await;
    let (_, access) = pair_of_alice(&a.t).await;
    let r = call!(user, a.t, patch(json!({"email": wanted})).bearer(&access));
    assert_eq!(r.status, 200);
    let key = query(&a.links(&wanted).await[0].1, "key");
    let bob = a.t.app.store.user_by_id(a.t.bob.id).await.unwrap().unwrap();
    a.t.app.store.set_email(&bob, &wanted, true).await.unwrap();
    let r = call!(registration, a.t, verify(&key));
    r.assert(404, r#"{"detail":"Not found."}"#);
    let alice = stored_user(&a.t, a.t.alice.id).await;
    assert_eq!(
        (alice.email.as_str(), alice.email_verified),
        (mine.as_str(), true)
    );
    let holder = a.t.app.store.user_by_email(&wanted).await.unwrap();
    assert_eq!(holder.map(|u| u.id), Some(a.t.bob.id));
}

#[tokio::test]
async fn without_links_the_address_changes_at_once_and_a_taken_one_is_a_field_error() {
    let a = Accounts::new(&[("REGISTRATION_OPEN", "false"), ("ACTIVATION_URL", "")]).await;
    let (old, new) = (unique_address(), unique_address());
    give_address(&a.t, &old).await;
    let (_, access) = pair_of_alice(&a.t).await;
    let r = call!(user, a.t, patch(json!({"email": new})).bearer(&access));
    r.assert(200, &profile(a.t.alice.id, &new, "", ""));
    let alice = stored_user(&a.t, a.t.alice.id).await;
    assert!(!alice.email_verified, "not proved");
    let notices = a.links(&old).await;
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(notices[0].0, "E-mail changed");

    let theirs = unique_address();
    let bob = a.t.app.store.user_by_id(a.t.bob.id).await.unwrap().unwrap();
    a.t.app.store.set_email(&bob, &theirs, true).await.unwrap();
    let r = call!(user, a.t, patch(json!({"email": theirs})).bearer(&access));
    r.assert(
        400,
        r#"{"email":["A user is already registered with this e-mail address."]}"#,
    );
    let alice = stored_user(&a.t, a.t.alice.id).await;
    assert_eq!(alice.email, new);
}

#[tokio::test]
async fn deleting_needs_the_password_and_leaves_nothing_that_works() {
    let t = spawn_app().await;
    let email = unique_address();
    give_address(&t, &email).await;
    let (refresh, access) = pair_of_alice(&t).await;
    let (session, csrf) = session_of_alice(&t).await;

    let r = call!(user, t, delete(json!({})).bearer(&access));
    r.assert(400, r#"{"password":["This field is required."]}"#);
    let r = call!(
        user,
        t,
        delete(json!({"password": BOB_PASSWORD})).bearer(&access)
    );
    r.assert(400, r#"{"password":["Wrong password."]}"#);
    assert!(t.app.store.user_by_id(t.alice.id).await.unwrap().is_some());

    let r = call!(
        user,
        t,
        delete(json!({"password": ALICE_PASSWORD})).session_with_csrf(&session, &csrf)
    );
    r.assert(204, "");
    let cleared = r.headers_named("set-cookie");
    assert!(
        cleared.iter().any(|c| c.starts_with("sessionid=\"\";")),
        "{cleared:?}"
    );
    assert!(t.app.store.session(&session).await.unwrap().is_none());
    // Gone: by id, name and address; nothing issued to alice works.
    assert!(t.app.store.user_by_id(t.alice.id).await.unwrap().is_none());
    assert!(
        t.app
            .store
            .user_by_username("alice")
            .await
            .unwrap()
            .is_none()
    );
    assert!(t.app.store.user_by_email(&email).await.unwrap().is_none());
    let r = call!(user, t, get().bearer(&access));
    assert_eq!(r.status, 401, "{}", r.body);
    let r = call!(
        token_refresh,
        t,
        Req::post(REFRESH).json(&json!({"refresh": refresh}))
    );
    assert_eq!(r.status, 401, "{}", r.body);
    let r = call!(login, t, alice_credentials(LOGIN));
    assert_eq!(r.status, 403, "{}", r.body);
    // The id is never given again; the name and address are free.
    let again = t
        .app
        .store
        .create_user_with_email("alice", "x", &email, false)
        .await
        .unwrap();
    assert!(
        again.id > t.bob.id.max(t.alice.id),
        "id {} reused",
        again.id
    );
}
