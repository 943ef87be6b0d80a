//! IAM and the signing key of the local stack, as deployed (`tests/serve.sh`
//! runs it on a fresh moto server, before anything else):
//!
//!     SIGNING_KEYS=… stack_iam --moto http://127.0.0.1:8000 --out .tools/stack
//!
//! 1. an IAM user per function of `template.yaml`, with its statements as
//!    its policy (`integration_tests::iam`), and `admin` (every action);
//! 2. the signing key (`SIGNING_KEYS`, else `SIGNING_KEY`) as the SSM
//!    SecureString the template names, as the operator puts it before
//!    `sam deploy`;
//! 3. the domain of the sender (`DEFAULT_FROM_EMAIL`, else the template's
//!    default) verified in SES, as the operator does;
//! 4. `<out>/credentials` (a profile per function, named as the function,
//!    and `admin`), `<out>/config` (empty), `<out>/env` (the variables
//!    that make `authctl` and the AWS CLI act as the admin) and
//!    `<out>/key-parameter` (the parameter's name);
//! 5. IAM enforcement on: from then on moto refuses any request its
//!    signer's policy does not allow.

use std::path::PathBuf;

use integration_tests::iam;
use integration_tests::stack::{credentials_env, key_parameter, put_signing_key, verify_sender};

#[tokio::main]
async fn main() {
    let mut moto = None;
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--moto" => moto = args.next(),
            "--out" => out = args.next().map(PathBuf::from),
            other => panic!("unknown argument {other} (stack_iam --moto URL --out DIR)"),
        }
    }
    let (Some(moto), Some(out)) = (moto, out) else {
        panic!("stack_iam --moto URL --out DIR");
    };
    let key = std::env::var("SIGNING_KEYS")
        .or_else(|_| std::env::var("SIGNING_KEY"))
        .expect("SIGNING_KEYS or SIGNING_KEY: the key to put into SSM");

    std::fs::create_dir_all(&out).expect("the --out directory");
    let out = out.canonicalize().expect("the --out directory");
    let ids = iam::provision(&moto);
    put_signing_key(&moto, &key).await;
    std::fs::write(out.join("key-parameter"), key_parameter()).expect("key-parameter");
    // The sender's domain verified in SES, as the operator does before
    // turning on anything that sends email.
    let sender = std::env::var("DEFAULT_FROM_EMAIL")
        .ok()
        .filter(|s| !s.is_empty());
    verify_sender(&moto, sender.as_deref()).await;
    let vars = credentials_env(&out);
    let mut env =
        String::from("# The local stack's admin, for authctl and the AWS CLI: source this file.\n");
    for (name, value) in &vars {
        env.push_str(&format!("export {name}={value}\n"));
    }
    env.push_str("export AWS_PROFILE=admin\nunset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN\n");
    std::fs::write(out.join("env"), env).expect("the env file");
    iam::enforce(&moto);
    println!(
        "stack_iam: IAM enforced on {moto}: {} function users from template.yaml and admin \
         ({}); the signing key in the SSM SecureString {}",
        ids.functions.len(),
        out.join("credentials").display(),
        key_parameter()
    );
}
