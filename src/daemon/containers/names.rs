//! Container names and IDs: the name rule moby enforces, generated
//! `adjective_surname` names from dockbox's own word lists, and 64-hex IDs
//! from the kernel's random source.

use crate::api::ApiError;

const ADJECTIVES: &[&str] = &[
    "amber", "brave", "brisk", "calm", "candid", "cheerful", "clever", "cosmic", "crisp",
    "curious", "daring", "deft", "eager", "earnest", "fabled", "fearless", "fluent", "frank",
    "gentle", "gifted", "glad", "golden", "hardy", "humble", "jolly", "keen", "kind", "lively",
    "lucid", "merry", "mellow", "mindful", "nimble", "noble", "patient", "placid", "plucky",
    "polite", "proud", "quiet", "rapid", "ready", "serene", "sharp", "shiny", "silent", "steady",
    "sturdy", "subtle", "sunny", "swift", "tender", "tidy", "upbeat", "vivid", "warm", "wise",
    "witty", "zealous", "zesty",
];

/// Surnames of people who shaped computing and science.
const SURNAMES: &[&str] = &[
    "agnesi",
    "babbage",
    "backus",
    "bartik",
    "bell",
    "boole",
    "cerf",
    "chandra",
    "conway",
    "curie",
    "dijkstra",
    "easley",
    "engelbart",
    "euler",
    "faraday",
    "fermi",
    "feynman",
    "franklin",
    "gauss",
    "goldberg",
    "hamilton",
    "hertz",
    "hodgkin",
    "hopper",
    "jackson",
    "johnson",
    "kahan",
    "karp",
    "knuth",
    "kowalevski",
    "lamarr",
    "lamport",
    "liskov",
    "lovelace",
    "maxwell",
    "mcclintock",
    "meitner",
    "minsky",
    "noether",
    "noyce",
    "pascal",
    "perlman",
    "planck",
    "raman",
    "ritchie",
    "sammet",
    "shannon",
    "shockley",
    "sinoussi",
    "somerville",
    "tesla",
    "thompson",
    "torvalds",
    "turing",
    "volta",
    "wilkes",
    "wing",
    "wozniak",
    "yalow",
    "zuse",
];

/// moby's `validContainerNamePattern`: `^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$`.
pub fn is_valid_name(name: &str) -> bool {
    let name = name.strip_prefix('/').unwrap_or(name);
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() >= 2
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// Checks a requested name and strips its `/`; moby's 400 otherwise.
pub fn check_name(name: &str) -> Result<String, ApiError> {
    if !is_valid_name(name) {
        return Err(ApiError::invalid(format!(
            "Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        )));
    }
    Ok(name.strip_prefix('/').unwrap_or(name).to_string())
}

/// `bytes` random bytes from getrandom(2).
pub fn random_bytes(bytes: &mut [u8]) -> std::io::Result<()> {
    let mut filled = 0;
    while filled < bytes.len() {
        // SAFETY: getrandom writes at most the given length into our buffer.
        let n = unsafe {
            libc::getrandom(bytes[filled..].as_mut_ptr().cast(), bytes.len() - filled, 0)
        };
        if n < 0 {
            let error = std::io::Error::last_os_error();
            if error.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(error);
        }
        filled += n as usize;
    }
    Ok(())
}

/// A container ID: 64 hex digits, never all digits (moby avoids IDs that
/// read as numbers, which a short-ID prefix would confuse with integers).
pub fn new_id() -> std::io::Result<String> {
    loop {
        let mut bytes = [0u8; 32];
        random_bytes(&mut bytes)?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        if !id[..12].bytes().all(|b| b.is_ascii_digit()) {
            return Ok(id);
        }
    }
}

/// A generated name; `attempt` > 0 adds a digit, as moby does after a
/// collision.
pub fn random_name(attempt: u32) -> std::io::Result<String> {
    let mut bytes = [0u8; 4];
    random_bytes(&mut bytes)?;
    let adjective = ADJECTIVES[usize::from(bytes[0]) % ADJECTIVES.len()];
    let surname = SURNAMES[usize::from(u16::from_le_bytes([bytes[1], bytes[2]])) % SURNAMES.len()];
    let mut name = format!("{adjective}_{surname}");
    if attempt > 0 {
        name.push_str(&(bytes[3] % 10).to_string());
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rule() {
        for good in ["ab", "/web", "a_b.c-d", "0x"] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in ["a", "/", "", "_ab", "-x", "a b", "a/b", "ü1", "//ab"] {
            assert!(!is_valid_name(bad), "{bad}");
        }
        assert_eq!(check_name("/web").unwrap(), "web");
        let err = check_name("a b").unwrap_err();
        assert_eq!(err.status(), 400);
        assert_eq!(
            err.message,
            "Invalid container name (a b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
        );
    }

    #[test]
    fn generated_names_and_ids_are_valid() {
        for attempt in 0..20 {
            let name = random_name(attempt).unwrap();
            assert!(is_valid_name(&name), "{name}");
            assert!(name.contains('_'));
        }
        let (a, b) = (new_id().unwrap(), new_id().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
    }
}
