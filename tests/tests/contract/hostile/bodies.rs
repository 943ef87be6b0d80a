//! Bodies: duplicate keys, repeated form fields, bad encodings, NUL, very
//! long values, odd shapes, odd content types; each body-level refusal also
//! on every endpoint that reads a body.

use super::crafted::*;
use super::runner::*;
use crate::helpers::*;

#[tokio::test]
async fn hostile_bodies() {
    let t = unthrottled_app().await;
    let (refresh, access) = pair_of_alice(&t).await;
    let json_body = |path: &str, body: &[u8]| Req::post(path).raw_body("application/json", body);
    let form_body = |path: &str, body: &[u8]| {
        Req::post(path).raw_body("application/x-www-form-urlencoded", body)
    };
    let malformed = detail("Malformed request.");
    let invalid_token = coded("Token is invalid or expired", "token_not_valid");
    let long = "u".repeat(60_000);
    let long_jti = {
        let mut c = claims(&refresh);
        c["jti"] = json!("j".repeat(10_000));
        sign(c)
    };
    // A serializer field's refusal of a NUL character.
    let nul_refused = |name: &str, function, req, field: &str| {
        let body = json!({ field: ["Null characters are not allowed."] });
        case(name, function, req, 400, body.to_string())
    };
    let mut cases = vec![
        // duplicate keys: the last wins, as Python's json
        case(
            "duplicate password, the wrong one last",
            "login",
            json_body(
                LOGIN,
                format!(
                    r#"{{"username":"alice","password":"{ALICE_PASSWORD}","password":"wrong"}}"#
                )
                .as_bytes(),
            ),
            403,
            "",
        ),
        case(
            "duplicate password, the right one last",
            "token-obtain-pair",
            json_body(
                OBTAIN,
                format!(
                    r#"{{"username":"alice","password":"wrong","password":"{ALICE_PASSWORD}"}}"#
                )
                .as_bytes(),
            ),
            200,
            "",
        )
        .keys(&["refresh", "access"]),
        case(
            "duplicate token, garbage last",
            "token-verify",
            json_body(
                VERIFY,
                format!(r#"{{"token":"{access}","token":"garbage"}}"#).as_bytes(),
            ),
            401,
            &invalid_token,
        ),
        case(
            "duplicate token, the valid one last",
            "token-verify",
            json_body(
                VERIFY,
                format!(r#"{{"token":"garbage","token":"{access}"}}"#).as_bytes(),
            ),
            200,
            "{}",
        ),
        // repeated form fields: the last wins, as Django's QueryDict
        case(
            "form: password repeated, wrong last",
            "login",
            Req::post(LOGIN).form(&[
                ("username", "alice"),
                ("password", ALICE_PASSWORD),
                ("password", "wrong"),
            ]),
            403,
            "",
        ),
        case(
            "form: username repeated, blank last",
            "login",
            Req::post(LOGIN).form(&[
                ("username", "alice"),
                ("password", ALICE_PASSWORD),
                ("username", ""),
            ]),
            400,
            &malformed,
        ),
        case(
            "form: token repeated, garbage last",
            "token-verify",
            Req::post(VERIFY).form(&[("token", &access), ("token", "garbage")]),
            401,
            &invalid_token,
        ),
        case(
            "form: refresh repeated, the access token last",
            "token-refresh",
            Req::post(REFRESH).form(&[("refresh", &refresh), ("refresh", &access)]),
            401,
            coded("Token has wrong type", "token_not_valid"),
        ),
        // deep nesting
        case(
            "10,000 [ on login",
            "login",
            json_body(LOGIN, "[".repeat(10_000).as_bytes()),
            400,
            detail("JSON parse error - recursion limit exceeded at line 1 column 128"),
        ),
        case(
            "10,000 nested arrays in a field",
            "token-verify",
            json_body(
                VERIFY,
                format!(r#"{{"token":{}}}"#, nested(10_000)).as_bytes(),
            ),
            400,
            detail("JSON parse error - recursion limit exceeded at line 1 column 136"),
        ),
        case(
            "10,000 nested objects",
            "token-obtain-pair",
            json_body(OBTAIN, r#"{"a":"#.repeat(10_000).as_bytes()),
            400,
            detail("JSON parse error - recursion limit exceeded at line 1 column 636"),
        ),
        case(
            "100 nested arrays in a field (within the limit)",
            "token-verify",
            json_body(VERIFY, format!(r#"{{"token":{}}}"#, nested(100)).as_bytes()),
            400,
            r#"{"token":["Not a valid string."]}"#,
        ),
        // not UTF-8
        case(
            "invalid UTF-8 body",
            "login",
            json_body(LOGIN, b"\xff\xfe\xfd"),
            400,
            detail("JSON parse error - expected value at line 1 column 1"),
        ),
        case(
            "invalid UTF-8 inside a string",
            "token-obtain-pair",
            json_body(OBTAIN, b"{\"username\":\"al\xffice\",\"password\":\"x\"}"),
            400,
            detail("JSON parse error - invalid unicode code point at line 1 column 16"),
        ),
        case(
            "overlong UTF-8 for '/'",
            "token-verify",
            json_body(VERIFY, b"{\"token\":\"\xc0\xaf\"}"),
            400,
            detail("JSON parse error - invalid unicode code point at line 1 column 11"),
        ),
        // contract silent: Python's json reads a lone surrogate and DRF's
        // CharField refuses it (400 {"token":["Surrogate characters are not
        // allowed: U+D800."]}); serde_json cannot read it: a 400 either way
        case(
            "a lone surrogate escape",
            "token-verify",
            json_body(VERIFY, br#"{"token":"\ud800"}"#),
            400,
            detail("JSON parse error - unexpected end of hex escape at line 1 column 17"),
        ),
        case(
            "a UTF-8 byte order mark",
            "token-verify",
            json_body(VERIFY, b"\xef\xbb\xbf{\"token\":\"x\"}"),
            400,
            detail("JSON parse error - expected value at line 1 column 1"),
        ),
        // Django's QueryDict decodes forms with errors="replace"
        case(
            "form: raw invalid UTF-8 in a value",
            "token-verify",
            form_body(VERIFY, b"token=\xff\xfe"),
            401,
            &invalid_token,
        ),
        case(
            "form: percent-encoded invalid UTF-8 username",
            "login",
            form_body(LOGIN, b"username=%ff%fe&password=x"),
            403,
            "",
        ),
        // NUL
        case(
            "NUL in the username",
            "login",
            credentials(LOGIN, "alice\u{0}", ALICE_PASSWORD),
            403,
            "",
        ),
        case(
            "NUL after the right password",
            "login",
            credentials(LOGIN, "alice", &format!("{ALICE_PASSWORD}\u{0}")),
            403,
            "",
        ),
        nul_refused(
            "NUL in the username (serializer)",
            "token-obtain-pair",
            credentials(OBTAIN, "al\u{0}ice", "x"),
            "username",
        ),
        nul_refused(
            "NUL in the password (serializer)",
            "token-obtain-pair",
            credentials(OBTAIN, "alice", "x\u{0}"),
            "password",
        ),
        nul_refused(
            "NUL in a token",
            "token-verify",
            verify_req(&format!("{access}\u{0}")),
            "token",
        ),
        nul_refused(
            "form: NUL in a refresh token",
            "token-refresh",
            Req::post(REFRESH).form(&[("refresh", &format!("{refresh}\u{0}"))]),
            "refresh",
        ),
        // very long values, within and over the 64 KiB limit
        case(
            "60 KB username",
            "login",
            credentials(LOGIN, &long, "x"),
            403,
            "",
        ),
        case(
            "60 KB password",
            "login",
            credentials(LOGIN, "alice", &long),
            403,
            "",
        ),
        case(
            "60 KB username (serializer)",
            "token-obtain-pair",
            credentials(OBTAIN, &long, "x"),
            401,
            detail("No active account found with the given credentials"),
        ),
        case(
            "60 KB password on login/jwt",
            "jwt-login",
            credentials(JWT_LOGIN, "alice", &long),
            403,
            "",
        ),
        case(
            "form: 60 KB username and a 4 KB password",
            "login",
            Req::post(LOGIN).form(&[("username", &long), ("password", &"p".repeat(4000))]),
            403,
            "",
        ),
        case(
            "a 66 KB password",
            "login",
            credentials(LOGIN, "alice", &"p".repeat(66_000)),
            413,
            detail("Request body too large."),
        ),
        case(
            "a 66 KB token",
            "token-verify",
            verify_req(&huge_token(66_000)),
            413,
            detail("Request body too large."),
        ),
        case(
            "a 60 KB token",
            "token-verify",
            verify_req(&huge_token(60_000)),
            401,
            &invalid_token,
        ),
        case(
            "a 60 KB refresh token",
            "token-refresh",
            refresh_req(&huge_token(60_000)),
            401,
            &invalid_token,
        ),
        case(
            "a 60 KB token to blacklist",
            "token-blacklist",
            blacklist_req(&huge_token(60_000)),
            401,
            &invalid_token,
        ),
        // shapes
        case(
            "operator objects instead of strings",
            "login",
            Req::post(LOGIN).json(&json!({"username":{"$ne":null},"password":{"$ne":null}})),
            400,
            &malformed,
        ),
        case(
            "operator objects instead of strings (serializer)",
            "token-obtain-pair",
            Req::post(OBTAIN).json(&json!({"username":{"$ne":null},"password":{"$gt":""}})),
            400,
            r#"{"username":["Not a valid string."],"password":["Not a valid string."]}"#,
        ),
        case(
            "a list username",
            "jwt-login",
            Req::post(JWT_LOGIN).json(&json!({"username":["alice"],"password":ALICE_PASSWORD})),
            400,
            &malformed,
        ),
        // usernames are matched exactly, as Django's ModelBackend
        case(
            "fullwidth look-alike of alice",
            "token-obtain-pair",
            credentials(
                OBTAIN,
                "\u{ff41}\u{ff4c}\u{ff49}\u{ff43}\u{ff45}",
                ALICE_PASSWORD,
            ),
            401,
            detail("No active account found with the given credentials"),
        ),
        case(
            "Cyrillic a in alice",
            "token-obtain-pair",
            credentials(OBTAIN, "\u{430}lice", ALICE_PASSWORD),
            401,
            detail("No active account found with the given credentials"),
        ),
        case(
            "Alice",
            "jwt-login",
            credentials(JWT_LOGIN, "Alice", ALICE_PASSWORD),
            403,
            "",
        ),
        // contract silent: Django refuses over 1,000 fields with an HTML
        // 400 (TooManyFieldsSent); we read them all and answer per field
        case(
            "form: 2,000 fields",
            "token-verify",
            form_body(VERIFY, vec!["a=1"; 2000].join("&").as_bytes()),
            400,
            r#"{"token":["This field is required."]}"#,
        ),
        // an unknown charset is ignored (Django too): UTF-8 then
        case(
            "charset=nonesuch",
            "token-verify",
            Req::post(VERIFY).raw_body("application/json; charset=nonesuch", br#"{"token":"x"}"#),
            401,
            &invalid_token,
        ),
        // Django upper-cases the method, so "post" is POST (here: a wrong
        // password, 403 with an empty body).
        case(
            "method \"post\" in lower case",
            "login",
            Req::new("post", LOGIN).json(&json!({"username":"alice","password":"x"})),
            403,
            "",
        ),
        case(
            "SQL in the username",
            "login",
            credentials(LOGIN, "alice' OR '1'='1", "x' OR '1'='1"),
            403,
            "",
        ),
        case(
            "a JSON string body",
            "token-verify",
            json_body(VERIFY, br#""token""#),
            400,
            r#"{"non_field_errors":["Invalid data. Expected a dictionary, but got str."]}"#,
        ),
        case(
            "JSON null",
            "login",
            json_body(LOGIN, b"null"),
            400,
            &malformed,
        ),
        // contract silent: serde_json refuses what Python reads as inf (the
        // reference then answers 401 for the token "inf")
        case(
            "a number out of range",
            "token-verify",
            json_body(VERIFY, br#"{"token":1e999}"#),
            400,
            detail("JSON parse error - number out of range at line 1 column 14"),
        ),
        case(
            "a JSON body sent as a form",
            "token-verify",
            form_body(VERIFY, format!(r#"{{"token":"{access}"}}"#).as_bytes()),
            400,
            r#"{"token":["This field is required."]}"#,
        ),
        case(
            "content type application/jsonx",
            "token-verify",
            Req::post(VERIFY).raw_body("application/jsonx", b"{}"),
            415,
            detail("Unsupported media type \"application/jsonx\" in request."),
        ),
        // contract silent: two Content-Type headers arrive joined, a type
        // no parser takes
        case(
            "two Content-Type headers",
            "token-verify",
            json_body(VERIFY, b"{}").header("content-type", "application/jsonx"),
            415,
            detail("Unsupported media type \"application/json,application/jsonx\" in request."),
        ),
        // tokens of the wrong kind
        case(
            "an access token to refresh",
            "token-refresh",
            refresh_req(&access),
            401,
            coded("Token has wrong type", "token_not_valid"),
        ),
        case(
            "an access token to blacklist",
            "token-blacklist",
            blacklist_req(&access),
            401,
            coded("Token has wrong type", "token_not_valid"),
        ),
        case(
            "a tampered refresh token to blacklist",
            "token-blacklist",
            blacklist_req(&with_part(
                &refresh,
                1,
                &b64(br#"{"token_type":"refresh","exp":9999999999,"jti":"x","user_id":"1"}"#),
            )),
            401,
            &invalid_token,
        ),
        case(
            "an alg-none refresh token",
            "token-refresh",
            refresh_req(&unsigned(r#"{"alg":"none"}"#, &claims(&refresh), "")),
            401,
            &invalid_token,
        ),
        case(
            "a refresh token with a 10 KB jti, truncated",
            "token-blacklist",
            blacklist_req(&long_jti[..long_jti.len() - 1]),
            401,
            &invalid_token,
        ),
    ];
    // a refresh token with a bad user_id, verified (verify reads no user then)
    for id in [json!([1]), json!(-1), json!(1.5)] {
        let mut c = refresh_claims(id.clone());
        c["exp"] = json!(1e300);
        cases.push(case(
            format!("refresh with user_id {id} and exp 1e300 to refresh"),
            "token-refresh",
            refresh_req(&sign(c)),
            401,
            coded(
                "No active account found for the given token.",
                "no_active_account",
            ),
        ));
    }
    run_reporting("hostile_bodies", &t, cases).await;
}

/// DRF's JSONParser decodes the body with the request's `charset` (Django's
/// `request.encoding`): the reference reads UTF-16 and Latin-1 JSON.
#[tokio::test]
async fn json_bodies_are_read_in_their_declared_charset() {
    let t = unthrottled_app().await;
    let utf16: Vec<u8> = std::iter::once(0xfeff_u16)
        .chain(r#"{"token":"garbage"}"#.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    let invalid = coded("Token is invalid or expired", "token_not_valid");
    let cases = vec![
        case(
            "UTF-16 JSON",
            "token-verify",
            Req::post(VERIFY).raw_body("application/json; charset=utf-16", &utf16),
            401,
            &invalid,
        ),
        case(
            "Latin-1 JSON",
            "token-verify",
            Req::post(VERIFY).raw_body(
                "application/json; charset=iso-8859-1",
                b"{\"token\":\"caf\xe9\"}",
            ),
            401,
            &invalid,
        ),
    ];
    run_reporting("json_bodies_are_read_in_their_declared_charset", &t, cases).await;
}
