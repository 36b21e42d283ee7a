//! The `detachKeys` parameter of attach (and exec start): its syntax, as
//! moby/term's `ToBytes` reads it (`ctrl-p,ctrl-q`, `a,b`, `DEL`), and the
//! matcher that both the client and the daemon run over a TTY's input
//! stream to find the sequence.

/// ctrl-p, ctrl-q: used when no sequence is configured.
pub const DEFAULT_DETACH_KEYS: [u8; 2] = [16, 17];

/// The control characters by name: `ctrl-@` is 0, `ctrl-a` 1 ... `ctrl-_` 31.
const CONTROL_NAMES: &str = "@abcdefghijklmnopqrstuvwxyz[\\]^_";

/// Reads a comma-separated key sequence. Names are case sensitive, as in
/// moby; the error is the one moby reports.
pub fn parse_detach_keys(keys: &str) -> Result<Vec<u8>, String> {
    let mut codes = Vec::new();
    for key in keys.split(',') {
        if key.len() == 1 {
            codes.push(key.as_bytes()[0]);
            continue;
        }
        if key == "DEL" {
            codes.push(127);
            continue;
        }
        let control = key
            .strip_prefix("ctrl-")
            .filter(|rest| rest.len() == 1)
            .and_then(|rest| CONTROL_NAMES.find(rest));
        match control {
            Some(code) => codes.push(code as u8),
            None => return Err(format!("Unknown character: '{key}'")),
        }
    }
    Ok(codes)
}

/// Finds the detach sequence in a stream read in pieces. Bytes that may
/// start the sequence are held back until the next byte shows whether
/// they do; everything else passes through in order.
pub struct EscapeMatcher {
    keys: Vec<u8>,
    matched: usize,
}

impl EscapeMatcher {
    /// An empty sequence never matches.
    pub fn new(keys: Vec<u8>) -> EscapeMatcher {
        EscapeMatcher { keys, matched: 0 }
    }

    /// Appends to `out` the bytes of `input` that are not (yet) part of
    /// the sequence. Returns true when the sequence is complete: `out`
    /// then ends with the bytes before it, and the rest of `input` is
    /// dropped.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> bool {
        if self.keys.is_empty() {
            out.extend_from_slice(input);
            return false;
        }
        for &byte in input {
            if byte == self.keys[self.matched] {
                self.matched += 1;
                if self.matched == self.keys.len() {
                    return true;
                }
                continue;
            }
            // A broken sequence is released as typed; the byte that broke
            // it is not taken as a new start, as moby/term does.
            out.extend_from_slice(&self.keys[..self.matched]);
            self.matched = 0;
            out.push(byte);
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names() {
        assert_eq!(parse_detach_keys("ctrl-p,ctrl-q"), Ok(vec![16, 17]));
        assert_eq!(
            parse_detach_keys("ctrl-@,ctrl-_,DEL,a"),
            Ok(vec![0, 31, 127, b'a'])
        );
        assert_eq!(parse_detach_keys("ctrl-x,x"), Ok(vec![24, b'x']));
        assert_eq!(
            parse_detach_keys("ctrl-P"),
            Err("Unknown character: 'ctrl-P'".into())
        );
        assert_eq!(
            parse_detach_keys("a,bb"),
            Err("Unknown character: 'bb'".into())
        );
        assert_eq!(parse_detach_keys(""), Err("Unknown character: ''".into()));
    }

    #[test]
    fn matcher_holds_back_a_prefix_and_releases_it() {
        let mut matcher = EscapeMatcher::new(vec![16, 17]);
        let mut out = Vec::new();
        assert!(!matcher.feed(b"ab\x10", &mut out));
        assert_eq!(out, b"ab");
        assert!(!matcher.feed(b"c", &mut out));
        assert_eq!(out, b"ab\x10c");
        out.clear();
        assert!(!matcher.feed(b"x\x10", &mut out));
        assert!(matcher.feed(b"\x11tail", &mut out));
        assert_eq!(out, b"x");
    }

    #[test]
    fn empty_sequence_passes_everything() {
        let mut matcher = EscapeMatcher::new(Vec::new());
        let mut out = Vec::new();
        assert!(!matcher.feed(b"\x10\x11", &mut out));
        assert_eq!(out, b"\x10\x11");
    }
}
