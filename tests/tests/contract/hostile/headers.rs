//! Header names in any case: each header the contract reads, sent in
//! capitals or mixed case.

use integration_tests::auth::policy::csrf;

use super::crafted::*;
use super::runner::*;
use crate::helpers::*;

#[tokio::test]
async fn header_names_are_case_insensitive() {
    let t = unthrottled_app().await;
    let (_, access) = pair_of_alice(&t).await;
    let (key, token) = session_of_alice(&t).await;
    let n = now();
    let tutorial = sign(json!({"id":1,"username":"alice","iat":n,"exp":n+60}));
    let alice = r#"{"id":1,"username":"alice"}"#;
    let cases = vec![
        {
            let r = Req::get(INFO).bearer(&access);
            case(
                "AUTHORIZATION: Bearer <valid>",
                "info",
                r.clone(),
                200,
                alice,
            )
            .event(with_header_names(&r, &[("authorization", "AUTHORIZATION")]))
        },
        {
            let r = Req::get(INFO).bearer("garbage");
            case(
                "AuThOrIzAtIoN: Bearer garbage",
                "info",
                r.clone(),
                401,
                bearer_messages("Token is invalid or expired"),
            )
            .event(with_header_names(&r, &[("authorization", "AuThOrIzAtIoN")]))
        },
        {
            let r = info_jwt_auth(&tutorial);
            case("Jwt-Auth: <valid>", "info", r.clone(), 200, alice)
                .event(with_header_names(&r, &[("jwt-auth", "Jwt-Auth")]))
        },
        {
            let r = info_jwt_auth("garbage");
            case(
                "JWT-AUTH: garbage",
                "info",
                r.clone(),
                401,
                detail("Error decoding token"),
            )
            .event(with_header_names(&r, &[("jwt-auth", "JWT-AUTH")]))
        },
        {
            // POST to info: authentication (with CSRF) runs before the 405,
            // so a 405 shows the X-CSRFTOKEN header was read and matched.
            let r = Req::post(INFO).session_with_csrf(&key, &token);
            case(
                "X-CSRFTOKEN: <right>",
                "info",
                r.clone(),
                405,
                r#"{"detail":"Method \"POST\" not allowed."}"#,
            )
            .event(with_header_names(&r, &[("x-csrftoken", "X-CSRFTOKEN")]))
        },
        {
            let r = Req::post(INFO)
                .session(&key, &token)
                .header("x-csrftoken", &csrf::new_secret());
            case(
                "X-CSRFTOKEN: <wrong>",
                "info",
                r.clone(),
                403,
                detail("CSRF Failed: CSRF token from the 'X-Csrftoken' HTTP header incorrect."),
            )
            .event(with_header_names(&r, &[("x-csrftoken", "X-CSRFTOKEN")]))
        },
        {
            let r = Req::get(INFO).cookie_header(&format!("sessionid={key}"));
            case("COOKIE: sessionid=<valid>", "info", r.clone(), 200, alice)
                .event(with_header_names(&r, &[("cookie", "COOKIE")]))
        },
        {
            let r = Req::post(LOGOUT)
                .session_with_csrf(&key, &token)
                .header("origin", "http://evil.example");
            case(
                "ORIGIN: http://evil.example",
                "logout",
                r.clone(),
                403,
                detail("CSRF Failed: Origin checking failed - http://evil.example does not match any trusted origins."),
            )
            .event(with_header_names(&r, &[("origin", "ORIGIN")]))
        },
        {
            let r = Req::post(VERIFY).raw_body("text/plain", b"token=x");
            case(
                "CONTENT-TYPE: text/plain",
                "token-verify",
                r.clone(),
                415,
                detail("Unsupported media type \"text/plain\" in request."),
            )
            .event(with_header_names(&r, &[("content-type", "CONTENT-TYPE")]))
        },
    ];
    run_reporting("header_names_are_case_insensitive", &t, cases).await;
}
