//! The `oauth-tokens` Lambda: its endpoints on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&oauth_tokens::VIEW, oauth_tokens::handler)
}
