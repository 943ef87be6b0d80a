//! Every place that names the functions agrees with the route table
//! (`tests/src/routes.rs`): the SAM template's functions and routes, the
//! `cargo lambda watch` router in Cargo.toml, and the Lambda crates under
//! `functions/`. Plus the template's own rules: arm64 al2023 cargo-lambda
//! builds and least-privilege IAM.

use std::collections::{BTreeMap, BTreeSet};

use integration_tests::{ROUTES, workspace};
use serde_yaml_ng::Value;

/// Crates under functions/ that are not Lambdas.
const NOT_LAMBDAS: &[&str] = &["authctl"];

fn template() -> Value {
    let text = std::fs::read_to_string(workspace().join("template.yaml")).expect("template.yaml");
    serde_yaml_ng::from_str(&text).expect("template.yaml is YAML")
}

fn functions(template: &Value) -> Vec<(String, Value)> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Serverless::Function")
        .map(|(k, r)| (k.as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

/// path -> function crate, from the template's HttpApi events.
fn template_routes() -> BTreeMap<String, String> {
    let t = template();
    let mut routes = BTreeMap::new();
    for (name, f) in functions(&t) {
        let binary = f["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: Metadata.BuildProperties.Binary"))
            .to_owned();
        let events = f["Properties"]["Events"].as_mapping().expect("Events");
        for (_, event) in events {
            assert_eq!(event["Type"], Value::from("HttpApi"), "{name}");
            let path = event["Properties"]["Path"].as_str().unwrap().to_owned();
            assert_eq!(
                event["Properties"]["Method"],
                Value::from("ANY"),
                "{name}: the function answers 405 itself"
            );
            assert!(
                routes.insert(path, binary.clone()).is_none(),
                "{name}: duplicate route"
            );
        }
    }
    routes
}

fn watch_routes() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&text).unwrap();
    manifest["workspace"]["metadata"]["lambda"]["watch"]["router"]
        .as_table()
        .expect("[workspace.metadata.lambda.watch.router]")
        .iter()
        .map(|(path, f)| {
            (
                path.clone(),
                f.as_str()
                    .expect("one function for every method")
                    .to_owned(),
            )
        })
        .collect()
}

fn lambda_crates() -> BTreeSet<String> {
    std::fs::read_dir(workspace().join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !NOT_LAMBDAS.contains(&name.as_str()))
        .collect()
}

#[test]
fn template_router_and_crates_name_the_route_tables_functions_and_paths() {
    let table: BTreeMap<String, String> = ROUTES
        .iter()
        .map(|r| (r.path.to_owned(), r.function.to_owned()))
        .collect();
    let template = template_routes();
    assert_eq!(template, table, "template.yaml routes vs the route table");
    let watch = watch_routes();
    assert_eq!(
        template, watch,
        "template.yaml routes vs the cargo lambda watch router"
    );
    let routed: BTreeSet<String> = template.values().cloned().collect();
    assert_eq!(
        routed,
        lambda_crates(),
        "routed functions vs crates under functions/"
    );
    for path in template.keys() {
        assert!(path.starts_with("/api/v1/users/"), "{path}");
    }
}

#[test]
fn every_function_is_an_arm64_al2023_cargo_lambda_build_of_its_crate() {
    let t = template();
    let globals = &t["Globals"]["Function"];
    assert_eq!(globals["Runtime"], Value::from("provided.al2023"));
    assert_eq!(globals["Handler"], Value::from("bootstrap"));
    assert_eq!(
        globals["Architectures"],
        serde_yaml_ng::from_str::<Value>("[arm64]").unwrap()
    );
    assert_eq!(globals["MemorySize"], Value::from(256));
    assert_eq!(globals["LoggingConfig"]["LogFormat"], Value::from("JSON"));
    assert!(globals["Timeout"].as_u64().unwrap() <= 15);
    let env = globals["Environment"]["Variables"].as_mapping().unwrap();
    assert!(
        !env.contains_key("SIGNING_KEY"),
        "the key never sits in the environment"
    );
    for (name, f) in functions(&t) {
        assert_eq!(
            f["Metadata"]["BuildMethod"],
            Value::from("rust-cargolambda"),
            "{name}"
        );
        let binary = f["Metadata"]["BuildProperties"]["Binary"].as_str().unwrap();
        assert_eq!(
            f["Properties"]["CodeUri"],
            Value::from(format!("functions/{binary}")),
            "{name}"
        );
    }
}

/// The functions that hash passwords (Argon2 is CPU-bound, and Lambda's CPU
/// share grows with memory) get `PasswordFunctionsMemory` and the reserved
/// concurrency; info and well-known 512 MB, every other function the
/// global size (tests/BENCHMARKS.md §8 says why).
#[test]
fn password_functions_are_sized_together() {
    let t = template();
    let password_functions = BTreeSet::from([
        "JwtLoginFunction",
        "LoginFunction",
        "MfaFunction",
        "PasswordChangeFunction",
        "TokenObtainPairFunction",
    ]);
    let param = &t["Parameters"]["PasswordFunctionsMemory"];
    assert_eq!(param["Type"], Value::from("Number"));
    assert!(param["Default"].as_u64().unwrap() >= 512, "{param:?}");
    for (name, f) in functions(&t) {
        let yaml = |key: &str| serde_yaml_ng::to_string(&f["Properties"][key]).unwrap();
        if password_functions.contains(name.as_str()) {
            assert_eq!(
                yaml("MemorySize").trim(),
                "!Ref PasswordFunctionsMemory",
                "{name}"
            );
            assert!(
                yaml("ReservedConcurrentExecutions").contains("PasswordFunctionsConcurrency"),
                "{name}"
            );
        } else if ["InfoFunction", "WellKnownFunction"].contains(&name.as_str()) {
            assert_eq!(f["Properties"]["MemorySize"], Value::from(512), "{name}");
        } else {
            assert!(
                f["Properties"]["MemorySize"].is_null(),
                "{name}: the global size"
            );
            assert!(
                f["Properties"]["ReservedConcurrentExecutions"].is_null(),
                "{name}"
            );
        }
    }
}

#[test]
fn iam_is_least_privilege() {
    let t = template();
    let allowed = [
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "dynamodb:UpdateItem",
        "ssm:GetParameter",
    ];
    for (name, f) in functions(&t) {
        let policies = f["Properties"]["Policies"].as_sequence().expect("Policies");
        for policy in policies {
            let statements = policy["Statement"].as_sequence().unwrap_or_else(|| {
                panic!("{name}: inline statements only, no managed policy templates")
            });
            for s in statements {
                assert_eq!(s["Effect"], Value::from("Allow"));
                for action in s["Action"].as_sequence().unwrap() {
                    let action = action.as_str().unwrap();
                    assert!(allowed.contains(&action), "{name}: {action}");
                }
                let resource = serde_yaml_ng::to_string(&s["Resource"]).unwrap();
                assert!(
                    !resource.contains('*'),
                    "{name}: wildcard resource {resource}"
                );
            }
        }
    }
}
