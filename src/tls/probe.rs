//! Fetching the certificate chain a server serves: TCP, a TLS handshake that accepts any
//! certificate, the chain as served, and a polite close. It judges nothing about the chain:
//! expiry, names and trust are decided elsewhere, from the bytes this returns.
//!
//! Every attempt ends by its deadline, and every way it can fail is a `ProbeFailure` kind a
//! report can act on: the server's refusal or silence apart from this machine's own limits.

use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ClientConnection, Resumption};
use rustls::crypto::{WebPkiSupportedAlgorithms, ring};
use rustls::pki_types::{CertificateDer, DnsName, ServerName, UnixTime};
use rustls::{
    AlertDescription, CipherSuite, ClientConfig, DigitallySignedStruct, PeerIncompatible,
    ProtocolVersion, SignatureScheme,
};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::trust::TrustName;

/// How long the close_notify may take once the chain is in hand: it is a courtesy, and the
/// answer is already complete.
const CLOSE_GRACE: Duration = Duration::from_millis(250);

/// What one handshake served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServedChain {
    /// The address connected to.
    pub address: SocketAddr,
    /// The certificates, DER, in the order the server sent them: the leaf first, then
    /// whatever else it chose to send, unchecked (missing, extra or out of order).
    pub certificates: Vec<Vec<u8>>,
    /// The TLS version negotiated (`ProtocolVersion::TLSv1_2` or `TLSv1_3`).
    pub protocol: ProtocolVersion,
    /// The cipher suite negotiated; its `Debug` is the IANA-style name rustls gives it.
    pub cipher_suite: CipherSuite,
}

/// The name to present to the server, and so whether SNI is sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerNameChoice {
    /// The host name as given: sent as SNI.
    Dns(DnsName<'static>),
    /// An IP address was given: no SNI is sent, as TLS forbids an address in it.
    Ip(IpAddr),
    /// A name chosen apart from the host (`--servername`): sent as SNI instead.
    Override(DnsName<'static>),
}

/// A host or `--servername` that is neither an IP address nor a valid DNS name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a host name or IP address: {0:?}")]
pub struct InvalidServerName(pub String);

impl ServerNameChoice {
    /// The host as typed: an IP address when it reads as one, else a DNS name.
    pub fn for_host(host: &str) -> Result<Self, InvalidServerName> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(Self::Ip(ip));
        }
        dns_name(host).map(Self::Dns)
    }

    /// A name given with `--servername`, sent whatever the host is.
    pub fn overriding(name: &str) -> Result<Self, InvalidServerName> {
        dns_name(name).map(Self::Override)
    }

    /// The name sent as SNI, if any.
    pub fn sni(&self) -> Option<&str> {
        match self {
            Self::Dns(name) | Self::Override(name) => Some(name.as_ref()),
            Self::Ip(_) => None,
        }
    }

    /// The name as rustls takes it: for an IP address rustls sends no SNI.
    fn server_name(&self) -> ServerName<'static> {
        match self {
            Self::Dns(name) | Self::Override(name) => ServerName::DnsName(name.clone()),
            Self::Ip(ip) => ServerName::IpAddress((*ip).into()),
        }
    }
}

impl From<&ServerNameChoice> for TrustName {
    /// The name the certificate must be valid for: the one presented to the server.
    fn from(choice: &ServerNameChoice) -> Self {
        match choice {
            ServerNameChoice::Dns(name) | ServerNameChoice::Override(name) => {
                TrustName::dns(name.clone())
            }
            ServerNameChoice::Ip(ip) => TrustName::ip(*ip),
        }
    }
}

fn dns_name(text: &str) -> Result<DnsName<'static>, InvalidServerName> {
    DnsName::try_from(text.to_owned()).map_err(|_| InvalidServerName(text.to_owned()))
}

/// Why no chain was fetched.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ProbeFailure {
    /// The port is closed: the host answered the SYN with a reset.
    #[error("connection refused")]
    Refused,
    /// No route, network down, or another failure to connect.
    #[error("could not connect: {0}")]
    Unreachable(io::ErrorKind),
    /// No TCP connection by the deadline.
    #[error("no connection before the deadline")]
    ConnectTimeout,
    /// Connected, but the handshake had not finished by the deadline.
    #[error("connected, but the tls handshake did not finish before the deadline")]
    HandshakeTimeout,
    /// The server closed or reset the connection before the handshake finished.
    #[error("the server closed the connection during the tls handshake")]
    ClosedDuringHandshake,
    /// The handshake failed: an alert from the server or a protocol error.
    #[error("tls handshake failed: {0}")]
    Handshake(HandshakeError),
    /// The handshake carried no certificate.
    #[error("the server sent no certificate")]
    NoCertificate,
    /// This machine ran out of file descriptors: says nothing about the server.
    #[error("out of file descriptors {0}")]
    LocalLimit(DescriptorLimit),
}

impl ProbeFailure {
    /// The stable code reports give it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Refused => "connection-refused",
            Self::Unreachable(_) => "unreachable",
            Self::ConnectTimeout => "connect-timeout",
            Self::HandshakeTimeout => "handshake-timeout",
            Self::ClosedDuringHandshake => "closed-during-handshake",
            Self::Handshake(_) => "handshake-failed",
            Self::NoCertificate => "no-certificate",
            Self::LocalLimit(_) => "local-limit",
        }
    }
}

/// How a handshake failed, as typed as rustls gives it.
#[derive(Clone, Debug, PartialEq)]
pub enum HandshakeError {
    /// The server sent a fatal alert: what it objected to.
    Alert(AlertDescription),
    /// Nothing in common: no shared version, cipher suite, group or signature scheme.
    Incompatible(PeerIncompatible),
    /// Anything else rustls refused: a malformed or unexpected message, a bad signature.
    Protocol(rustls::Error),
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Alert(alert) => write!(f, "the server sent the alert {alert:?}"),
            Self::Incompatible(why) => write!(f, "nothing in common with the server ({why:?})"),
            Self::Protocol(error) => write!(f, "{error}"),
        }
    }
}

/// Which limit on open files was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DescriptorLimit {
    /// EMFILE: this process's limit (`ulimit -n`).
    Process,
    /// ENFILE: the whole machine's.
    System,
}

impl fmt::Display for DescriptorLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Process => "in this process (EMFILE)",
            Self::System => "on this machine (ENFILE)",
        })
    }
}

/// Fetches chains with one client configuration, built once for a run of many hosts.
#[derive(Clone, Debug)]
pub struct Prober {
    config: Arc<ClientConfig>,
}

impl Default for Prober {
    fn default() -> Self {
        Self::new()
    }
}

impl Prober {
    /// A prober speaking TLS 1.2 and 1.3 with the ring provider's algorithms, accepting any
    /// certificate, and never resuming a session: a resumed session serves no certificate.
    pub fn new() -> Self {
        let provider = Arc::new(ring::default_provider());
        let verifier = Arc::new(AcceptAnyChain {
            algorithms: provider.signature_verification_algorithms,
        });
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(rustls::ALL_VERSIONS)
            // Fails only for a provider with no suite for the versions asked; ring's default
            // has suites for both, so this is a fixed fact, not something a server can cause.
            .expect("the ring provider supports TLS 1.2 and 1.3")
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        config.resumption = Resumption::disabled();
        Self {
            config: Arc::new(config),
        }
    }

    /// Connects to `address`, completes a handshake presenting `server_name`, and returns
    /// the chain served; all by `deadline`.
    pub async fn fetch_chain(
        &self,
        address: SocketAddr,
        server_name: ServerNameChoice,
        deadline: Instant,
    ) -> Result<ServedChain, ProbeFailure> {
        let tcp = connect(address, deadline).await?;
        let connector = TlsConnector::from(Arc::clone(&self.config));
        let handshake = connector.connect(server_name.server_name(), tcp);
        let stream = match timeout_at(deadline, handshake).await {
            Err(_) => return Err(ProbeFailure::HandshakeTimeout),
            Ok(Err(error)) => return Err(handshake_failure(&error)),
            Ok(Ok(stream)) => stream,
        };
        let served = read_served(address, stream.get_ref().1);
        close_politely(stream, deadline).await;
        served
    }
}

/// `Prober::fetch_chain` with one prober shared by the whole process.
pub async fn fetch_chain(
    address: SocketAddr,
    server_name: ServerNameChoice,
    deadline: Instant,
) -> Result<ServedChain, ProbeFailure> {
    static SHARED: OnceLock<Prober> = OnceLock::new();
    let prober = SHARED.get_or_init(Prober::new);
    prober.fetch_chain(address, server_name, deadline).await
}

async fn connect(address: SocketAddr, deadline: Instant) -> Result<TcpStream, ProbeFailure> {
    match timeout_at(deadline, TcpStream::connect(address)).await {
        Err(_) => Err(ProbeFailure::ConnectTimeout),
        Ok(Err(error)) => Err(connect_failure(&error)),
        Ok(Ok(stream)) => Ok(stream),
    }
}

fn connect_failure(error: &io::Error) -> ProbeFailure {
    if let Some(limit) = descriptor_limit(error) {
        return ProbeFailure::LocalLimit(limit);
    }
    match error.kind() {
        io::ErrorKind::ConnectionRefused => ProbeFailure::Refused,
        io::ErrorKind::TimedOut => ProbeFailure::ConnectTimeout,
        kind => ProbeFailure::Unreachable(kind),
    }
}

/// tokio-rustls wraps what rustls rejected in an `io::Error`; the rest is the socket's.
fn handshake_failure(error: &io::Error) -> ProbeFailure {
    let rejected = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    if let Some(rejected) = rejected {
        return tls_failure(rejected.clone());
    }
    match error.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::BrokenPipe => ProbeFailure::ClosedDuringHandshake,
        io::ErrorKind::TimedOut => ProbeFailure::HandshakeTimeout,
        kind => ProbeFailure::Unreachable(kind),
    }
}

fn tls_failure(error: rustls::Error) -> ProbeFailure {
    match error {
        rustls::Error::NoCertificatesPresented => ProbeFailure::NoCertificate,
        rustls::Error::AlertReceived(alert) => {
            ProbeFailure::Handshake(HandshakeError::Alert(alert))
        }
        rustls::Error::PeerIncompatible(why) => {
            ProbeFailure::Handshake(HandshakeError::Incompatible(why))
        }
        other => ProbeFailure::Handshake(HandshakeError::Protocol(other)),
    }
}

/// The OS error for running out of file descriptors, if it is one. EMFILE and ENFILE are 24
/// and 23 on every Unix; Winsock has its own WSAEMFILE.
fn descriptor_limit(error: &io::Error) -> Option<DescriptorLimit> {
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    const WSAEMFILE: i32 = 10024;
    match error.raw_os_error()? {
        EMFILE if cfg!(unix) => Some(DescriptorLimit::Process),
        ENFILE if cfg!(unix) => Some(DescriptorLimit::System),
        WSAEMFILE if cfg!(windows) => Some(DescriptorLimit::Process),
        _ => None,
    }
}

fn read_served(
    address: SocketAddr,
    connection: &ClientConnection,
) -> Result<ServedChain, ProbeFailure> {
    let certificates: Vec<Vec<u8>> = connection
        .peer_certificates()
        .unwrap_or_default()
        .iter()
        .map(|certificate| certificate.to_vec())
        .collect();
    if certificates.is_empty() {
        return Err(ProbeFailure::NoCertificate);
    }
    // Both are known once the handshake is complete; their absence would be rustls's own
    // way of saying it is not.
    let incomplete = || {
        ProbeFailure::Handshake(HandshakeError::Protocol(
            rustls::Error::HandshakeNotComplete,
        ))
    };
    let protocol = connection.protocol_version().ok_or_else(incomplete)?;
    let cipher_suite = connection
        .negotiated_cipher_suite()
        .ok_or_else(incomplete)?
        .suite();
    Ok(ServedChain {
        address,
        certificates,
        protocol,
        cipher_suite,
    })
}

/// Sends close_notify and reads to the server's own close, briefly: the chain is already
/// read, so a slow or gone peer costs at most the grace period and never time past the
/// deadline. Reading first leaves nothing unread (a TLS 1.3 server's session tickets, its
/// close_notify), so closing the socket sends a FIN, not a reset that can overtake ours.
async fn close_politely(mut stream: TlsStream<TcpStream>, deadline: Instant) {
    let until = deadline.min(Instant::now() + CLOSE_GRACE);
    let close = async {
        stream.shutdown().await?;
        tokio::io::copy(&mut stream, &mut tokio::io::sink()).await
    };
    // A failed or late close changes nothing about what was served.
    let _ = timeout_at(until, close).await;
}

/// Accepts every certificate chain: the probe reads chains, it does not judge them. The
/// handshake's own signatures are still checked, which shows the server holds the key of the
/// leaf it served.
#[derive(Debug)]
struct AcceptAnyChain {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyChain {
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
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, certificate, signature, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        certificate: &CertificateDer<'_>,
        signature: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, certificate, signature, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ip_address_sends_no_sni() {
        let choice = ServerNameChoice::for_host("127.0.0.1").unwrap();
        assert_eq!(choice, ServerNameChoice::Ip(IpAddr::from([127, 0, 0, 1])));
        assert_eq!(choice.sni(), None);
        let v6 = ServerNameChoice::for_host("::1").unwrap();
        assert_eq!(v6.sni(), None);
    }

    #[test]
    fn a_host_name_or_override_is_sent_as_sni() {
        let host = ServerNameChoice::for_host("example.com").unwrap();
        assert_eq!(host.sni(), Some("example.com"));
        let chosen = ServerNameChoice::overriding("other.example").unwrap();
        assert_eq!(chosen.sni(), Some("other.example"));
    }

    #[test]
    fn a_name_that_is_neither_is_refused() {
        assert!(ServerNameChoice::for_host("not a name").is_err());
        assert!(ServerNameChoice::overriding("").is_err());
    }

    #[test]
    fn alerts_and_missing_certificates_are_typed() {
        assert_eq!(
            tls_failure(rustls::Error::AlertReceived(
                AlertDescription::HandshakeFailure
            )),
            ProbeFailure::Handshake(HandshakeError::Alert(AlertDescription::HandshakeFailure))
        );
        assert_eq!(
            tls_failure(rustls::Error::NoCertificatesPresented),
            ProbeFailure::NoCertificate
        );
    }

    #[test]
    fn running_out_of_descriptors_is_a_local_limit() {
        let emfile = io::Error::from_raw_os_error(24);
        let enfile = io::Error::from_raw_os_error(23);
        if cfg!(unix) {
            assert_eq!(
                connect_failure(&emfile),
                ProbeFailure::LocalLimit(DescriptorLimit::Process)
            );
            assert_eq!(
                connect_failure(&enfile),
                ProbeFailure::LocalLimit(DescriptorLimit::System)
            );
        }
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(connect_failure(&refused), ProbeFailure::Refused);
    }

    #[test]
    fn a_closed_socket_mid_handshake_is_closed_during_handshake() {
        let eof = io::Error::from(io::ErrorKind::UnexpectedEof);
        assert_eq!(handshake_failure(&eof), ProbeFailure::ClosedDuringHandshake);
        let wrapped = io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::ProtocolVersion),
        );
        assert_eq!(
            handshake_failure(&wrapped),
            ProbeFailure::Handshake(HandshakeError::Alert(AlertDescription::ProtocolVersion))
        );
    }
}
