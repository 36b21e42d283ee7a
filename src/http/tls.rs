//! The TLS side of `fetch`: rustls with the `ring` provider (no OpenSSL,
//! no aws-lc, so the static build stays pure Rust plus ring's C).
//!
//! Trust is what Go's `crypto/x509` gives dockerd: the host's CA bundle
//! (the first of Go's Linux bundle files that exists), or the Mozilla
//! roots compiled in when the host has none; plus, per registry, the
//! `*.crt` CAs and `*.cert`/`*.key` client pairs of
//! `/etc/docker/certs.d/<host:port>/`, read as moby's
//! `ReadCertsDirectory` reads them. Errors are worded as Go's.

use super::client::ClientStream;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore,
    SignatureScheme,
};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Go's `crypto/x509` looks for the host's bundle in these files, in order.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// Where dockerd reads per-registry certificates (`registry.CertsDir`).
pub const CERTS_DIR: &str = "/etc/docker/certs.d";

/// moby's registry transport gives up on a handshake after 10 seconds.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// One way of making TLS connections; cheap to clone.
#[derive(Clone)]
pub struct TlsClient {
    config: Arc<ClientConfig>,
}

/// ring's provider. rustls 0.23.48 deprecates it because it has no
/// post-quantum key exchange; that lives in aws-lc-rs, whose C build and
/// size are kept out of the static binary on purpose.
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The host's roots, parsed once: the first bundle file with any
/// certificate in it, else the compiled-in Mozilla roots.
fn system_roots() -> &'static RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut roots = RootCertStore::empty();
        for bundle in SYSTEM_BUNDLES {
            if let Ok(bytes) = std::fs::read(bundle) {
                roots.add_parsable_certificates(
                    CertificateDer::pem_slice_iter(&bytes).filter_map(Result::ok),
                );
                if !roots.is_empty() {
                    return roots;
                }
            }
        }
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        roots
    })
}

/// A client certificate chain and its key.
type ClientPair = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

impl TlsClient {
    /// Verifies servers against the host's roots: for plain `https://`
    /// downloads.
    pub fn system() -> TlsClient {
        static CLIENT: OnceLock<TlsClient> = OnceLock::new();
        CLIENT
            .get_or_init(|| {
                TlsClient::verifying(system_roots().clone(), None)
                    .expect("a client without a certificate always builds")
            })
            .clone()
    }

    /// Verifies the registry `host` (`host[:port]`) against the host's
    /// roots plus the CAs of its certs.d directory, and presents that
    /// directory's client certificate when it has one.
    pub fn for_registry(host: &str) -> Result<TlsClient, String> {
        TlsClient::for_registry_in(Path::new(CERTS_DIR), host)
    }

    fn for_registry_in(certs_dir: &Path, host: &str) -> Result<TlsClient, String> {
        let mut roots = system_roots().clone();
        let pair = read_certs_directory(&certs_dir.join(host), &mut roots)?;
        TlsClient::verifying(roots, pair)
    }

    fn verifying(roots: RootCertStore, pair: Option<ClientPair>) -> Result<TlsClient, String> {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots);
        let config = match pair {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| format!("tls: {e}"))?,
            None => builder.with_no_client_auth(),
        };
        Ok(TlsClient {
            config: Arc::new(config),
        })
    }

    /// Accepts any server certificate (its handshake signature is still
    /// checked): what dockerd does for an insecure registry's https
    /// endpoint (`InsecureSkipVerify`).
    pub fn unverified() -> TlsClient {
        let provider = provider();
        let verifier = Arc::new(AnyCertificate(provider.clone()));
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default versions")
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        TlsClient {
            config: Arc::new(config),
        }
    }

    /// Runs the handshake with `host` over `tcp`, so that a certificate
    /// problem is reported here, worded as Go's.
    pub fn connect(&self, host: &str, mut tcp: TcpStream) -> Result<TlsStream, String> {
        let literal = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(literal.to_string())
            .map_err(|_| format!("tls: invalid server name {host:?}"))?;
        let mut connection = rustls::ClientConnection::new(self.config.clone(), name)
            .map_err(|e| format!("tls: {e}"))?;
        let previous = tcp.read_timeout().ok().flatten();
        let _ = tcp.set_read_timeout(Some(HANDSHAKE_TIMEOUT));
        let _ = tcp.set_write_timeout(Some(HANDSHAKE_TIMEOUT));
        let mut watched = FirstBytes {
            tcp: &mut tcp,
            first: Vec::new(),
        };
        while connection.is_handshaking() {
            if let Err(error) = connection.complete_io(&mut watched) {
                // Go's http client names this case (a plain http server).
                if watched.first.starts_with(b"HTTP/") {
                    return Err("http: server gave HTTP response to HTTPS client".into());
                }
                return Err(handshake_error_text(&error));
            }
        }
        let _ = tcp.set_read_timeout(previous);
        let _ = tcp.set_write_timeout(None);
        Ok(TlsStream(Arc::new(Mutex::new(rustls::StreamOwned::new(
            connection, tcp,
        )))))
    }
}

/// The TCP stream during a handshake, keeping the first bytes the server
/// sent to tell a plain http answer from a broken TLS one.
struct FirstBytes<'t> {
    tcp: &'t mut TcpStream,
    first: Vec<u8>,
}

impl Read for FirstBytes<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.tcp.read(buf)?;
        let wanted = 5usize.saturating_sub(self.first.len()).min(read);
        self.first.extend_from_slice(&buf[..wanted]);
        Ok(read)
    }
}

impl Write for FirstBytes<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// The certs.d directory of one registry, as moby's `ReadCertsDirectory`:
/// `*.crt` files add CAs, each `*.cert` needs its `*.key` and the other
/// way round. Go's tls picks among several client pairs by what the server
/// asks; rustls takes one, so the first by name is presented.
fn read_certs_directory(
    dir: &Path,
    roots: &mut RootCertStore,
) -> Result<Option<ClientPair>, String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(format!("open {}: {error}", dir.display())),
    };
    names.sort();
    let has = |name: &str| names.iter().any(|n| n == name);
    let mut pair = None;
    for name in &names {
        let path = dir.join(name);
        if name.ends_with(".crt") {
            let bytes =
                std::fs::read(&path).map_err(|e| format!("open {}: {e}", path.display()))?;
            // Go's AppendCertsFromPEM skips what it cannot parse.
            roots.add_parsable_certificates(
                CertificateDer::pem_slice_iter(&bytes).filter_map(Result::ok),
            );
        }
        if let Some(base) = name.strip_suffix(".cert") {
            let key = format!("{base}.key");
            if !has(&key) {
                return Err(format!(
                    "missing key {key} for client certificate {name}. Note that CA certificates should use the extension .crt"
                ));
            }
            let loaded = load_pair(&path, &dir.join(&key))?;
            pair.get_or_insert(loaded);
        }
        if let Some(base) = name.strip_suffix(".key") {
            let cert = format!("{base}.cert");
            if !has(&cert) {
                return Err(format!("missing client certificate {cert} for key {name}"));
            }
        }
    }
    Ok(pair)
}

fn load_pair(cert: &PathBuf, key: &PathBuf) -> Result<ClientPair, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| format!("tls: failed to read {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "tls: failed to find any PEM data in certificate input ({})",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("tls: failed to read {}: {e}", key.display()))?;
    Ok((chain, key))
}

/// A certificate verifier that trusts any certificate but still checks
/// the handshake signatures, so the peer holds the certificate's key.
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A TLS connection that `ClientConnection` can hold twice (reader and
/// writer): both handles share the one rustls session.
#[derive(Clone)]
pub struct TlsStream(Arc<Mutex<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>>);

impl TlsStream {
    fn session(
        &self,
    ) -> std::sync::MutexGuard<'_, rustls::StreamOwned<rustls::ClientConnection, TcpStream>> {
        // A panic while holding it leaves a session no worse than torn.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.session().read(buf)
    }
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.session().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.session().flush()
    }
}

impl ClientStream for TlsStream {
    fn try_clone(&self) -> io::Result<Self> {
        Ok(self.clone())
    }
}

/// Go's words for a failed handshake (`x509: certificate signed by
/// unknown authority`, `remote error: tls: bad certificate`).
fn handshake_error_text(error: &io::Error) -> String {
    match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(tls) => tls_error_text(tls),
        None if error.kind() == io::ErrorKind::WouldBlock
            || error.kind() == io::ErrorKind::TimedOut =>
        {
            "net/http: TLS handshake timeout".into()
        }
        None if error.kind() == io::ErrorKind::UnexpectedEof => "EOF".into(),
        None => super::fetch::errno_text(error),
    }
}

/// Go's wording of a TLS error that came through an `io::Error`, if it
/// is one: for alerts that arrive after the handshake (TLS 1.3 servers
/// judge the client's certificate then).
pub fn io_error_text(error: &io::Error) -> Option<String> {
    error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .map(tls_error_text)
}

fn tls_error_text(error: &rustls::Error) -> String {
    match error {
        rustls::Error::InvalidCertificate(certificate) => certificate_error_text(certificate),
        rustls::Error::AlertReceived(alert) => format!("remote error: tls: {}", alert_text(*alert)),
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            format!("tls: first record does not look like a TLS handshake ({error})")
        }
        other => format!("tls: {other}"),
    }
}

fn certificate_error_text(error: &CertificateError) -> String {
    match error {
        CertificateError::UnknownIssuer => "x509: certificate signed by unknown authority".into(),
        // Go: "x509: certificate is valid for a, b, not c"; webpki gives
        // the names as its own debug text, so they are shown as they come.
        CertificateError::NotValidForNameContext {
            expected,
            presented,
        } => format!(
            "x509: certificate is not valid for {} (it is for: {})",
            expected.to_str(),
            presented.join(", ")
        ),
        CertificateError::NotValidForName => {
            "x509: certificate is not valid for the name asked for".into()
        }
        CertificateError::Expired
        | CertificateError::ExpiredContext { .. }
        | CertificateError::NotValidYet
        | CertificateError::NotValidYetContext { .. } => {
            format!("x509: certificate has expired or is not yet valid ({error})")
        }
        _ => format!("x509: {error}"),
    }
}

/// An alert's name in Go's words: `BadCertificate` as `bad certificate`.
fn alert_text(alert: AlertDescription) -> String {
    let name = format!("{alert:?}");
    let mut text = String::new();
    for (index, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && index > 0 {
            text.push(' ');
        }
        text.push(c.to_ascii_lowercase());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dockbox-tls-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_cert_without_its_key_and_a_key_without_its_cert_fail_as_in_moby() {
        let dir = temp_dir("pairs");
        let host = dir.join("reg:5000");
        std::fs::create_dir_all(&host).unwrap();
        std::fs::write(host.join("client.cert"), "x").unwrap();
        let error = TlsClient::for_registry_in(&dir, "reg:5000").err().unwrap();
        assert_eq!(
            error,
            "missing key client.key for client certificate client.cert. Note that CA certificates should use the extension .crt"
        );
        std::fs::remove_file(host.join("client.cert")).unwrap();
        std::fs::write(host.join("client.key"), "x").unwrap();
        let error = TlsClient::for_registry_in(&dir, "reg:5000").err().unwrap();
        assert_eq!(
            error,
            "missing client certificate client.cert for key client.key"
        );
        // No directory for the host: the system roots alone.
        assert!(TlsClient::for_registry_in(&dir, "other:5000").is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn errors_read_as_go_words_them() {
        assert_eq!(
            tls_error_text(&rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer
            )),
            "x509: certificate signed by unknown authority"
        );
        assert_eq!(
            tls_error_text(&rustls::Error::AlertReceived(
                AlertDescription::BadCertificate
            )),
            "remote error: tls: bad certificate"
        );
        assert_eq!(
            alert_text(AlertDescription::CertificateRequired),
            "certificate required"
        );
    }
}
