//! go-units' ulimits: `name=soft[:hard]` as `docker run --ulimit` and
//! `dockerd --default-ulimit` take them, with go-units' names and texts.

use super::strconv::parse_int;

/// The names go-units knows (its `ulimitNameMapping`), sorted.
const NAMES: &[&str] = &[
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ulimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

/// go-units `ParseUlimit`: the hard limit defaults to the soft one, and
/// a hard limit of -1 (unlimited) allows any soft limit.
pub fn parse(text: &str) -> Result<Ulimit, String> {
    let Some((name, limits)) = text.split_once('=') else {
        return Err(format!("invalid ulimit argument: {text}"));
    };
    // The name first: a bad name is reported as such, whatever follows.
    if !NAMES.contains(&name) {
        return Err(format!("invalid ulimit type: {name}"));
    }
    let (soft, hard) = match limits.split(':').collect::<Vec<_>>().as_slice() {
        [soft] => {
            let soft = parse_int(soft, 64)?;
            (soft, soft)
        }
        [soft, hard] => {
            let hard = parse_int(hard, 64)?;
            (parse_int(soft, 64)?, hard)
        }
        _ => {
            return Err(format!(
                "too many limit value arguments - {limits}, can only have up to two, `soft[:hard]`"
            ));
        }
    };
    check(name, soft, hard)
}

/// A ulimit from its parts (a HostConfig's, daemon.json's): a known name,
/// and soft at most hard unless hard is -1.
pub fn check(name: &str, soft: i64, hard: i64) -> Result<Ulimit, String> {
    if !NAMES.contains(&name) {
        return Err(format!("invalid ulimit type: {name}"));
    }
    if hard != -1 && soft > hard {
        return Err(format!(
            "ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
        ));
    }
    Ok(Ulimit {
        name: name.to_string(),
        soft,
        hard,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_go_units() {
        let ok = |name: &str, soft, hard| {
            Ok(Ulimit {
                name: name.to_string(),
                soft,
                hard,
            })
        };
        let cases: &[(&str, Result<Ulimit, String>)] = &[
            ("nofile=1024", ok("nofile", 1024, 1024)),
            ("nofile=512:1024", ok("nofile", 512, 1024)),
            ("core=-1:-1", ok("core", -1, -1)),
            ("core=100:-1", ok("core", 100, -1)),
            ("nofile", Err("invalid ulimit argument: nofile".into())),
            ("bogus=1", Err("invalid ulimit type: bogus".into())),
            ("nofile=1=2:3", Err("strconv.ParseInt: parsing \"1=2\": invalid syntax".into())),
            ("nofile=x", Err("strconv.ParseInt: parsing \"x\": invalid syntax".into())),
            (
                "nofile=1:2:3",
                Err("too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`".into()),
            ),
            (
                "nofile=2048:1024",
                Err("ulimit soft limit must be less than or equal to hard limit: 2048 > 1024".into()),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(&parse(text), want, "{text}");
        }
    }

    #[test]
    fn checks_parts_like_parse() {
        assert_eq!(check("nproc", 1, 2).map(|u| u.hard), Ok(2));
        assert_eq!(
            check("nofile=1", 1, 2),
            Err("invalid ulimit type: nofile=1".into())
        );
        assert!(check("nofile", 3, 2).is_err());
        assert!(check("nofile", 3, -1).is_ok());
    }
}
