//! The `token-blacklist` Lambda: its endpoint on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&token_blacklist::VIEW, token_blacklist::handler)
}
