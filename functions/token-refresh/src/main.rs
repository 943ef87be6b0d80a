//! The `token-refresh` Lambda: its endpoint on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&token_refresh::VIEW, token_refresh::handler)
}
