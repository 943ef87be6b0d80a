//! An absolute URL's origin, as settings name pages (`ISSUER`, the
//! account emails' pages).

/// `scheme://host[:port]` of an absolute URL (its host alone if it names
/// no scheme): everything before its path, query or fragment.
pub fn origin_of(url: &str) -> &str {
    let host_start = url.find("://").map_or(0, |i| i + 3);
    let host_len = url[host_start..]
        .find(['/', '?', '#'])
        .unwrap_or(url.len() - host_start);
    &url[..host_start + host_len]
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn the_origin_ends_before_the_path_query_or_fragment() {
        assert_eq!(
            origin_of("https://auth.example.test/api/v1/users"),
            "https://auth.example.test"
        );
        assert_eq!(
            origin_of("http://localhost:3000/?k={key}"),
            "http://localhost:3000"
        );
        assert_eq!(origin_of("http://127.0.0.1:9300"), "http://127.0.0.1:9300");
        assert_eq!(origin_of("https://a.example?x#y"), "https://a.example");
        assert_eq!(origin_of("app.example/r"), "app.example");
    }
}
