//! Base64 as Go's `encoding/base64` writes it (standard alphabet, padded)
//! and as the daemon must read `X-Registry-Auth`: either alphabet, padded
//! or not (moby decodes URL encoding and the CLI pads).

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `base64.StdEncoding.EncodeToString`.
pub fn encode_standard(data: &[u8]) -> String {
    encode(data, |c| c)
}

/// `base64.URLEncoding.EncodeToString` (padded), as the CLI writes
/// `X-Registry-Auth`.
pub fn encode_url(data: &[u8]) -> String {
    encode(data, |c| match c {
        '+' => '-',
        '/' => '_',
        c => c,
    })
}

fn encode(data: &[u8], alphabet: impl Fn(char) -> char) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(alphabet(
                    STANDARD[(n >> (18 - 6 * i)) as usize & 63] as char,
                ));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some(u32::from(c - b'A')),
        b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
        b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Decodes standard or URL base64, with or without padding; None when
/// `text` is not base64.
pub fn decode_any(text: &str) -> Option<Vec<u8>> {
    let trimmed = text.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(trimmed.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in trimmed.bytes() {
        acc = (acc << 6) | value(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    // A lone sixth of a byte left over is not base64.
    (bits < 6).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_as_go_writes_and_reads_both_alphabets() {
        assert_eq!(encode_standard(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(encode_standard(b"ab?"), "YWI/");
        assert_eq!(encode_standard(b"a"), "YQ==");
        assert_eq!(encode_url(b"{}"), "e30=");
        assert_eq!(encode_url(b"\xfb\xff"), "-_8=");
        assert_eq!(encode_standard(b"\xfb\xff"), "+/8=");
        assert_eq!(decode_any("-_8=").unwrap(), b"\xfb\xff");
        assert_eq!(decode_any("YWI_").unwrap(), b"ab?");
        assert_eq!(decode_any("YWI/").unwrap(), b"ab?");
        assert_eq!(decode_any("YQ==").unwrap(), b"a");
        assert_eq!(decode_any("YQ").unwrap(), b"a");
        assert_eq!(decode_any("e30=").unwrap(), b"{}");
        assert!(decode_any("Y").is_none());
        assert!(decode_any("a b!").is_none());
    }
}
