//! The `info` Lambda: its endpoint on the shared runtime.
fn main() -> Result<(), auth::lambda_http::Error> {
    auth::runtime::run(&info::VIEW, info::handler)
}
