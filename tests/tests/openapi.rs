//! `docs/openapi.yaml` describes the route table: an OpenAPI 3.1 document
//! naming exactly the routes of `ROUTES` (each path with the methods its
//! view serves, plus OPTIONS), and each operation as its view answers:
//! the `Allow` and `Vary` headers of every response, who is authenticated,
//! whether a body is read, the pipeline's own refusals and the OPTIONS
//! metadata. A new endpoint, or a changed view, fails here until the
//! document follows. (Whether the live stack answers as documented is
//! `tests/openapi/fuzz.sh`'s job.)

use std::collections::BTreeSet;

use integration_tests::auth::web::{Auth, Family, Serves};
use integration_tests::{ROUTES, Route, workspace};
use serde_json::{Value, json};

/// The HTTP methods an OpenAPI path item may hold.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The security schemes that authenticate a caller on the tutorial's views.
const CALLER_SCHEMES: [&str; 4] = ["basicAuth", "sessionCookie", "bearerAuth", "jwtAuth"];

fn document() -> Value {
    let path = workspace().join("docs/openapi.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // Into JSON values: every mapping key must be a string (status codes quoted).
    serde_yaml_ng::from_str(&text).expect("docs/openapi.yaml: YAML with string keys only")
}

/// The methods a route's view serves, as OpenAPI names them.
fn methods(serves: Serves) -> &'static [&'static str] {
    match serves {
        Serves::Post => &["post", "options"],
        Serves::Get => &["get", "head", "options"],
        Serves::Resource => &["get", "head", "patch", "delete", "options"],
        Serves::Item => &["patch", "delete", "options"],
        Serves::GetOrPost => &["get", "head", "post", "options"],
        Serves::Delete => &["delete", "options"],
    }
}

/// `value`, or what its local `$ref` names (followed to the end).
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("{reference}: only local references"));
            let target = doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("{reference} names nothing"));
            resolve(doc, target)
        }
        None => value,
    }
}

/// Each route with each of its operations.
fn operations(doc: &Value) -> Vec<(&'static Route, &'static str, &Value)> {
    ROUTES
        .iter()
        .flat_map(|route| {
            methods(route.serves).iter().map(move |&method| {
                let op = &doc["paths"][route.path][method];
                assert!(op.is_object(), "{method} {} is not documented", route.path);
                (route, method, op)
            })
        })
        .collect()
}

#[test]
fn it_is_openapi_3_1() {
    let doc = document();
    let version = doc["openapi"].as_str().expect("an `openapi` field");
    assert!(version.starts_with("3.1."), "openapi: {version}, not 3.1.x");
}

#[test]
fn it_names_exactly_the_routes_of_the_route_table() {
    let doc = document();
    let paths = doc["paths"].as_object().expect("a `paths` mapping");
    let documented: BTreeSet<(String, String)> = paths
        .iter()
        .flat_map(|(path, item)| {
            let item = item.as_object().expect("a path item");
            item.keys()
                .filter(|key| METHODS.contains(&key.as_str()))
                .map(move |method| (path.clone(), method.clone()))
        })
        .collect();
    let routed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .flat_map(|route| {
            methods(route.serves)
                .iter()
                .map(|&method| (route.path.to_owned(), method.to_owned()))
        })
        .collect();
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/openapi.yaml vs the route table:\n  not documented: {missing:?}\n  not routed: {extra:?}"
    );
}

#[test]
fn every_response_carries_the_views_allow_and_vary() {
    let doc = document();
    for (route, method, op) in operations(&doc) {
        let vary: &[&str] = match route.family {
            Family::Tutorial => &["Accept, Cookie", "Accept, Cookie, Origin"],
            Family::SimpleJwt | Family::OAuth | Family::OAuthResource => &[
                "Accept",
                "Accept, Origin",
                "Accept, Cookie",
                "Accept, Cookie, Origin",
            ],
        };
        let responses = op["responses"].as_object().expect("responses");
        for (status, response) in responses {
            let at = format!("{method} {} {status}", route.path);
            let headers = &resolve(&doc, response)["headers"];
            let header = |name: &str| {
                let header = resolve(&doc, &headers[name]);
                assert_eq!(header["required"], true, "{at}: {name} is not required");
                header["schema"].clone()
            };
            assert_eq!(
                header("Allow")["const"],
                route.serves.allow(),
                "{at}: Allow"
            );
            assert_eq!(header("Vary")["enum"], json!(vary), "{at}: Vary");
        }
    }
}

#[test]
fn security_follows_who_the_view_authenticates() {
    let doc = document();
    for (route, method, op) in operations(&doc) {
        let at = format!("{method} {}", route.path);
        let alternatives = op["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{at}: no `security` list"));
        let callers: BTreeSet<&str> = alternatives
            .iter()
            .flat_map(|a| a.as_object().expect("a requirement").keys())
            .map(String::as_str)
            .filter(|scheme| CALLER_SCHEMES.contains(scheme))
            .collect();
        let anonymous = alternatives.iter().any(|a| a == &json!({}));
        let every_caller_scheme = callers.len() == CALLER_SCHEMES.len();
        let (ok, want) = match route.auth {
            Auth::Required => (
                every_caller_scheme && !anonymous,
                "every caller scheme, no anonymous `{}`",
            ),
            Auth::Optional => (
                every_caller_scheme && anonymous,
                "every caller scheme and an anonymous `{}`",
            ),
            Auth::None => (callers.is_empty(), "no caller scheme"),
        };
        assert!(ok, "{at}: security should name {want}");
        if route.authenticates() {
            assert!(
                op["responses"].get("401").is_some(),
                "{at}: a view that authenticates answers 401 to any method"
            );
        }
    }
}

#[test]
fn bodies_and_the_pipelines_refusals_are_documented_where_they_happen() {
    let doc = document();
    for (route, method, op) in operations(&doc) {
        let at = format!("{method} {}", route.path);
        let responses = &op["responses"];
        for status in ["406", "413", "500"] {
            assert!(
                responses.get(status).is_some(),
                "{at}: no {status} (every request is admitted first)"
            );
        }
        if method == "options" {
            continue;
        }
        assert!(responses.get("405").is_some(), "{at}: no 405");
        let reads_body = route.reads_body && matches!(method, "post" | "patch" | "delete");
        assert_eq!(
            responses.get("415").is_some(),
            reads_body,
            "{at}: 415 iff the view reads its body"
        );
        match op.get("requestBody") {
            Some(body) => {
                assert!(reads_body, "{at}: a body the view never reads");
                let content = &resolve(&doc, body)["content"];
                for media_type in ["application/json", "application/x-www-form-urlencoded"] {
                    assert!(
                        content.get(media_type).is_some(),
                        "{at}: no {media_type} body"
                    );
                }
            }
            None => assert!(!reads_body, "{at}: the body it reads is not documented"),
        }
    }
}

#[test]
fn options_documents_each_views_metadata() {
    let doc = document();
    for route in ROUTES.iter() {
        let ok = &doc["paths"][route.path]["options"]["responses"]["200"];
        let documented = &resolve(&doc, ok)["content"]["application/json"]["schema"]["const"];
        let metadata: Value = serde_json::from_str(route.options).expect("the view's metadata");
        assert_eq!(
            documented, &metadata,
            "OPTIONS {}: the documented metadata is not the view's",
            route.path
        );
    }
}
