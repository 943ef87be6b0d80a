//! The `passkeys` Lambda: its endpoints on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&passkeys::VIEW, passkeys::handler)
}
