//! The `token-obtain-pair` Lambda: its endpoint on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&token_obtain_pair::VIEW, token_obtain_pair::handler)
}
