//! runc's help texts, laid out as urfave/cli (which runc uses) lays them
//! out: `runc --help`, `runc help [COMMAND]` and `runc COMMAND --help`.
//! One table of commands in runc's order; the options come from the
//! normaliser's flag tables, so the help lists exactly what we accept.

use super::args::{self, Flag};
use std::fmt::Write;

/// One command as its help shows it.
struct CommandHelp {
    name: &'static str,
    /// The one line in the command list and after the name.
    summary: &'static str,
    /// What follows `runc NAME [command options]` (urfave's ArgsUsage).
    arguments: &'static str,
    description: &'static str,
}

const ID_ARGUMENT: &str =
    "<container-id>\n\nWhere \"<container-id>\" is the name of the container.";

/// runc 1.1.5's commands in its order, less checkpoint and restore (no CRIU).
const COMMANDS: &[CommandHelp] = &[
    CommandHelp {
        name: "create",
        summary: "create a container",
        arguments: "<container-id>\n\nWhere \"<container-id>\" names the new container; it must be unique\nbelow the --root directory.",
        description: "Creates a container from a bundle: a directory holding \"config.json\" and the\nroot filesystem it names. The container's process waits until \"runc start\".",
    },
    CommandHelp {
        name: "delete",
        summary: "delete any resources held by the container often used with detached container",
        arguments: ID_ARGUMENT,
        description: "",
    },
    CommandHelp {
        name: "events",
        summary: "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
        arguments: ID_ARGUMENT,
        description: "Prints one JSON object a line: the container's statistics every --interval,\nand an \"oom\" event whenever the kernel's OOM killer acts in its cgroup.",
    },
    CommandHelp {
        name: "exec",
        summary: "execute new process inside the container",
        arguments: "<container-id> <command> [command options]  || -p process.json <container-id>\n\nWhere \"<command>\" runs inside the container; it may be left out only with -p.",
        description: "",
    },
    CommandHelp {
        name: "kill",
        summary: "kill sends the specified signal (default: SIGTERM) to the container's init process",
        arguments: "<container-id> [signal]\n\nWhere \"[signal]\" is a number or a name, with or without \"SIG\" (KILL, SIGKILL, 9).",
        description: "",
    },
    CommandHelp {
        name: "list",
        summary: "lists containers started by runc with the given root",
        arguments: "\n\nWhere the containers listed are those whose state lies below the global\noption \"--root\".",
        description: "",
    },
    CommandHelp {
        name: "pause",
        summary: "pause suspends all processes inside the container",
        arguments: ID_ARGUMENT,
        description: "Freezes every process of the container through its freezer cgroup.",
    },
    CommandHelp {
        name: "ps",
        summary: "ps displays the processes running inside a container",
        arguments: "<container-id> [ps options]",
        description: "",
    },
    CommandHelp {
        name: "resume",
        summary: "resumes all processes that have been previously paused",
        arguments: ID_ARGUMENT,
        description: "Thaws the processes that \"runc pause\" froze.",
    },
    CommandHelp {
        name: "run",
        summary: "create and run a container",
        arguments: "<container-id>\n\nWhere \"<container-id>\" names the new container; it must be unique\nbelow the --root directory.",
        description: "Creates and starts a container from a bundle (see \"runc create --help\"), then\nwaits for it and deletes it, unless --detach or --keep.",
    },
    CommandHelp {
        name: "spec",
        summary: "create a new specification file",
        arguments: "",
        description: "Writes a starter \"config.json\" into the bundle directory, running \"sh\" in\n\"rootfs\"; edit it to suit. --rootless gives one for a user namespace.",
    },
    CommandHelp {
        name: "start",
        summary: "executes the user defined process in a created container",
        arguments: ID_ARGUMENT,
        description: "Lets the process that \"runc create\" prepared run its program.",
    },
    CommandHelp {
        name: "state",
        summary: "output the state of a container",
        arguments: ID_ARGUMENT,
        description: "Prints the container's state as JSON.",
    },
    CommandHelp {
        name: "update",
        summary: "update container resource constraints",
        arguments: "<container-id>",
        description: "",
    },
    CommandHelp {
        name: "features",
        summary: "show the enabled features",
        arguments: "",
        description: "Prints the runtime's features as JSON (the OCI runtime features document).",
    },
];

const APP_SUMMARY: &str = "Open Container Initiative runtime";
const APP_DESCRIPTION: &str = "This runc is dockbox's: an OCI runtime with runc's command line, for dockerd,\ncontainerd and people. A container is made from a bundle, a directory holding\n\"config.json\" and a root filesystem:\n\n    # runc run [ -b bundle ] <container-id>";

/// The help text for `runc help [topic]`, or None for an unknown topic.
pub fn text(topic: Option<&str>) -> Option<String> {
    match topic {
        None => Some(app_help()),
        Some(name) => COMMANDS
            .iter()
            .find(|command| command.name == name)
            .map(command_help),
    }
}

/// Whether `name` is a command runc's help knows (the helps included).
pub fn is_command(name: &str) -> bool {
    matches!(name, "help" | "h") || COMMANDS.iter().any(|command| command.name == name)
}

fn app_help() -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "NAME:\n   runc - {APP_SUMMARY}\n\n{APP_DESCRIPTION}\n\n\
         USAGE:\n   runc [global options] command [command options] [arguments...]\n\n\
         VERSION:\n   {}\n\nCOMMANDS:\n",
        super::version_text()
            .strip_prefix("runc version ")
            .unwrap_or_default()
    );
    let mut rows: Vec<(String, &str)> = COMMANDS
        .iter()
        .map(|command| (command.name.to_string(), command.summary))
        .collect();
    rows.push((
        "help, h".to_string(),
        "Shows a list of commands or help for one command",
    ));
    out.push_str(&columns(&rows));
    out.push_str("\nGLOBAL OPTIONS:\n");
    out.push_str(&columns(&option_rows(args::GLOBAL_FLAGS, true)));
    out
}

fn command_help(command: &CommandHelp) -> String {
    let flags = option_rows(args::command_flags(command.name), false);
    let options = if flags.is_empty() {
        ""
    } else {
        " [command options]"
    };
    let arguments = match command.arguments {
        "" => "[arguments...]",
        text => text,
    };
    let mut out = format!(
        "NAME:\n   runc {} - {}\n\nUSAGE:\n   runc {}{options} {arguments}\n",
        command.name, command.summary, command.name
    );
    if !command.description.is_empty() {
        let _ = write!(out, "\nDESCRIPTION:\n   {}\n", command.description);
    }
    if !flags.is_empty() {
        out.push_str("\nOPTIONS:\n");
        out.push_str(&columns(&flags));
    }
    out
}

/// urfave's flag cells: `--name value, -n value` and the help line. The
/// commands' own --help stays out of their lists, as in urfave.
fn option_rows(flags: &[Flag], global: bool) -> Vec<(String, &'static str)> {
    flags
        .iter()
        .filter(|flag| !flag.help.is_empty() && (global || flag.long != "help"))
        .map(|flag| {
            let placeholder = if flag.takes_value { " value" } else { "" };
            let mut cell = format!("--{}{placeholder}", flag.long);
            if let Some(short) = flag.short {
                let _ = write!(cell, ", -{short}{placeholder}");
            }
            (cell, flag.help)
        })
        .collect()
}

/// Rows indented by three spaces, the second column two spaces past the
/// widest first one (urfave's tabwriter).
fn columns(rows: &[(String, &str)]) -> String {
    let width = rows.iter().map(|(cell, _)| cell.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(cell, text)| format!("   {cell:<width$}  {text}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_applet_command_has_help_and_flags_render_as_urfave() {
        for name in [
            "create", "delete", "events", "exec", "features", "kill", "list", "pause", "ps",
            "resume", "run", "spec", "start", "state", "update",
        ] {
            let help = text(Some(name)).unwrap_or_else(|| panic!("no help for {name}"));
            assert!(
                help.starts_with(&format!("NAME:\n   runc {name} - ")),
                "{help}"
            );
        }
        assert!(text(Some("checkpoint")).is_none());
        let kill = text(Some("kill")).unwrap();
        assert!(kill.contains("USAGE:\n   runc kill [command options] <container-id> [signal]\n"));
        assert!(kill.contains("OPTIONS:\n   --all, -a  send the specified signal"));
        let start = text(Some("start")).unwrap();
        assert!(!start.contains("OPTIONS:") && start.contains("   runc start <container-id>"));
    }
}
