//! The `oauth-userinfo` Lambda: its endpoint on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&oauth_userinfo::VIEW, oauth_userinfo::handler)
}
