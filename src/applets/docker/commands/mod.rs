//! The commands that talk to the daemon, and the dispatch from a parsed
//! command line to them.

mod attach;
mod build;
mod commit;
mod containers;
mod cp;
mod cp_extract;
mod cp_paths;
mod disk_usage;
mod events;
mod exec;
mod hijack;
mod images;
mod login;
mod logs;
mod manage;
mod networks;
mod progress;
mod prune;
mod registry;
mod run;
mod stats;
mod system;
mod terminal;
mod volumes;

use super::args::Parsed;
use super::client::config::Config;
use super::client::{Client, Failure};
use super::format::Zone;
use std::time::SystemTime;

/// What a command needs: the daemon connection and the client's clock.
pub struct Session {
    pub client: Client,
    pub debug: bool,
    pub config: Config,
}

impl Session {
    /// `X-Registry-Auth` for a registry (`docker.io` is Docker Hub's
    /// `https://index.docker.io/v1/` in config files).
    pub fn registry_auth(&self, domain: &str) -> Result<String, Failure> {
        let key = if domain == "docker.io" {
            super::client::credentials::INDEX_SERVER
        } else {
            domain
        };
        self.config
            .registry_auth(key)
            .map_err(|text| Failure::new(1, text))
    }

    pub fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    pub fn zone(&self) -> Zone {
        let now = self
            .now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        Zone::local(now)
    }
}

/// Commands whose daemon side does not exist yet: the client refuses
/// them before sending anything, rather than sending half a sequence.
#[rustfmt::skip] // One name a line, so each removal is a one-line change.
const NOT_SERVED: &[&str] = &[
    "search",
];

/// Runs the command `parsed` names. Output goes to stdout as it is made.
pub fn run(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    match parsed.command.name {
        "version" => system::version(session, parsed),
        "info" => system::info(session, parsed),
        "system df" => disk_usage::disk_usage(session, parsed),
        "ps" => containers::ps(session, parsed),
        "create" => containers::create(session, parsed),
        "build" => build::build(session, parsed),
        "commit" => commit::commit(session, parsed),
        "diff" => commit::diff(session, parsed),
        "export" => commit::export(session, parsed),
        "rm" => containers::remove(session, parsed),
        "rename" => containers::rename(session, parsed),
        "cp" | "container cp" => cp::cp(session, parsed),
        "container prune" => containers::prune(session, parsed),
        "inspect" | "container inspect" | "image inspect" => containers::inspect(session, parsed),
        "images" => images::list(session, parsed),
        "rmi" => images::remove(session, parsed),
        "tag" => images::tag(session, parsed),
        "load" => images::load(session, parsed),
        "save" => images::save(session, parsed),
        "import" => images::import(session, parsed),
        "login" => login::login(session, parsed),
        "logout" => login::logout(session, parsed),
        "pull" => registry::pull(session, parsed),
        "push" => registry::push(session, parsed),
        "history" => images::history(session, parsed),
        "image prune" => images::prune(session, parsed),
        "system prune" => prune::system_prune(session, parsed),
        "events" | "system events" => events::events(session, parsed),
        "stop" => manage::stop(session, parsed),
        "restart" => manage::restart(session, parsed),
        "kill" => manage::kill(session, parsed),
        "pause" => manage::pause(session, parsed),
        "unpause" => manage::unpause(session, parsed),
        "update" => manage::update(session, parsed),
        "top" => manage::top(session, parsed),
        "port" => manage::port(session, parsed),
        "stats" => stats::stats(session, parsed),
        "run" => run::run(session, parsed),
        "start" => attach::start(session, parsed),
        "attach" => attach::attach(session, parsed),
        "exec" => exec::exec(session, parsed),
        "logs" => logs::logs(session, parsed),
        "wait" => logs::wait(session, parsed),
        "network create" => networks::create(session, parsed),
        "network ls" => networks::list(session, parsed),
        "network inspect" => networks::inspect(session, parsed),
        "network rm" => networks::remove(session, parsed),
        "network connect" => networks::connect(session, parsed),
        "network disconnect" => networks::disconnect(session, parsed),
        "network prune" => networks::prune(session, parsed),
        "volume create" => volumes::create(session, parsed),
        "volume ls" => volumes::list(session, parsed),
        "volume inspect" => volumes::inspect(session, parsed),
        "volume rm" => volumes::remove(session, parsed),
        "volume prune" => volumes::prune(session, parsed),
        name if NOT_SERVED.contains(&name) => not_served(session, name),
        name => Err(Failure::new(
            1,
            format!("docker {name} is not supported by dockbox's client yet"),
        )),
    }
}

/// A command the daemon cannot serve yet. The daemon is still pinged, so
/// a missing daemon reports as it does for any command.
pub fn refuse_unserved(session: &mut Session, name: &str) -> Result<(), Failure> {
    not_served(session, name)
}

fn not_served(session: &mut Session, name: &str) -> Result<(), Failure> {
    session.client.api_version_checked()?;
    Err(Failure::new(
        1,
        format!("Error: docker {name} is not supported by this daemon yet"),
    ))
}

/// The lines of several per-object errors, as the CLI joins them.
pub fn joined(errors: &[String]) -> Failure {
    Failure::new(1, errors.join("\n"))
}

/// Whether stdout is a terminal.
pub fn stdout_is_terminal() -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(1) == 1 }
}

pub fn stdin_is_terminal() -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(0) == 1 }
}

/// Writes `text` to stdout; a closed pipe ends quietly.
pub fn print(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// The confirmation prompt of the prune commands: `y`/`Y` on stdin goes
/// on, anything else (or EOF) stops.
pub fn confirm(warning: &str) -> bool {
    use std::io::BufRead;
    print(&format!(
        "{warning}\nAre you sure you want to continue? [y/N] "
    ));
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    matches!(line.trim(), "y" | "Y")
}
