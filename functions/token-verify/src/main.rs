//! The `token-verify` Lambda: its endpoint on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&token_verify::VIEW, token_verify::handler)
}
