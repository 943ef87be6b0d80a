//! The client address as limits count it: API Gateway's `sourceIp`, an
//! IPv6 address by its /64 (what one subscriber is usually given).

use std::net::Ipv6Addr;

/// The address as the throttle counts it: an IPv6 address as its /64
/// (`2001:db8:1:2::/64`), anything else as sent.
pub fn address_bucket(address: &str) -> String {
    match address.parse::<Ipv6Addr>() {
        Ok(ip) if ip.to_ipv4_mapped().is_none() => {
            let s = ip.segments();
            let prefix = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{prefix}/64")
        }
        Ok(ip) => ip
            .to_ipv4_mapped()
            .map_or(address.to_owned(), |v4| v4.to_string()),
        Err(_) => address.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_per_64() {
        assert_eq!(address_bucket("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
        assert_eq!(address_bucket("2001:db8:1:2::ffff"), "2001:db8:1:2::/64");
        assert_ne!(address_bucket("2001:db8:1:3::1"), "2001:db8:1:2::/64");
        assert_eq!(address_bucket("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(address_bucket("192.0.2.7"), "192.0.2.7");
        assert_eq!(address_bucket("unknown"), "unknown");
    }
}
