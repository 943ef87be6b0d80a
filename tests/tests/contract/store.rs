//! Store behaviour, the same suite on the in-memory store and on DynamoDB
//! (moto): ids, unique usernames, sessions, the blacklist, expiry.

use std::collections::HashSet;

use integration_tests::auth::base::time::now;
use integration_tests::auth::store::{
    CreateUserError, MemoryStore, Rotation, Session, SetEmailError, Store, UpdateUserError,
    UserAdmin, UserChange,
};
use integration_tests::fresh_store;

async fn users<S: Store + UserAdmin>(store: &S) {
    let a = store.create_user("alice", "hash-a").await.unwrap();
    let b = store.create_user("bob", "hash-b").await.unwrap();
    assert_eq!((a.id, b.id), (1, 2));
    assert!(a.is_active);
    assert!(matches!(
        store.create_user("alice", "x").await,
        Err(CreateUserError::UsernameTaken)
    ));
    let c = store.create_user("carol", "hash-c").await.unwrap();
    assert_eq!(c.id, 3, "a refused duplicate does not use up an id");
    assert_eq!(
        store.user_by_username("alice").await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(store.user_by_id(2).await.unwrap(), Some(b.clone()));
    assert_eq!(
        store.user_by_username("Alice").await.unwrap(),
        None,
        "case-sensitive"
    );
    assert_eq!(store.user_by_username("nobody").await.unwrap(), None);
    assert_eq!(store.user_by_id(99).await.unwrap(), None);
    for weird in [
        "",
        " alice",
        "a b",
        "x".repeat(151).as_str(),
        "a#b",
        "\u{0}",
    ] {
        assert_eq!(
            store.user_by_username(weird).await.unwrap(),
            None,
            "{weird:?}"
        );
    }
    assert_eq!(a.generation, 0);
    let changed = store
        .update_user(a.id, UserChange::password("hash-new"))
        .await
        .unwrap();
    assert_eq!(changed.password, "hash-new");
    let changed = store
        .update_user(a.id, UserChange::Active(false))
        .await
        .unwrap();
    assert!(!changed.is_active);
    assert_eq!(
        store
            .user_by_username("alice")
            .await
            .unwrap()
            .unwrap()
            .password,
        "hash-new"
    );
    assert!(matches!(
        store.update_user(99, UserChange::Active(true)).await,
        Err(UpdateUserError::NotFound)
    ));
}

async fn generations<S: Store + UserAdmin>(store: &S) {
    let a = store.create_user("alice", "h1").await.unwrap();
    let a = store
        .update_user(a.id, UserChange::password("h2"))
        .await
        .unwrap();
    assert_eq!(
        (a.password.as_str(), a.generation),
        ("h2", 1),
        "a new password moves gen on"
    );
    let a = store.update_user(a.id, UserChange::Revoke).await.unwrap();
    assert_eq!(
        (a.password.as_str(), a.generation),
        ("h2", 2),
        "revoke moves only gen"
    );
    let a = store
        .update_user(a.id, UserChange::Active(false))
        .await
        .unwrap();
    assert_eq!(a.generation, 2, "deactivating does not");
    // a conditional change loses to one that came first
    let stale = UserChange::Password {
        hash: "h3".into(),
        if_current: Some("h1".into()),
    };
    assert!(matches!(
        store.update_user(a.id, stale).await,
        Err(UpdateUserError::Conflict)
    ));
    assert_eq!(
        store.user_by_id(a.id).await.unwrap().unwrap().password,
        "h2"
    );
    let fresh = UserChange::Password {
        hash: "h3".into(),
        if_current: Some("h2".into()),
    };
    assert_eq!(store.update_user(a.id, fresh).await.unwrap().generation, 3);
    let racers = futures::future::join_all((0..6).map(|i| {
        store.update_user(
            a.id,
            UserChange::Password {
                hash: format!("race{i}"),
                if_current: Some("h3".into()),
            },
        )
    }))
    .await;
    assert_eq!(
        racers.iter().filter(|r| r.is_ok()).count(),
        1,
        "one of racing password changes wins"
    );
    assert!(matches!(
        store.update_user(99, UserChange::Revoke).await,
        Err(UpdateUserError::NotFound)
    ));
}

async fn token_state<S: Store + UserAdmin>(store: &S) {
    let a = store.create_user("alice", "h").await.unwrap();
    let state = store
        .token_state(Some(a.id), Some("j0"), Some("f0"))
        .await
        .unwrap();
    assert_eq!(state.user.map(|u| u.id), Some(a.id));
    assert!(state.revoked.is_none() && !state.family_revoked);
    let state = store.token_state(None, Some("j0"), None).await.unwrap();
    assert!(state.user.is_none());
    let rotation = Rotation {
        fam: "f0".into(),
        next_jti: "j1".into(),
        next_iat: now(),
        next_exp: now() + 50,
        rotated_at: now(),
    };
    assert!(store.rotate("j0", now() + 100, &rotation).await.unwrap());
    assert!(
        !store.rotate("j0", now() + 100, &rotation).await.unwrap(),
        "single use"
    );
    let state = store
        .token_state(Some(a.id), Some("j0"), Some("f0"))
        .await
        .unwrap();
    assert_eq!(
        state.revoked.as_ref().and_then(|r| r.rotation.clone()),
        Some(rotation.clone())
    );
    assert_eq!(store.revocation("j0").await.unwrap(), state.revoked);
    assert!(store.blacklist("j9", now() + 100).await.unwrap());
    assert_eq!(
        store.revocation("j9").await.unwrap().unwrap().rotation,
        None
    );
    store.revoke_family("f0", now() + 100).await.unwrap();
    store.revoke_family("f0", now() + 10).await.unwrap();
    assert!(family_revoked(store, "f0").await);
    assert!(!family_revoked(store, "f1").await);
    store.revoke_family("f2", now() - 1).await.unwrap();
    assert!(!family_revoked(store, "f2").await, "expired");
    // a jti cannot pose as a family
    assert!(store.blacklist("fam#f3", now() + 100).await.unwrap());
    assert!(!family_revoked(store, "f3").await);
    let racers =
        futures::future::join_all((0..8).map(|_| store.rotate("r", now() + 100, &rotation))).await;
    assert_one_won(racers);
}

/// Whether family `fam` is revoked, as a token of it finds.
async fn family_revoked<S: Store>(store: &S, fam: &str) -> bool {
    store
        .token_state(None, Some("jx"), Some(fam))
        .await
        .unwrap()
        .family_revoked
}

/// Asserts that exactly one of racing conditional writes went through.
#[track_caller]
fn assert_one_won<E: std::fmt::Debug>(racers: Vec<Result<bool, E>>) {
    assert_eq!(
        racers.into_iter().filter(|r| *r.as_ref().unwrap()).count(),
        1
    );
}

async fn concurrent_sign_ups<S: Store + UserAdmin>(store: &S) {
    let names: Vec<String> = (0..12).map(|i| format!("user{i}")).collect();
    let created = futures::future::join_all(names.iter().map(|n| store.create_user(n, "h"))).await;
    let ids: HashSet<u64> = created.into_iter().map(|r| r.unwrap().id).collect();
    assert_eq!(
        ids,
        (1..=12).collect::<HashSet<u64>>(),
        "distinct ids 1..=12"
    );
    let same = futures::future::join_all((0..8).map(|_| store.create_user("same", "h"))).await;
    assert_eq!(
        same.iter().filter(|r| r.is_ok()).count(),
        1,
        "one sign-up of a name wins"
    );
    assert!(
        same.iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(CreateUserError::UsernameTaken)))
    );
}

/// Addresses: at most one user holds one, compared case-insensitively,
/// whether given at creation or later; a change frees the old address; a
/// change from a stale copy of the user is refused; racing claims of one
/// address leave exactly one holder.
async fn addresses<S: Store + UserAdmin>(store: &S) {
    let ann = (store.create_user_with_email("ann", "h", "Ann@Example.com", true))
        .await
        .unwrap();
    assert_eq!(
        (ann.email.as_str(), ann.email_verified),
        ("Ann@Example.com", true)
    );
    assert_eq!(store.user_by_id(ann.id).await.unwrap(), Some(ann.clone()));
    for other in ["ann@example.com", "ANN@EXAMPLE.COM"] {
        assert!(matches!(
            store.create_user_with_email("bo", "h", other, false).await,
            Err(CreateUserError::EmailTaken)
        ));
    }
    assert!(
        store.user_by_username("bo").await.unwrap().is_none(),
        "all or nothing"
    );
    assert_eq!(
        store.user_by_email("ann@EXAMPLE.com").await.unwrap(),
        Some(ann.clone())
    );
    assert_eq!(
        store.user_by_email("nobody@example.com").await.unwrap(),
        None
    );
    assert_eq!(store.user_by_email("not an address").await.unwrap(), None);
    let bo = store.create_user("bo", "h").await.unwrap();
    assert_eq!((bo.email.as_str(), bo.email_verified), ("", false));
    assert!(matches!(
        store.set_email(&bo, "ann@example.COM", false).await,
        Err(SetEmailError::Taken)
    ));
    assert!(matches!(
        store.set_email(&bo, "two@@example.com", false).await,
        Err(SetEmailError::Invalid)
    ));
    // Ann moves: her old address is free, the new one hers.
    let moved = store
        .set_email(&ann, "ann@example.org", false)
        .await
        .unwrap();
    assert_eq!(
        (moved.email.as_str(), moved.email_verified),
        ("ann@example.org", false)
    );
    assert_eq!(store.user_by_id(ann.id).await.unwrap(), Some(moved.clone()));
    assert_eq!(store.user_by_email("ann@example.com").await.unwrap(), None);
    // A copy read before the move is stale.
    assert!(matches!(
        store.set_email(&ann, "ann@example.net", false).await,
        Err(SetEmailError::Conflict)
    ));
    let bo = store.set_email(&bo, "ANN@example.com", true).await.unwrap();
    assert_eq!(
        store.user_by_email("ann@example.com").await.unwrap(),
        Some(bo.clone())
    );
    // The same address again (another case, now verified): still hers.
    let moved = store
        .set_email(&moved, "Ann@Example.org", true)
        .await
        .unwrap();
    assert_eq!(
        store.user_by_email("ann@example.org").await.unwrap(),
        Some(moved.clone())
    );
    // None: the address is free again.
    let cleared = store.set_email(&moved, "", false).await.unwrap();
    assert_eq!(
        (cleared.email.as_str(), cleared.email_verified),
        ("", false)
    );
    assert_eq!(store.user_by_email("ann@example.org").await.unwrap(), None);
    // Racing claims of one address by eight users: one holds it.
    let mut racers = Vec::new();
    for i in 0..8 {
        racers.push(store.create_user(&format!("racer{i}"), "h").await.unwrap());
    }
    let claims = futures::future::join_all(
        racers
            .iter()
            .map(|u| store.set_email(u, "Contested@example.com", false)),
    )
    .await;
    assert_eq!(claims.iter().filter(|r| r.is_ok()).count(), 1, "{claims:?}");
    assert!(
        claims
            .iter()
            .filter(|r| r.is_err())
            .all(|r| matches!(r, Err(SetEmailError::Taken)))
    );
    let sign_ups = futures::future::join_all((0..8).map(|i| {
        let name = format!("signup{i}");
        async move {
            store
                .create_user_with_email(&name, "h", "new@example.com", false)
                .await
        }
    }))
    .await;
    assert_eq!(sign_ups.iter().filter(|r| r.is_ok()).count(), 1);
}

fn session(key: &str, expires_at: i64) -> Session {
    Session {
        session_key: key.into(),
        user_id: 1,
        auth_hash: "h".into(),
        expires_at,
        amr: vec!["pwd".into()],
    }
}

const K1: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1";
const K2: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2";
const K3: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3";

async fn sessions<S: Store>(store: &S) {
    let live = session(K1, now() + 100);
    assert!(store.create_session(&live, None).await.unwrap());
    assert_eq!(store.session(K1).await.unwrap(), Some(live.clone()));
    assert!(
        !store
            .create_session(&session(K1, now() + 5), None)
            .await
            .unwrap(),
        "never overwrite a live session"
    );
    assert_eq!(store.session(K1).await.unwrap(), Some(live.clone()));
    // replacing deletes the old one in the same write
    assert!(
        store
            .create_session(&session(K2, now() + 100), Some(K1))
            .await
            .unwrap()
    );
    assert_eq!(store.session(K1).await.unwrap(), None);
    assert!(store.session(K2).await.unwrap().is_some());
    // a refused create does not delete the session it would replace
    assert!(
        !store
            .create_session(&session(K2, now() + 5), Some(K2))
            .await
            .unwrap()
            || store.session(K2).await.unwrap().is_some()
    );
    store.delete_session(K2).await.unwrap();
    assert_eq!(store.session(K2).await.unwrap(), None);
    store.delete_session(K2).await.unwrap();
    // expired items are absent, and their key can be reused
    assert!(
        store
            .create_session(&session(K3, now() - 1), None)
            .await
            .unwrap()
    );
    assert_eq!(store.session(K3).await.unwrap(), None);
    assert!(
        store
            .create_session(&session(K3, now() + 100), None)
            .await
            .unwrap()
    );
    assert!(store.session(K3).await.unwrap().is_some());
    // keys that cannot be session keys are simply absent
    for weird in [
        "",
        "short",
        &"a".repeat(5000),
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ] {
        assert_eq!(store.session(weird).await.unwrap(), None);
        store.delete_session(weird).await.unwrap();
    }
}

async fn blacklist<S: Store>(store: &S) {
    assert!(!store.is_blacklisted("j1").await.unwrap());
    assert!(store.blacklist("j1", now() + 100).await.unwrap());
    assert!(store.is_blacklisted("j1").await.unwrap());
    assert!(
        !store.blacklist("j1", now() + 100).await.unwrap(),
        "second time: already there"
    );
    // an expired entry is absent and can be written again
    assert!(store.blacklist("j2", now() - 1).await.unwrap());
    assert!(!store.is_blacklisted("j2").await.unwrap());
    assert!(store.blacklist("j2", now() + 100).await.unwrap());
    // jtis that could not be keys still work
    for weird in ["".to_owned(), "x".repeat(5000)] {
        assert!(!store.is_blacklisted(&weird).await.unwrap());
        assert!(store.blacklist(&weird, now() + 100).await.unwrap());
        assert!(store.is_blacklisted(&weird).await.unwrap());
    }
    let racers =
        futures::future::join_all((0..8).map(|_| store.blacklist("race", now() + 100))).await;
    assert_one_won(racers);
}

/// One test on the in-memory store and one on a fresh DynamoDB store per
/// suite: `memory_test, dynamo_test => suite;`.
macro_rules! on_both_stores {
    ($($memory:ident, $dynamo:ident => $suite:ident;)*) => {$(
        #[tokio::test]
        async fn $memory() {
            $suite(&MemoryStore::new()).await;
        }

        #[tokio::test]
        async fn $dynamo() {
            $suite(&fresh_store().await).await;
        }
    )*};
}

/// Two-factor state: enrolment, codes and recovery codes used once,
/// `mfa_token`s used once and dead after their attempts, each attempt
/// charged to the user's failures (only against the count read), support
/// unlocking, disabling.
async fn mfa<S: Store + UserAdmin>(store: &S) {
    use integration_tests::auth::credentials::mfa::MFA_TOKEN_ATTEMPTS;
    use integration_tests::auth::store::{AfterProof, Charged, Proof, Redeemed, UserChange};
    let a = store.create_user("alice", "h").await.unwrap();
    let b = store.create_user("bob", "h").await.unwrap();
    assert!(!a.mfa.is_on());
    assert_eq!(a.mfa, Default::default());
    let step = Proof::Step;
    let done = |r| assert_eq!(r, Redeemed::Done);
    let none = &AfterProof::Nothing;
    // Off: no proof is accepted, confirming needs the pending secret.
    assert_eq!(
        store.redeem(a.id, 0, &step(10), None, none).await.unwrap(),
        Redeemed::CodeRefused
    );
    assert!(!store.confirm_totp(a.id, "s1", 10, &[]).await.unwrap());
    assert!(store.begin_totp(a.id, "s1").await.unwrap());
    assert!(store.begin_totp(a.id, "s2").await.unwrap(), "replaces");
    assert!(!store.begin_totp(99, "s2").await.unwrap());
    let got = store.user_by_id(a.id).await.unwrap().unwrap();
    assert_eq!(got.mfa.pending.as_deref(), Some("s2"));
    assert!(!got.mfa.is_on());
    assert!(!store.confirm_totp(a.id, "s1", 10, &[]).await.unwrap());
    let hashes = vec!["r1".to_owned(), "r2".to_owned()];
    assert!(store.confirm_totp(a.id, "s2", 10, &hashes).await.unwrap());
    assert!(!store.confirm_totp(a.id, "s2", 10, &hashes).await.unwrap());
    assert!(!store.begin_totp(a.id, "s3").await.unwrap(), "already on");
    let got = store.user_by_username("alice").await.unwrap().unwrap();
    assert!(got.mfa.is_on());
    assert_eq!(got.mfa.totp.as_deref(), Some("s2"));
    assert_eq!(got.mfa.pending, None);
    assert_eq!(got.mfa.step, Some(10));
    assert_eq!(got.mfa.recovery, hashes);
    // Turning TOTP on moved the credential generation on.
    assert_eq!(got.generation, a.generation + 1);
    let on = got.generation;
    assert!(!store.user_by_id(b.id).await.unwrap().unwrap().mfa.is_on());

    // Steps: only later ones, once; the generation must match.
    for old in [9, 10] {
        let r = store
            .redeem(a.id, on, &step(old), None, none)
            .await
            .unwrap();
        assert_eq!(r, Redeemed::CodeRefused, "step {old}");
    }
    done(store.redeem(a.id, on, &step(11), None, none).await.unwrap());
    let r = store.redeem(a.id, on, &step(11), None, none).await.unwrap();
    assert_eq!(r, Redeemed::CodeRefused, "replay");
    let r = store.redeem(a.id, 0, &step(12), None, none).await.unwrap();
    assert_eq!(r, Redeemed::CodeRefused, "another generation");
    let r = store.redeem(b.id, 0, &step(12), None, none).await.unwrap();
    assert_eq!(r, Redeemed::CodeRefused, "bob has no TOTP");

    // Recovery codes: once each.
    let r1 = Proof::Recovery("r1".into());
    done(store.redeem(a.id, on, &r1, None, none).await.unwrap());
    let r = store.redeem(a.id, on, &r1, None, none).await.unwrap();
    assert_eq!(r, Redeemed::CodeRefused);
    let got = store.user_by_id(a.id).await.unwrap().unwrap();
    assert_eq!(got.mfa.recovery, vec!["r2".to_owned()]);
    let fresh = AfterProof::ReplaceRecovery(vec!["n1".into(), "n2".into()]);
    done(
        store
            .redeem(a.id, on, &step(12), None, &fresh)
            .await
            .unwrap(),
    );
    let got = store.user_by_id(a.id).await.unwrap().unwrap();
    assert_eq!(got.mfa.recovery, vec!["n1".to_owned(), "n2".to_owned()]);
    assert_eq!(got.mfa.step, Some(12));
    let r2 = Proof::Recovery("r2".into());
    let r = store.redeem(a.id, on, &r2, None, none).await.unwrap();
    assert_eq!(r, Redeemed::CodeRefused, "old codes void");
    let n1 = Proof::Recovery("n1".into());
    let newer = AfterProof::ReplaceRecovery(vec!["m1".into()]);
    done(store.redeem(a.id, on, &n1, None, &newer).await.unwrap());
    let got = store.user_by_id(a.id).await.unwrap().unwrap();
    assert_eq!(got.mfa.recovery, vec!["m1".to_owned()]);

    // mfa_tokens: one use; dead after their wrong codes; nothing written
    // when either part is refused.
    let exp = now() + 300;
    done(
        store
            .redeem(a.id, on, &step(20), Some(("t1", exp)), none)
            .await
            .unwrap(),
    );
    let r = store
        .redeem(a.id, on, &step(21), Some(("t1", exp)), none)
        .await
        .unwrap();
    assert_eq!(r, Redeemed::TokenRefused, "used");
    let r = store
        .redeem(a.id, on, &step(20), Some(("t2", exp)), none)
        .await
        .unwrap();
    assert_eq!(r, Redeemed::CodeRefused, "replayed step");
    done(
        store
            .redeem(a.id, on, &step(21), Some(("t2", exp)), none)
            .await
            .unwrap(),
    );

    // Charging an attempt, before any code is compared: one of the token's
    // attempts and one of the user's consecutive failures, all or nothing.
    let fresh = || async { store.user_by_id(a.id).await.unwrap().unwrap() };
    let mut u = fresh().await;
    assert_eq!((u.mfa.failures, u.mfa.locked_until), (0, None));
    for i in 1..=MFA_TOKEN_ATTEMPTS {
        let c = store.charge_second_factor(&u, None, Some(("t3", exp)));
        assert_eq!(c.await.unwrap(), Charged::Done);
        u = fresh().await;
        assert_eq!(u.mfa.failures, i);
    }
    let c = store.charge_second_factor(&u, None, Some(("t3", exp)));
    assert_eq!(c.await.unwrap(), Charged::TokenRefused, "out of attempts");
    let c = store.charge_second_factor(&u, None, Some(("t1", exp)));
    assert_eq!(c.await.unwrap(), Charged::TokenRefused, "used");
    assert_eq!(
        fresh().await.mfa.failures,
        MFA_TOKEN_ATTEMPTS,
        "none charged"
    );
    let r = store
        .redeem(a.id, on, &step(22), Some(("t3", exp)), none)
        .await
        .unwrap();
    assert_eq!(r, Redeemed::Done, "its last attempt may still be right");
    // Another attempt charged since the read: the read's count no longer
    // holds, and nothing is charged (not even the token's attempt).
    let u = fresh().await;
    assert_eq!(u.mfa.failures, 0, "a right code forgets the failures");
    let until = now() + 60;
    let c = store.charge_second_factor(&u, Some(until), Some(("t4", exp)));
    assert_eq!(c.await.unwrap(), Charged::Done);
    let c = store.charge_second_factor(&u, None, Some(("t5", exp)));
    assert_eq!(c.await.unwrap(), Charged::Moved, "stale count");
    let u = fresh().await;
    assert_eq!((u.mfa.failures, u.mfa.locked_until), (1, Some(until)));
    for _ in 0..MFA_TOKEN_ATTEMPTS {
        let u = fresh().await;
        let c = store.charge_second_factor(&u, None, Some(("t5", exp)));
        assert_eq!(c.await.unwrap(), Charged::Done, "t5 was not charged");
        assert_eq!(fresh().await.mfa.failures, u.mfa.failures + 1);
    }
    // Another generation, another user without TOTP: nothing charged.
    let mut other_gen = fresh().await;
    other_gen.generation += 1;
    let c = store.charge_second_factor(&other_gen, None, None);
    assert_eq!(c.await.unwrap(), Charged::Moved);
    let bob = store.user_by_id(b.id).await.unwrap().unwrap();
    let c = store.charge_second_factor(&bob, None, None);
    assert_eq!(c.await.unwrap(), Charged::Moved);
    // Support opens the step: the failures forgotten, TOTP still on.
    store
        .update_user(a.id, UserChange::UnlockMfa)
        .await
        .unwrap();
    let u = fresh().await;
    assert_eq!((u.mfa.failures, u.mfa.locked_until), (0, None));
    assert!(u.mfa.is_on());
    done(
        store
            .redeem(a.id, on, &step(23), Some(("t6", exp)), none)
            .await
            .unwrap(),
    );

    // Resealing: only over the secret still stored.
    assert!(!store.reseal_totp(a.id, "s1", "s9").await.unwrap());
    assert!(store.reseal_totp(a.id, "s2", "s2b").await.unwrap());
    let got = store.user_by_id(a.id).await.unwrap().unwrap();
    assert_eq!(got.mfa.totp.as_deref(), Some("s2b"));
    assert_eq!(got.mfa.step, Some(23), "nothing else changes");

    // Disabling: with a proof, or by support; both move the generation on.
    let r = store
        .redeem(a.id, on, &step(22), None, &AfterProof::Disable)
        .await
        .unwrap();
    assert_eq!(r, Redeemed::CodeRefused, "the proof is checked first");
    done(
        store
            .redeem(a.id, on, &step(24), None, &AfterProof::Disable)
            .await
            .unwrap(),
    );
    let got = store.user_by_id(a.id).await.unwrap().unwrap();
    assert_eq!(
        (got.mfa.clone(), got.generation),
        (Default::default(), on + 1)
    );
    assert!(store.begin_totp(a.id, "s4").await.unwrap());
    assert!(store.confirm_totp(a.id, "s4", 30, &[]).await.unwrap());
    let off = store
        .update_user(a.id, UserChange::DisableMfa)
        .await
        .unwrap();
    assert_eq!(
        (off.mfa.clone(), off.generation),
        (Default::default(), on + 3)
    );
    assert_eq!(store.user_by_id(a.id).await.unwrap().unwrap(), off);
}

/// Password-attempt counters: a charge is all or none, against each
/// counter's own limit, and says which refused; a release resets, gives
/// back and remembers.
async fn throttle<S: Store>(store: &S) {
    use integration_tests::auth::model::counter::Counter;
    let counter = |key: &str| Counter {
        key: key.to_owned(),
        username: Some("alice".into()),
        address: None,
    };
    let (a, b, c) = (counter("test#a"), counter("test#b"), counter("test#c"));
    let until = now() + 60;
    for _ in 0..2 {
        assert_eq!(
            store
                .charge(&[(&a, 2), (&b, 3), (&c, 5)], until)
                .await
                .unwrap(),
            Vec::<usize>::new()
        );
    }
    // a is at its limit: nothing is charged, not even to b and c.
    assert_eq!(
        store
            .charge(&[(&a, 2), (&b, 3), (&c, 5)], until)
            .await
            .unwrap(),
        [0]
    );
    assert_eq!(
        store.charge(&[(&b, 3), (&c, 5)], until).await.unwrap(),
        Vec::<usize>::new(),
        "b had 2"
    );
    assert_eq!(
        store
            .charge(&[(&a, 2), (&b, 3), (&c, 3)], until)
            .await
            .unwrap(),
        [0, 1, 2],
        "every one that refuses"
    );
    // Reset a, give b one back, remember a client.
    assert!(!store.remembers("test#known").await.unwrap());
    let (reset, undo) = ([a.key.clone()], [b.key.clone()]);
    let known = Some(("test#known", until));
    store.release(&reset, &undo, known).await.unwrap();
    assert!(store.remembers("test#known").await.unwrap());
    assert_eq!(
        store.charge(&[(&a, 1), (&b, 3)], until).await.unwrap(),
        Vec::<usize>::new(),
        "a afresh, b at 2"
    );
    assert_eq!(store.charge(&[(&b, 3)], until).await.unwrap(), [0]);
    // Remembered until its time only.
    let gone = Some(("test#old", now() - 1));
    store.release(&[], &[], gone).await.unwrap();
    assert!(!store.remembers("test#old").await.unwrap());
}

on_both_stores! {
    memory_throttle, dynamo_throttle => throttle;
    memory_generations, dynamo_generations => generations;
    memory_token_state, dynamo_token_state => token_state;
    memory_users, dynamo_users => users;
    memory_concurrent_sign_ups, dynamo_concurrent_sign_ups => concurrent_sign_ups;
    memory_sessions, dynamo_sessions => sessions;
    memory_blacklist, dynamo_blacklist => blacklist;
    memory_mfa, dynamo_mfa => mfa;
    memory_addresses, dynamo_addresses => addresses;
    memory_passkey_users, dynamo_passkey_users => passkey_users;
}

/// A user created holding a passkey (a passkey sign-up): its id reserved
/// first and never handed out again; the username, the address and the
/// credential id each refused when taken, and then nothing is written.
async fn passkey_users<S: Store + UserAdmin>(store: &S) {
    use integration_tests::auth::store::{StoredPasskey, User};
    let alice = (store.create_user_with_email("alice", "x", "alice@example.com", true))
        .await
        .unwrap();
    let id = store.reserve_user_id().await.unwrap();
    assert!(id > alice.id);
    let next = store.create_user("between", "x").await.unwrap();
    assert!(next.id > id, "a reserved id is not handed out again");
    let passkey = |id: &str| StoredPasskey {
        id: id.into(),
        name: "Passkey".into(),
        created: now(),
        last_used: None,
        backed_up: false,
        credential: "{}".into(),
    };
    let user = |username: &str, email: &str, key: &str| User {
        id,
        username: username.into(),
        password: "!unusable".into(),
        is_active: true,
        generation: 0,
        email: email.into(),
        email_verified: false,
        first_name: String::new(),
        last_name: String::new(),
        mfa: Default::default(),
        passkeys: vec![passkey(key)],
        consents: Vec::new(),
    };
    let alices_key = passkey("alices-key");
    assert!(matches!(
        store.add_passkey(&alice, &alices_key).await.unwrap(),
        integration_tests::auth::store::Added::Done
    ));
    for (new, want) in [
        (user("alice", "new@example.com", "k1"), "username"),
        (user("carol", "ALICE@example.com", "k1"), "email"),
        (
            user("carol", "carol@example.com", "alices-key"),
            "credential",
        ),
    ] {
        let got = store.create_user_with_passkey(&new, &new.passkeys[0]).await;
        let clash = match got {
            Err(CreateUserError::UsernameTaken) => "username",
            Err(CreateUserError::EmailTaken) => "email",
            Err(CreateUserError::CredentialTaken) => "credential",
            other => panic!("{other:?}"),
        };
        assert_eq!(clash, want);
        assert_eq!(store.user_by_id(id).await.unwrap(), None, "{want}");
        assert_eq!(store.passkey_owner("k1").await.unwrap(), None, "{want}");
    }
    let carol = user("carol", "carol@example.com", "k1");
    store
        .create_user_with_passkey(&carol, &carol.passkeys[0])
        .await
        .unwrap();
    let stored = store.user_by_username("carol").await.unwrap().unwrap();
    assert_eq!(stored.id, id);
    assert_eq!(stored.passkeys, carol.passkeys);
    assert_eq!(store.passkey_owner("k1").await.unwrap(), Some(id));
    assert_eq!(
        store
            .user_by_email("CAROL@example.com")
            .await
            .unwrap()
            .map(|u| u.id),
        Some(id)
    );
    // The user can hold more, up to the cap, counted from one.
    for n in 2..=integration_tests::auth::store::MAX_PASSKEYS {
        let more = passkey(&format!("k{n}"));
        let added = store.add_passkey(&stored, &more).await.unwrap();
        assert!(
            matches!(added, integration_tests::auth::store::Added::Done),
            "{n}"
        );
    }
    let over = store.add_passkey(&stored, &passkey("k11")).await.unwrap();
    assert!(matches!(over, integration_tests::auth::store::Added::Full));
}

/// Session keys are credentials: the table holds their SHA-256 only, so a
/// backup or an over-broad reader of the table takes over no session.
#[tokio::test]
async fn the_sessions_table_holds_no_session_key() {
    use crate::helpers::{ALICE, INFO, Req, call, session_of_alice};
    let t = integration_tests::spawn_app().await;
    let mut keys = Vec::new();
    for _ in 0..3 {
        keys.push(session_of_alice(&t).await.0);
    }
    let store = &t.app.store;
    let scan = store
        .client()
        .scan()
        .table_name(&store.tables().sessions)
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    let items = format!("{:?}", scan.items());
    assert_eq!(scan.items().len(), 3);
    for key in &keys {
        assert!(!items.contains(key.as_str()), "{key} stored: {items}");
        call!(info, t, Req::get(INFO).cookie("sessionid", key)).assert(200, ALICE);
    }
}
