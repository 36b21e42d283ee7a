//! `runc --help`, `runc help [COMMAND]` and `runc COMMAND --help` against
//! Debian's runc 1.1.5: urfave/cli's sections, the command list in runc's
//! order with its one-line descriptions, the usage lines, and option cells
//! that runc lists too. The option lists are ours, so they are compared
//! cell by cell, not as text.

use crate::harness::{report_skip, stdout_of};
use crate::runc_support::Runtime;

/// urfave/cli's section headers (the help texts' own "EXAMPLE:" lines are
/// free text inside a section).
const SECTIONS: &[&str] = &[
    "NAME:",
    "USAGE:",
    "VERSION:",
    "DESCRIPTION:",
    "COMMANDS:",
    "GLOBAL OPTIONS:",
    "OPTIONS:",
];

/// The commands dockbox's runc has: runc 1.1.5's, less checkpoint and
/// restore (no CRIU).
const COMMANDS: &[&str] = &[
    "create", "delete", "events", "exec", "kill", "list", "pause", "ps", "resume", "run", "spec",
    "start", "state", "update", "features",
];

/// The command flags runc 1.1.5 lists that we refuse or lack.
const LACKING: &[&str] = &["--no-subreaper", "--l3-cache-schema", "--mem-bw-schema"];

struct Help {
    text: String,
}

impl Help {
    fn of(runtime: &Runtime, args: &[&str]) -> Help {
        let output = runtime.run(args);
        assert!(
            output.status.success(),
            "{} {args:?}: {output:?}",
            runtime.name
        );
        Help {
            text: stdout_of(&output),
        }
    }

    fn sections(&self) -> Vec<&str> {
        self.text
            .lines()
            .filter(|line| SECTIONS.contains(line))
            .collect()
    }

    /// The lines of one section, up to the next header.
    fn section(&self, header: &str) -> Vec<&str> {
        self.text
            .lines()
            .skip_while(|line| *line != header)
            .skip(1)
            .take_while(|line| !SECTIONS.contains(line))
            .collect()
    }

    fn first_line(&self, header: &str) -> String {
        self.section(header)
            .first()
            .copied()
            .unwrap_or("")
            .to_string()
    }

    /// Rows of a two-column section as (first cell, rest), spaces squeezed.
    fn rows(&self, header: &str) -> Vec<(String, String)> {
        self.section(header)
            .into_iter()
            .filter(|line| line.starts_with("   --") || header == "COMMANDS:")
            .filter_map(|line| line.trim().split_once("  "))
            .map(|(cell, text)| (cell.to_string(), text.trim().to_string()))
            .collect()
    }
}

fn assert_same_layout(runc: &Help, ours: &Help, what: &str) {
    assert_eq!(
        ours.sections(),
        runc.sections(),
        "{what}: sections\n{}",
        ours.text
    );
    assert_eq!(
        ours.first_line("NAME:"),
        runc.first_line("NAME:"),
        "{what}: NAME"
    );
    assert_eq!(
        ours.first_line("USAGE:"),
        runc.first_line("USAGE:"),
        "{what}: USAGE"
    );
    for header in ["OPTIONS:", "GLOBAL OPTIONS:"] {
        let runc_cells: Vec<String> = runc.rows(header).into_iter().map(|row| row.0).collect();
        for (cell, _) in ours.rows(header) {
            assert!(
                runc_cells.contains(&cell),
                "{what}: our {cell:?} is not in runc's {header} {runc_cells:?}"
            );
        }
    }
}

#[test]
fn help_texts_have_runcs_layout() {
    let runc = match Runtime::debian() {
        Ok(runc) => runc,
        Err(reason) => return report_skip("runc_help", &reason),
    };
    let ours = Runtime::ours();
    for args in [&["--help"][..], &["-h"], &["help"], &["h"], &[]] {
        let (runc_help, our_help) = (Help::of(&runc, args), Help::of(&ours, args));
        assert_same_layout(&runc_help, &our_help, &format!("{args:?}"));
        let runc_commands: Vec<(String, String)> = runc_help
            .rows("COMMANDS:")
            .into_iter()
            .filter(|(name, _)| !matches!(name.as_str(), "checkpoint" | "restore"))
            .collect();
        assert_eq!(our_help.rows("COMMANDS:"), runc_commands, "{args:?}");
        assert!(
            our_help.rows("GLOBAL OPTIONS:").len() >= 7,
            "{}",
            our_help.text
        );
    }
    for command in COMMANDS {
        for args in [
            vec!["help", command],
            vec![command, "--help"],
            vec![command, "-h"],
        ] {
            let runc_help = Help::of(&runc, &args);
            let our_help = Help::of(&ours, &args);
            assert_same_layout(&runc_help, &our_help, &format!("{args:?}"));
            let cells = |help: &Help| -> Vec<String> {
                let mut cells: Vec<String> = help
                    .rows("OPTIONS:")
                    .into_iter()
                    .map(|row| row.0)
                    .filter(|cell| !LACKING.iter().any(|flag| cell.starts_with(flag)))
                    .collect();
                cells.sort();
                cells
            };
            assert_eq!(cells(&our_help), cells(&runc_help), "{args:?}");
        }
    }
    // A command's --help wins over its other arguments, as in urfave.
    let with_id = Help::of(&ours, &["kill", "some-id", "--help"]);
    assert!(with_id.text.starts_with("NAME:\n   runc kill - "));
    // An unknown topic or command fails as runc does.
    for args in [&["help", "nope"][..], &["nope"]] {
        for runtime in [&runc, &ours] {
            let output = runtime.run(args);
            assert_eq!(output.status.code(), Some(3), "{} {args:?}", runtime.name);
            assert!(
                String::from_utf8_lossy(&output.stderr).contains("No help topic for 'nope'"),
                "{} {args:?}: {output:?}",
                runtime.name
            );
        }
    }
}
