//! `docker --help`: the commands by section, as the CLI lists them, and
//! the global options.

use super::args::{self, GLOBAL, find_command};

const COMMON: &[&str] = &[
    "run", "exec", "ps", "build", "pull", "push", "images", "login", "logout", "search", "version",
    "info",
];
const MANAGEMENT: &[&str] = &[
    "builder",
    "checkpoint",
    "container",
    "context",
    "image",
    "manifest",
    "network",
    "plugin",
    "system",
    "trust",
    "volume",
];
const SWARM: &[&str] = &["config", "node", "secret", "service", "stack", "swarm"];
const OTHERS: &[&str] = &[
    "attach", "commit", "cp", "create", "diff", "events", "export", "history", "import", "inspect",
    "kill", "load", "logs", "pause", "port", "rename", "restart", "rm", "rmi", "save", "start",
    "stats", "stop", "tag", "top", "unpause", "update", "wait",
];

/// Descriptions of the names that have no flag table here.
const DESCRIPTIONS: &[(&str, &str)] = &[
    ("build", "Build an image from a Dockerfile"),
    ("login", "Authenticate to a registry"),
    ("logout", "Log out from a registry"),
    ("search", "Search Docker Hub for images"),
    ("builder", "Manage builds"),
    ("checkpoint", "Manage checkpoints"),
    ("container", "Manage containers"),
    ("context", "Manage contexts"),
    ("image", "Manage images"),
    (
        "manifest",
        "Manage Docker image manifests and manifest lists",
    ),
    ("network", "Manage networks"),
    ("plugin", "Manage plugins"),
    ("system", "Manage Docker"),
    ("trust", "Manage trust on Docker images"),
    ("volume", "Manage volumes"),
    ("config", "Manage Swarm configs"),
    ("node", "Manage Swarm nodes"),
    ("secret", "Manage Swarm secrets"),
    ("service", "Manage Swarm services"),
    ("stack", "Manage Swarm stacks"),
    ("swarm", "Manage Swarm"),
];

fn description(name: &str) -> &'static str {
    if let Some((_, text)) = DESCRIPTIONS.iter().find(|(known, _)| *known == name) {
        return text;
    }
    find_command(name)
        .map(|spec| spec.short.lines().next().unwrap_or_default())
        .unwrap_or_default()
}

/// What the daemon's ping says about optional commands: experimental ones
/// (`checkpoint`) and those of a swarm manager are listed only when the
/// daemon has them, or when there is no daemon to ask.
pub struct Features {
    pub experimental: bool,
    pub swarm_manager: bool,
}

impl Features {
    fn shows(&self, name: &str) -> bool {
        match name {
            "checkpoint" => self.experimental,
            "config" | "node" | "secret" | "service" | "stack" => self.swarm_manager,
            _ => true,
        }
    }
}

pub fn root_help(config_dir: &str, features: Option<&Features>) -> String {
    let mut out = format!(
        "Usage:  {}\n\n{}\n",
        "docker [OPTIONS] COMMAND", GLOBAL.short
    );
    for (title, names) in [
        ("Common Commands", COMMON),
        ("Management Commands", MANAGEMENT),
        ("Swarm Commands", SWARM),
        ("Commands", OTHERS),
    ] {
        out.push_str(&format!("\n{title}:\n"));
        for name in names
            .iter()
            .filter(|name| features.is_none_or(|f| f.shows(name)))
        {
            out.push_str(&format!("  {name:<11} {}\n", description(name)));
        }
    }
    out.push_str("\nGlobal Options:\n");
    out.push_str(&args::flag_usages(&GLOBAL, 80, config_dir));
    out.push_str(
        "\nRun 'docker COMMAND --help' for more information on a command.\n\nFor more help on how to use Docker, head to https://docs.docker.com/go/guides/\n",
    );
    out
}
