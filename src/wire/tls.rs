//! TLS for client connections: the certificate chain and key from PEM files, and the
//! upgrade of a plain connection after the client's SSL request.
//!
//! Wire sequence: the server's greeting offers CLIENT_SSL; the client answers with a
//! 32-byte SSL request (the first 32 bytes of its handshake response), then starts a TLS
//! handshake on the same socket; the handshake response follows inside TLS with the next
//! sequence id.

use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::TlsAcceptor;

use super::config::TlsFiles;
use super::WireError;

/// Builds the TLS acceptor from the configured PEM files (ring provider, TLS 1.2 and
/// 1.3, no client certificates).
pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, WireError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| WireError::Tls(format!("certificate {}: {e}", files.cert.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| WireError::Tls(format!("certificate {}: {e}", files.cert.display())))?;
    if certs.is_empty() {
        return Err(WireError::Tls(format!(
            "certificate {}: no CERTIFICATE block in the file",
            files.cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| WireError::Tls(format!("key {}: {e}", files.key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| WireError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            WireError::Tls(format!(
                "certificate {} with key {}: {e}",
                files.cert.display(),
                files.key.display()
            ))
        })?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Runs the server side of the TLS handshake on `tcp`.
pub async fn upgrade(
    acceptor: &TlsAcceptor,
    tcp: TcpStream,
) -> Result<tokio_rustls::server::TlsStream<TcpStream>, WireError> {
    acceptor
        .accept(tcp)
        .await
        .map_err(|e| WireError::Tls(format!("handshake: {e}")))
}
