//! Where `docker login` keeps credentials and where pulls find them, as
//! the Go CLI does: `config.json`'s `auths` (`auth` is base64 of
//! `user:password`), or a credential helper (`credHelpers` for one
//! registry, else `credsStore`) run as `docker-credential-<name>
//! get|store|erase` with the JSON protocol of docker-credential-helpers.

use super::config::Config;
use crate::api::registry::AuthConfig;
use serde_json::Value as Json;
use std::io::Write;
use std::process::{Command, Stdio};

/// Docker Hub's key in config files and the CLI's default login server.
pub const INDEX_SERVER: &str = "https://index.docker.io/v1/";
/// A helper's user name for an identity token.
const TOKEN_USERNAME: &str = "<token>";
/// The helper's words for "nothing stored", which is not an error.
const NOT_FOUND: &str = "credentials not found in native keychain";

/// The CLI's `ConvertToHostname`: `https://host:port/path` → `host:port`.
pub fn convert_to_hostname(address: &str) -> String {
    let rest = address
        .strip_prefix("http://")
        .or_else(|| address.strip_prefix("https://"))
        .unwrap_or(address);
    rest.split('/').next().unwrap_or("").to_string()
}

/// Credentials as one store holds them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stored {
    pub username: String,
    pub password: String,
    pub identity_token: String,
    pub server_address: String,
}

impl Stored {
    /// The auth config a daemon reads from `X-Registry-Auth` or `/auth`.
    pub fn auth_config(&self) -> AuthConfig {
        AuthConfig {
            username: self.username.clone(),
            password: self.password.clone(),
            serveraddress: self.server_address.clone(),
            identitytoken: self.identity_token.clone(),
            ..AuthConfig::default()
        }
    }

    fn is_empty(&self) -> bool {
        self.username.is_empty() && self.password.is_empty() && self.identity_token.is_empty()
    }
}

/// What the helper speaks on stdin and stdout.
#[derive(serde::Deserialize, serde::Serialize)]
struct HelperCredentials {
    #[serde(rename = "ServerURL", default)]
    server_url: String,
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Runs `docker-credential-<helper> <action>` with `input` on stdin; its
/// stdout, or its output as the error when it fails.
fn run_helper(helper: &str, action: &str, input: &[u8]) -> Result<Vec<u8>, String> {
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("exec: \"{program}\": {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("{program}: {e}"))?;
    if output.status.success() {
        return Ok(output.stdout);
    }
    let mut text = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if text.is_empty() {
        text = String::from_utf8_lossy(&output.stderr).trim().to_string();
    }
    Err(text)
}

impl Config {
    /// The helper for `server`, if one is configured.
    fn helper_for(&self, server: &str) -> Option<&str> {
        self.cred_helpers
            .get(server)
            .or(self.creds_store.as_ref())
            .map(String::as_str)
            .filter(|h| !h.is_empty())
    }

    /// The CLI's `GetAuthConfig`: the helper's credentials, or the file's
    /// entry for `server` (or for another spelling of the same host).
    pub fn stored_auth(&self, server: &str) -> Result<Stored, String> {
        let mut stored = self.file_auth(server);
        if let Some(helper) = self.helper_for(server) {
            let found = match run_helper(helper, "get", server.as_bytes()) {
                Ok(bytes) => serde_json::from_slice::<HelperCredentials>(&bytes)
                    .map_err(|e| format!("error getting credentials - err: {e}"))?,
                Err(text) if text == NOT_FOUND => return Ok(Stored::default()),
                Err(text) => return Err(format!("error getting credentials - err: {text}")),
            };
            stored.server_address = server.to_string();
            if found.username == TOKEN_USERNAME {
                stored.identity_token = found.secret;
            } else {
                stored.username = found.username;
                stored.password = found.secret;
            }
        }
        Ok(stored)
    }

    fn file_auth(&self, server: &str) -> Stored {
        let host = convert_to_hostname(server);
        let entry = self.auths.get(server).map(|e| (server, e)).or_else(|| {
            self.auths
                .iter()
                .find(|(key, _)| convert_to_hostname(key) == host)
                .map(|(k, e)| (k.as_str(), e))
        });
        let Some((key, entry)) = entry else {
            return Stored::default();
        };
        let mut stored = Stored {
            server_address: key.to_string(),
            ..Stored::default()
        };
        if let Some(encoded) = entry.get("auth").and_then(Json::as_str)
            && let Some(decoded) = crate::gofmt::base64::decode_any(encoded)
            && let Some((user, password)) = String::from_utf8_lossy(&decoded).split_once(':')
        {
            stored.username = user.to_string();
            stored.password = password.to_string();
        }
        if let Some(token) = entry.get("identitytoken").and_then(Json::as_str) {
            stored.identity_token = token.to_string();
        }
        stored
    }

    /// `X-Registry-Auth` for `server`: base64url of the auth config,
    /// `e30=` (`{}`) when nothing is stored.
    pub fn registry_auth(&self, server: &str) -> Result<String, String> {
        let stored = self.stored_auth(server)?;
        if stored.is_empty() {
            return Ok("e30=".into());
        }
        let json = serde_json::to_vec(&stored.auth_config()).expect("strings encode");
        Ok(crate::gofmt::base64::encode_url(&json))
    }

    /// Keeps `stored` under its server address: in its helper (the file
    /// then keeps an empty entry, as the CLI's native store leaves it) or
    /// in the file. Returns whether it went to the file in clear.
    pub fn store(&mut self, stored: &Stored) -> Result<bool, String> {
        let server = stored.server_address.clone();
        let mut entry = serde_json::Map::new();
        let in_file = match self.helper_for(&server).map(str::to_string) {
            Some(helper) => {
                let (username, secret) = if stored.identity_token.is_empty() {
                    (stored.username.clone(), stored.password.clone())
                } else {
                    (TOKEN_USERNAME.to_string(), stored.identity_token.clone())
                };
                let input = serde_json::to_string(&HelperCredentials {
                    server_url: server.clone(),
                    username,
                    secret,
                })
                .expect("strings encode");
                // As Go's json.Encoder writes it.
                let input = super::config::go_html_escape(&input) + "\n";
                run_helper(&helper, "store", input.as_bytes())?;
                false
            }
            None => {
                if !stored.username.is_empty() || !stored.password.is_empty() {
                    let pair = format!("{}:{}", stored.username, stored.password);
                    entry.insert(
                        "auth".into(),
                        crate::gofmt::base64::encode_standard(pair.as_bytes()).into(),
                    );
                }
                if !stored.identity_token.is_empty() {
                    entry.insert("identitytoken".into(), stored.identity_token.clone().into());
                }
                true
            }
        };
        self.auths.insert(server, Json::Object(entry));
        self.save()?;
        Ok(in_file)
    }

    /// Forgets `server`'s credentials: the helper's, then the file's.
    pub fn erase(&mut self, server: &str) -> Result<(), String> {
        if let Some(helper) = self.helper_for(server).map(str::to_string) {
            run_helper(&helper, "erase", server.as_bytes())?;
        }
        self.auths.remove(server);
        self.save()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames_and_file_entries_are_found_as_the_cli_finds_them() {
        assert_eq!(
            convert_to_hostname("http://127.0.0.1:5000/"),
            "127.0.0.1:5000"
        );
        assert_eq!(
            convert_to_hostname("https://index.docker.io/v1/"),
            "index.docker.io"
        );
        assert_eq!(convert_to_hostname("localhost:5000"), "localhost:5000");
        let mut config = Config::default();
        config.auths.insert(
            "https://reg.example:5000/v2/".into(),
            serde_json::json!({"auth": "dXNlcjpwYXNz", "identitytoken": "r"}),
        );
        let found = config.stored_auth("reg.example:5000").unwrap();
        assert_eq!(
            found,
            Stored {
                username: "user".into(),
                password: "pass".into(),
                identity_token: "r".into(),
                server_address: "https://reg.example:5000/v2/".into(),
            }
        );
        assert_eq!(config.stored_auth("other").unwrap(), Stored::default());
    }
}
