//! Registry authentication end to end: Debian's `docker-registry`
//! (distribution 2.8) with htpasswd Basic auth, and behind a Bearer token
//! server written for the test (Python's http.server issuing RS256 JWTs
//! that openssl signs, the registry's `auth.token` trusting the
//! certificate). Logins, pushes and pulls with and without credentials
//! give what dockerd 20.10 gives, and our client keeps credentials as the
//! Go CLI 28 does, in config.json and through a credential helper.

use crate::daemon_images_dockerd::RealDockerd;
use crate::daemon_registry::{ADDRESS, Registry, htpasswd_line};
use crate::daemon_support::{DOCKER_CLI, TestDaemon, need_docker_cli};
use crate::harness::busybox::{BusyboxRootfs, write_docker_archive};
use crate::harness::{ProcessGuard, TempDir, need_root, stderr_of, stdout_of};
use std::io::Write;
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const TOKEN_ADDRESS: &str = "127.0.0.1:5001";
const ISSUER: &str = "dockbox-test-issuer";
const SERVICE: &str = "dockbox-registry";

/// The token server: `GET /token` with Basic credentials (or none) and
/// `POST /token` with an OAuth2 refresh-token grant, as distribution's
/// client asks; anonymous users get no access, `tester` gets what it
/// asks for, and a login's `offline_token` gets a refresh token.
const TOKEN_SERVER: &str = r#"
import base64, json, os, subprocess, sys, time
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlparse, parse_qs

address, key, cert, issuer, users_file = sys.argv[1:6]
users = json.load(open(users_file))
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "DER"],
                     capture_output=True, check=True).stdout

def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def sign(claims):
    header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
    signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                               input=signing.encode(), capture_output=True, check=True).stdout
    return signing + "." + b64url(signature)

def access(scopes, account):
    granted = []
    for scope in scopes:
        for one in scope.split(" "):
            parts = one.split(":")
            if account is None or len(parts) < 3 or parts[0] != "repository":
                continue
            granted.append({"type": "repository", "name": ":".join(parts[1:-1]),
                            "actions": parts[-1].split(",")})
    return granted

class Handler(BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def issue(self, query, account, refresh, field):
        now = int(time.time())
        claims = {"iss": issuer, "sub": account or "", "aud": query.get("service", [""])[0],
                  "exp": now + 300, "nbf": now - 10, "iat": now, "jti": b64url(os.urandom(12)),
                  "access": access(query.get("scope", []), account)}
        body = {field: sign(claims), "expires_in": 300,
                "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}
        if refresh and account:
            body["refresh_token"] = "refresh-" + account
        self.answer(200, body)

    def do_GET(self):
        query = parse_qs(urlparse(self.path).query)
        account = None
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic "):
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
            if users.get(user) != password:
                return self.answer(401, {"details": "incorrect username or password"})
            account = user
        self.issue(query, account, query.get("offline_token") == ["true"], "token")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        token = form.get("refresh_token", [""])[0]
        account = token[len("refresh-"):] if token.startswith("refresh-") else None
        if form.get("grant_type") != ["refresh_token"] or account not in users:
            return self.answer(401, {"details": "invalid refresh token"})
        self.issue(form, account, False, "access_token")

    def log_message(self, *args):
        pass

host, port = address.split(":")
HTTPServer((host, int(port)), Handler).serve_forever()
"#;

/// A credential helper keeping each server's JSON in a file of its own.
const CREDENTIAL_HELPER: &str = r#"#!/bin/sh
store="$(dirname "$0")/store"
mkdir -p "$store"
case "$1" in
store) input=$(cat); server=$(printf '%s' "$input" | sed 's/.*"ServerURL":"\([^"]*\)".*/\1/')
       printf '%s' "$input" > "$store/$(printf '%s' "$server" | tr '/:' '__')" ;;
get|erase) read -r server; file="$store/$(printf '%s' "$server" | tr '/:' '__')"
       if [ ! -f "$file" ]; then echo "credentials not found in native keychain"; exit 1; fi
       if [ "$1" = get ]; then cat "$file"; else rm "$file"; fi ;;
*) exit 1 ;;
esac
"#;

/// Which authentication the registry asks for.
#[derive(Clone, Copy)]
enum Auth {
    Basic,
    Token,
}

/// A registry (and its token server) in the network namespace of `pid`.
struct Guarded {
    _token_server: Option<ProcessGuard>,
    _registry: Registry,
}

fn need(program: &str) -> Result<(), String> {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    found
        .then_some(())
        .ok_or_else(|| format!("{program} is not installed"))
}

/// Waits until `address` accepts connections inside `pid`'s network
/// namespace (from a thread that joined it).
fn wait_for_port(pid: u32, address: &str) -> Result<(), String> {
    let netns = std::fs::File::open(format!("/proc/{pid}/ns/net")).map_err(|e| e.to_string())?;
    let fd = netns.as_raw_fd();
    let deadline = Instant::now() + Duration::from_secs(20);
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                // SAFETY: setns on this thread only, with a valid fd.
                if unsafe { libc::setns(fd, libc::CLONE_NEWNET) } != 0 {
                    return Err("setns failed".to_string());
                }
                while TcpStream::connect(address).is_err() {
                    if Instant::now() > deadline {
                        return Err(format!("nothing listens on {address} after 20s"));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                Ok(())
            })
            .join()
            .unwrap()
    })
}

fn start_token_server(pid: u32, dir: &TempDir) -> Result<ProcessGuard, String> {
    need("python3")?;
    need("openssl")?;
    let (key, cert) = (dir.join("token-key.pem"), dir.join("token-cert.pem"));
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .args(["-subj", "/CN=dockbox-token"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .map_err(|e| e.to_string())?;
    if !made.status.success() {
        return Err(format!("openssl req: {}", stderr_of(&made)));
    }
    std::fs::write(dir.join("token-server.py"), TOKEN_SERVER).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("users.json"), r#"{"tester": "s3cret"}"#).map_err(|e| e.to_string())?;
    let log = std::fs::File::create(dir.join("token-server.log")).map_err(|e| e.to_string())?;
    let child = Command::new("nsenter")
        .arg(format!("--net=/proc/{pid}/ns/net"))
        .arg("python3")
        .arg(dir.join("token-server.py"))
        .arg(TOKEN_ADDRESS)
        .arg(&key)
        .arg(&cert)
        .arg(ISSUER)
        .arg(dir.join("users.json"))
        .stdin(Stdio::null())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("start the token server: {e}"))?;
    let guard = ProcessGuard::child(child);
    wait_for_port(pid, TOKEN_ADDRESS)?;
    Ok(guard)
}

/// The registry with `auth`, and the token server it trusts.
fn start_registry(pid: u32, dir: &TempDir, auth: Auth) -> Result<Guarded, String> {
    match auth {
        Auth::Basic => {
            std::fs::write(dir.join("htpasswd"), htpasswd_line("tester", "s3cret")?)
                .map_err(|e| e.to_string())?;
            let extra = format!(
                "auth:\n  htpasswd:\n    realm: dockbox-test\n    path: {}\n",
                dir.join("htpasswd").display()
            );
            Ok(Guarded {
                _token_server: None,
                _registry: Registry::start_in(pid, dir, &extra)?,
            })
        }
        Auth::Token => {
            let server = start_token_server(pid, dir)?;
            let extra = format!(
                "auth:\n  token:\n    realm: http://{TOKEN_ADDRESS}/token\n    service: {SERVICE}\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
                dir.join("token-cert.pem").display()
            );
            Ok(Guarded {
                _token_server: Some(server),
                _registry: Registry::start_in(pid, dir, &extra)?,
            })
        }
    }
}

/// A docker client (`program`) against `host` with its own config dir
/// and `path` searched first for credential helpers.
struct Client {
    program: PathBuf,
    host: String,
    config: PathBuf,
    path: Option<PathBuf>,
}

impl Client {
    fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        std::fs::create_dir_all(&self.config).unwrap();
        let mut command = Command::new(&self.program);
        command
            .args(args)
            .env("DOCKER_HOST", &self.host)
            .env("DOCKER_CONFIG", &self.config)
            .env_remove("DOCKER_API_VERSION")
            .env_remove("DOCKER_CONTEXT")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(dir) = &self.path {
            let path = std::env::var("PATH").unwrap_or_default();
            command.env("PATH", format!("{}:{path}", dir.display()));
        }
        let mut child = command.spawn().unwrap();
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
        drop(input);
        child.wait_with_output().unwrap()
    }

    fn docker(&self, args: &[&str]) -> Output {
        self.run(args, None)
    }

    /// config.json as written, its directory named `<config>`.
    fn config_file(&self) -> String {
        std::fs::read_to_string(self.config.join("config.json")).unwrap_or_else(|_| "<none>".into())
    }

    fn shown(&self, output: &Output) -> String {
        format!(
            "exit {:?}\nstdout: {}stderr: {}",
            output.status.code(),
            stdout_of(output),
            stderr_of(output)
        )
        .replace(&self.config.display().to_string(), "<config>")
    }
}

/// Loads and tags busybox, then: anonymous push and pull, a wrong and a
/// right login, push, pull, logout and an anonymous pull again; what each
/// step showed (pushes and pulls by exit code and stderr, their progress
/// having digests of gzip streams that differ between engines).
fn scenario(client: &Client, archive: &Path) -> Vec<String> {
    let name = format!("{ADDRESS}/private:1");
    let must = |output: Output| assert!(output.status.success(), "{}", stderr_of(&output));
    must(client.docker(&["load", "-i", archive.to_str().unwrap()]));
    must(client.docker(&["tag", "busybox", &name]));
    let quiet = |output: Output| format!("exit {:?}: {}", output.status.code(), stderr_of(&output));
    let mut seen = vec![
        quiet(client.docker(&["push", &name])),
        quiet(client.docker(&["pull", &name])),
    ];
    seen.push(client.shown(&client.docker(&["login", "-u", "tester", "-p", "wrong", ADDRESS])));
    seen.push(client.shown(&client.docker(&["login", "-u", "tester", "-p", "s3cret", ADDRESS])));
    seen.push(client.config_file());
    // Again with what is stored: Basic credentials log in again, an
    // identity token asks for a password there is no terminal for.
    seen.push(client.shown(&client.docker(&["login", ADDRESS])));
    seen.push(quiet(client.docker(&["push", &name])));
    must(client.docker(&["rmi", &name]));
    seen.push(quiet(client.docker(&["pull", "-q", &name])));
    seen.push(client.shown(&client.docker(&["logout", ADDRESS])));
    seen.push(client.config_file());
    seen.push(quiet(client.docker(&["pull", &name])));
    seen
}

/// Runs the scenario on our daemon and on dockerd 20.10 (each with its
/// registry) with the real CLI 28; returns ours, or the reason to skip.
fn against_dockerd(label: &str, auth: Auth) -> Result<Vec<String>, String> {
    need_root()?;
    need_docker_cli()?;
    let mut daemon = TestDaemon::start(label);
    let dir = TempDir::new(label);
    let _registry = start_registry(daemon.child().id(), &dir, auth)?;
    let rootfs = BusyboxRootfs::build(&dir.join("rootfs"))?;
    let archive = dir.join("busybox.tar");
    write_docker_archive(&rootfs.path, "busybox:latest", &archive).map_err(|e| e.to_string())?;
    let real = RealDockerd::start()?;
    let real_dir = TempDir::new(&format!("{label}-real"));
    let _real_registry = start_registry(real.pid(), &real_dir, auth)?;
    let cli = |host: String, config: PathBuf| Client {
        program: PathBuf::from(DOCKER_CLI),
        host,
        config,
        path: None,
    };
    let ours = scenario(&cli(daemon.host(), dir.join("cli")), &archive);
    let theirs = scenario(
        &cli(real.host().to_string(), real_dir.join("cli")),
        &archive,
    );
    assert_eq!(ours, theirs);
    Ok(ours)
}

#[test]
fn basic_auth_logins_pushes_and_pulls_show_what_dockerd_20_10_shows() {
    let ours = match against_dockerd("regauth-basic", Auth::Basic) {
        Ok(ours) => ours,
        Err(reason) => {
            return crate::harness::report_skip(
                "basic_auth_logins_pushes_and_pulls_show_what_dockerd_20_10_shows",
                &reason,
            );
        }
    };
    assert_eq!(ours[0], "exit Some(1): no basic auth credentials\n");
    assert_eq!(
        ours[1],
        format!(
            "exit Some(1): Error response from daemon: Head \"http://{ADDRESS}/v2/private/manifests/1\": no basic auth credentials\n"
        )
    );
    assert!(
        ours[2].contains(&format!(
            "Error response from daemon: login attempt to http://{ADDRESS}/v2/ failed with status: 401 Unauthorized"
        )),
        "{}",
        ours[2]
    );
    assert!(ours[3].contains("stdout: Login Succeeded\n"), "{}", ours[3]);
    assert!(
        ours[4].contains("\"auth\": \"dGVzdGVyOnMzY3JldA==\""),
        "{}",
        ours[4]
    );
    assert!(
        ours[5].contains("Authenticating with existing credentials... [Username: tester]"),
        "{}",
        ours[5]
    );
    assert!(ours[5].contains("stdout: Login Succeeded\n"), "{}", ours[5]);
    assert_eq!(ours[6], "exit Some(0): ");
    assert_eq!(ours[7], "exit Some(0): ");
    assert_eq!(ours[9], "{\n\t\"auths\": {}\n}");
}

#[test]
fn token_auth_logins_pushes_and_pulls_show_what_dockerd_20_10_shows() {
    let ours = match against_dockerd("regauth-token", Auth::Token) {
        Ok(ours) => ours,
        Err(reason) => {
            return crate::harness::report_skip(
                "token_auth_logins_pushes_and_pulls_show_what_dockerd_20_10_shows",
                &reason,
            );
        }
    };
    assert_eq!(
        ours[0],
        "exit Some(1): denied: requested access to the resource is denied\n"
    );
    assert_eq!(
        ours[1],
        format!(
            "exit Some(1): Error response from daemon: pull access denied for {ADDRESS}/private, repository does not exist or may require 'docker login': denied: requested access to the resource is denied\n"
        )
    );
    assert!(
        ours[2].contains(&format!(
            "Error response from daemon: Get \"http://{ADDRESS}/v2/\": unauthorized: incorrect username or password"
        )),
        "{}",
        ours[2]
    );
    assert!(ours[3].contains("stdout: Login Succeeded\n"), "{}", ours[3]);
    // The login's refresh token is kept instead of the password.
    assert!(
        ours[4].contains("\"identitytoken\": \"refresh-tester\""),
        "{}",
        ours[4]
    );
    assert!(
        ours[4].contains("\"auth\": \"dGVzdGVyOg==\""),
        "{}",
        ours[4]
    );
    assert!(
        ours[5].contains("Error: Cannot perform an interactive login from a non TTY device"),
        "{}",
        ours[5]
    );
    assert_eq!(ours[6], "exit Some(0): ");
    assert_eq!(ours[7], "exit Some(0): ");
    assert_eq!(ours[10], ours[1]);
}

/// One client's session against a daemon: stdin logins, a credential
/// helper for the registry, re-login with stored credentials, logouts.
fn client_session(client: &Client, name: &str) -> Vec<String> {
    let stored = || {
        let helpers = client.path.as_ref().expect("a helper dir");
        std::fs::read_to_string(helpers.join("store").join("127.0.0.1_5000"))
            .unwrap_or_else(|_| "<none>".into())
    };
    let shown = |output: &Output| client.shown(output);
    let mut seen = vec![shown(&client.run(
        &[
            "login",
            "-u",
            "tester",
            "--password-stdin",
            &format!("http://{ADDRESS}/"),
        ],
        Some("s3cret\n"),
    ))];
    seen.push(client.config_file());
    seen.push(stored());
    seen.push(shown(&client.docker(&["login", ADDRESS])));
    seen.push(shown(&client.docker(&["pull", "-q", name])));
    seen.push(shown(&client.docker(&["login", "--password-stdin"])));
    seen.push(shown(&client.docker(&[
        "login",
        "-u",
        "x",
        "-p",
        "y",
        "--password-stdin",
    ])));
    seen.push(shown(&client.docker(&["logout", ADDRESS])));
    seen.push(client.config_file());
    seen.push(stored());
    seen.push(shown(&client.docker(&["logout", ADDRESS])));
    seen
}

/// A client (`program`) with a config dir naming the `test` helper for
/// the registry, the helper in a directory of its own put first on PATH.
fn helper_client(dir: &TempDir, host: String, program: PathBuf, side: &str) -> Client {
    let helpers = dir.join(&format!("helpers-{side}"));
    std::fs::create_dir_all(&helpers).unwrap();
    let helper = helpers.join("docker-credential-test");
    std::fs::write(&helper, CREDENTIAL_HELPER).unwrap();
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let config = dir.join(&format!("config-{side}"));
    std::fs::create_dir_all(&config).unwrap();
    let json =
        format!(r#"{{"psFormat": "table {{{{.ID}}}}", "credHelpers": {{"{ADDRESS}": "test"}}}}"#);
    std::fs::write(config.join("config.json"), json).unwrap();
    Client {
        program,
        host,
        config,
        path: Some(helpers),
    }
}

/// Loads busybox into `daemon` and pushes it to the registry as
/// `name`, logged in with the real CLI and a config of its own.
fn push_private(daemon: &TestDaemon, dir: &TempDir, archive: &Path, name: &str) {
    let pusher = Client {
        program: PathBuf::from(DOCKER_CLI),
        host: daemon.host(),
        config: dir.join("pusher"),
        path: None,
    };
    for args in [
        vec!["load", "-i", archive.to_str().unwrap()],
        vec!["tag", "busybox", name],
        vec!["login", "-u", "tester", "-p", "s3cret", ADDRESS],
        vec!["push", name],
    ] {
        let output = pusher.docker(&args);
        assert!(output.status.success(), "{args:?}: {}", stderr_of(&output));
    }
}

#[test]
fn our_client_logs_in_and_out_as_the_go_cli_with_a_credential_helper() {
    let skip = crate::harness::skipper(
        "our_client_logs_in_and_out_as_the_go_cli_with_a_credential_helper",
    );
    if let Err(reason) = need_root().and_then(|()| need_docker_cli()) {
        return skip(&reason);
    }
    let mut daemon = TestDaemon::start("regauth-client");
    let dir = TempDir::new("regauth-client");
    let _registry = match start_registry(daemon.child().id(), &dir, Auth::Token) {
        Ok(registry) => registry,
        Err(reason) => return skip(&reason),
    };
    let rootfs = match BusyboxRootfs::build(&dir.join("rootfs")) {
        Ok(rootfs) => rootfs,
        Err(reason) => return skip(&reason),
    };
    let archive = dir.join("busybox.tar");
    write_docker_archive(&rootfs.path, "busybox:latest", &archive).unwrap();
    let name = format!("{ADDRESS}/private:1");
    push_private(&daemon, &dir, &archive, &name);

    let ours_program = dir.join("bin").join("docker");
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::os::unix::fs::symlink(crate::harness::dockbox(), &ours_program).unwrap();
    let ours = client_session(
        &helper_client(&dir, daemon.host(), ours_program, "ours"),
        &name,
    );
    let theirs_program = PathBuf::from(DOCKER_CLI);
    let theirs = client_session(
        &helper_client(&dir, daemon.host(), theirs_program, "theirs"),
        &name,
    );
    assert_eq!(ours, theirs);
    assert!(ours[0].contains("stdout: Login Succeeded\n"), "{}", ours[0]);
    // The file keeps an empty entry; the helper has the identity token.
    assert!(
        ours[1].contains(&format!("\"{ADDRESS}\": {{}}")),
        "{}",
        ours[1]
    );
    assert_eq!(
        ours[2],
        format!(
            "{{\"ServerURL\":\"{ADDRESS}\",\"Username\":\"\\u003ctoken\\u003e\",\"Secret\":\"refresh-tester\"}}"
        )
    );
    // An identity token is no password to log in again with.
    assert!(
        ours[3].contains("Error: Cannot perform an interactive login from a non TTY device"),
        "{}",
        ours[3]
    );
    assert!(ours[4].starts_with("exit Some(0)"), "{}", ours[4]);
    assert!(
        ours[5].contains("the --password-stdin option requires --username to be set"),
        "{}",
        ours[5]
    );
    assert!(
        ours[7].contains(&format!("Removing login credentials for {ADDRESS}")),
        "{}",
        ours[7]
    );
    assert_eq!(ours[9], "<none>", "the helper erased them");
}

/// `docker login SERVER` under a pty (util-linux `script`), the user name
/// and then the password typed after each prompt; what the terminal
/// showed, the config dir named `<config>`.
fn prompted_login(client: &Client) -> String {
    let command = format!("{} login {ADDRESS}", client.program.display());
    let typed = "sleep 2; printf 'tester\\n'; sleep 2; printf 's3cret\\n'; sleep 2";
    let output = crate::harness::run(
        Command::new("sh")
            .arg("-c")
            .arg(format!("({typed}) | script -qec \"$0\" /dev/null"))
            .arg(&command)
            .env("DOCKER_HOST", &client.host)
            .env("DOCKER_CONFIG", &client.config)
            .env_remove("DOCKER_API_VERSION"),
    );
    format!("{}{}", client.shown(&output), client.config_file())
        .replace(&client.config.display().to_string(), "<config>")
}

#[test]
fn a_login_on_a_terminal_prompts_as_the_go_cli_and_hides_the_password() {
    let skip = crate::harness::skipper(
        "a_login_on_a_terminal_prompts_as_the_go_cli_and_hides_the_password",
    );
    if let Err(reason) = need_root()
        .and_then(|()| need_docker_cli())
        .and_then(|()| need("script"))
    {
        return skip(&reason);
    }
    let mut daemon = TestDaemon::start("regauth-pty");
    let dir = TempDir::new("regauth-pty");
    let _registry = match start_registry(daemon.child().id(), &dir, Auth::Basic) {
        Ok(registry) => registry,
        Err(reason) => return skip(&reason),
    };
    let ours_program = dir.join("docker");
    std::os::unix::fs::symlink(crate::harness::dockbox(), &ours_program).unwrap();
    let client = |program: PathBuf, side: &str| Client {
        program,
        host: daemon.host(),
        config: dir.join(&format!("config-{side}")),
        path: None,
    };
    let ours = prompted_login(&client(ours_program, "ours"));
    let theirs = prompted_login(&client(PathBuf::from(DOCKER_CLI), "theirs"));
    assert_eq!(ours, theirs);
    assert!(
        ours.contains("Username: tester\r\nPassword: \r\n"),
        "{ours}"
    );
    assert!(!ours.contains("s3cret"), "the password was echoed: {ours}");
    assert!(ours.contains("Login Succeeded"), "{ours}");
    assert!(
        ours.contains("\"auth\": \"dGVzdGVyOnMzY3JldA==\""),
        "{ours}"
    );
}
