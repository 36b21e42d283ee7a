//! `docker login` and `docker logout` as the Go CLI 28 runs them: the
//! daemon checks the credentials (`POST /auth`), the client keeps them
//! (`client::credentials`: config.json or a credential helper).

use super::{Session, print, stdin_is_terminal};
use crate::api::registry::{AuthConfig, AuthenticateOk};
use crate::applets::docker::args::Parsed;
use crate::applets::docker::client::credentials::{INDEX_SERVER, Stored, convert_to_hostname};
use crate::applets::docker::client::{Failure, daemon_error};
use crate::http::Headers;
use std::io::{BufRead, Read, Write};

fn fail(text: impl Into<String>) -> Failure {
    Failure::new(1, text)
}

/// The password from `-p` or `--password-stdin`, checked as the CLI 28
/// checks them: conflicts first, then the warning about `-p`.
fn given_password(parsed: &Parsed, username: &str) -> Result<String, Failure> {
    let mut password = parsed.value("password").unwrap_or("").to_string();
    let from_stdin = parsed.is_true("password-stdin");
    if !password.is_empty() && from_stdin {
        return Err(fail(
            "conflicting options: cannot specify both --password and --password-stdin",
        ));
    }
    if from_stdin && username.is_empty() {
        return Err(fail(
            "the --password-stdin option requires --username to be set",
        ));
    }
    if !password.is_empty() {
        eprintln!("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
    }
    if from_stdin {
        let mut contents = String::new();
        std::io::stdin()
            .read_to_string(&mut contents)
            .map_err(|e| fail(e.to_string()))?;
        let trimmed = contents.strip_suffix('\n').unwrap_or(&contents);
        password = trimmed.strip_suffix('\r').unwrap_or(trimmed).to_string();
    }
    Ok(password)
}

pub fn login(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let username = parsed.value("username").unwrap_or("").to_string();
    let password = given_password(parsed, &username)?;
    let server = match parsed.args.first().map(String::as_str) {
        Some(server) if !server.is_empty() && server != "docker.io" => server.to_string(),
        _ => INDEX_SERVER.to_string(),
    };
    let server_address = if server == INDEX_SERVER {
        server
    } else {
        convert_to_hostname(&server)
    };
    let mut stored = Stored {
        server_address: server_address.clone(),
        ..Stored::default()
    };
    if username.is_empty() && password.is_empty() {
        if let Ok(found) = session.config.stored_auth(&server_address) {
            stored = Stored {
                server_address: server_address.clone(),
                ..found
            };
        }
        if !stored.username.is_empty() && !stored.password.is_empty() {
            eprint!(
                "Authenticating with existing credentials... [Username: {}]\n\n Info -> To login with a different account, run 'docker logout' followed by 'docker login'\n\n\n",
                stored.username
            );
            match check(session, &stored) {
                Ok(answer) => return keep(session, stored, answer, false),
                Err((401, _)) => eprintln!("Stored credentials invalid or expired"),
                Err((_, failure)) => eprintln!("Login did not succeed, error: {}", failure.message),
            }
        }
    }
    let entered = prompt_for_credentials(&username, &password, &stored.username, &server_address)?;
    let answer = check(session, &entered).map_err(|(_, failure)| failure)?;
    keep(session, entered, answer, true)
}

/// `POST /auth`: the answer, or the status and the daemon's error.
fn check(session: &mut Session, stored: &Stored) -> Result<AuthenticateOk, (u16, Failure)> {
    let body: AuthConfig = stored.auth_config();
    let body = serde_json::to_vec(&body).expect("strings encode");
    let reply = session
        .client
        .send("POST", "/auth", &Headers::new(), &body)
        .map_err(|failure| (0, failure))?;
    if reply.status >= 400 {
        return Err((reply.status, daemon_error(&reply)));
    }
    reply.decode().map_err(|failure| (0, failure))
}

/// Stores what logged in (an identity token instead of the password when
/// the registry gave one) and prints the daemon's status; new credentials
/// kept in clear are warned about, as the CLI does.
fn keep(
    session: &mut Session,
    mut stored: Stored,
    answer: AuthenticateOk,
    new: bool,
) -> Result<(), Failure> {
    if !answer.identity_token.is_empty() {
        stored.password.clear();
        stored.identity_token = answer.identity_token;
    }
    let in_file = session
        .config
        .store(&stored)
        .map_err(|text| fail(format!("Error saving credentials: {text}")))?;
    if in_file && new {
        eprint!(
            "\nWARNING! Your credentials are stored unencrypted in '{}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n",
            session.config.path().display()
        );
    }
    print(&format!("{}\n", answer.status));
    Ok(())
}

/// The CLI's `PromptUserForCredentials`: what the flags did not give is
/// asked for on a terminal (the password without echo).
fn prompt_for_credentials(
    username: &str,
    password: &str,
    default_username: &str,
    server_address: &str,
) -> Result<Stored, Failure> {
    if (username.is_empty() || password.is_empty()) && !stdin_is_terminal() {
        return Err(fail(
            "Error: Cannot perform an interactive login from a non TTY device",
        ));
    }
    let mut username = username.trim().to_string();
    if username.is_empty() {
        let prompt = match default_username.trim() {
            "" => "Username: ".to_string(),
            name => format!("Username ({name}): "),
        };
        username = read_line(&prompt)?.trim().to_string();
        if username.is_empty() {
            username = default_username.trim().to_string();
        }
        if username.is_empty() {
            return Err(fail("Error: Non-null Username Required"));
        }
    }
    let mut password = password.trim().to_string();
    if password.is_empty() {
        let echo = EchoOff::new();
        password = read_line("Password: ")?.trim().to_string();
        drop(echo);
        print("\n");
        if password.is_empty() {
            return Err(fail("Error: Password Required"));
        }
    }
    Ok(Stored {
        username,
        password,
        server_address: server_address.to_string(),
        ..Stored::default()
    })
}

fn read_line(prompt: &str) -> Result<String, Failure> {
    print(prompt);
    let _ = std::io::stdout().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| fail(e.to_string()))?;
    Ok(line)
}

/// The terminal's echo off for a password, back on when dropped.
struct EchoOff(Option<libc::termios>);

impl EchoOff {
    fn new() -> EchoOff {
        // SAFETY: tcgetattr/tcsetattr on stdin with a zeroed struct.
        unsafe {
            let mut saved: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(0, &mut saved) != 0 {
                return EchoOff(None);
            }
            let mut quiet = saved;
            quiet.c_lflag &= !libc::ECHO;
            libc::tcsetattr(0, libc::TCSANOW, &quiet);
            EchoOff(Some(saved))
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(saved) = &self.0 {
            // SAFETY: restores the settings read in `new`.
            unsafe { libc::tcsetattr(0, libc::TCSANOW, saved) };
        }
    }
}

pub fn logout(session: &mut Session, parsed: &Parsed) -> Result<(), Failure> {
    let (server, is_default) = match parsed.args.first().filter(|s| !s.is_empty()) {
        Some(server) => (server.clone(), false),
        None => (INDEX_SERVER.to_string(), true),
    };
    let mut to_erase = vec![server.clone()];
    let hostname = if is_default {
        server
    } else {
        let hostname = convert_to_hostname(&server);
        // Older CLIs kept some registries under these spellings.
        to_erase.extend([
            hostname.clone(),
            format!("http://{hostname}"),
            format!("https://{hostname}"),
        ]);
        hostname
    };
    print(&format!("Removing login credentials for {hostname}\n"));
    let failed: Vec<(String, String)> = to_erase
        .iter()
        .filter_map(|key| session.config.erase(key).err().map(|e| (key.clone(), e)))
        .collect();
    if failed.len() == to_erase.len() {
        let mut text = String::from("WARNING: could not erase credentials:\n");
        for (key, error) in failed {
            text.push_str(&format!("{key}: {error}\n"));
        }
        eprint!("{text}");
    }
    Ok(())
}
