//! An independent RFC 6238 TOTP (HMAC-SHA-1 from the `hmac` and `sha1`
//! crates, not the service's `totp-rs`) to produce two-factor codes in
//! tests; the contract tests check it against RFC 6238's appendix B.

/// RFC 4226 HOTP: the `digits` last decimal digits of the dynamically
/// truncated HMAC-SHA-1 of the counter.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> String {
    use hmac::{KeyInit, Mac};
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret).unwrap();
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = u32::from_be_bytes(hash[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!(
        "{:0width$}",
        binary % 10u32.pow(digits),
        width = digits as usize
    )
}

/// RFC 6238 TOTP, 30-second steps.
pub fn totp(secret: &[u8], time: i64, digits: u32) -> String {
    hotp(secret, (time / 30) as u64, digits)
}

/// RFC 4648 base32 (no padding) decoding, as authenticator apps do.
pub fn base32(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut out) = (0, 0u32, Vec::new());
    for c in text.bytes() {
        value = (value << 5) | ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits) as u8);
        }
    }
    out
}
