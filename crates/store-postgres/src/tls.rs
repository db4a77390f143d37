//! TLS to PostgreSQL, as libpq's `sslmode` says, through rustls (no OpenSSL):
//!
//! - `disable`, `prefer` or none: plain TCP. (`prefer` would try TLS first in libpq;
//!   depot connects in plain text unless asked, as it always has.)
//! - `require`: encrypted, the server's certificate not checked (libpq's meaning
//!   without a root certificate): safe against listeners, not against an impostor.
//! - `verify-ca`: encrypted, the certificate signed by a trusted authority.
//! - `verify-full`: that, and issued for the host in the URL.
//!
//! The trusted authorities are the system's, or the file `sslrootcert=PATH` names.
//! tokio-postgres knows neither `verify-*` nor `sslrootcert`, so [`split`] takes them
//! out of the URL (as `require`) before it is parsed.

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, Error, RootCertStore, SignatureScheme,
};
use std::path::PathBuf;
use std::sync::Arc;

/// What the URL asks of the connection's encryption.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tls {
    /// Whatever tokio-postgres makes of the URL's own `sslmode` (plain text).
    Plain,
    Encrypt,
    VerifyCa(Option<PathBuf>),
    VerifyFull(Option<PathBuf>),
}

/// The URL without what only this module reads, and what it asks for.
pub(crate) fn split(url: &str) -> Result<(String, Tls), String> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), Tls::Plain));
    };
    let (mut mode, mut root) = (None, None);
    let mut kept = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("sslmode", value)) => {
                mode = Some(value.to_owned());
                kept.push("sslmode=require".to_owned());
            }
            Some(("sslrootcert", value)) => root = Some(PathBuf::from(decode(value)?)),
            _ => kept.push(pair.to_owned()),
        }
    }
    let tls = match mode.as_deref() {
        None | Some("disable" | "prefer") => {
            kept.retain(|p| p != "sslmode=require");
            Tls::Plain
        }
        Some("require") => Tls::Encrypt,
        Some("verify-ca") => Tls::VerifyCa(root),
        Some("verify-full") => Tls::VerifyFull(root),
        Some(other) => {
            return Err(format!(
                "sslmode={other} is not one of disable, prefer, require, verify-ca, verify-full"
            ));
        }
    };
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, tls))
}

/// The rustls configuration for `tls` (`None` for plain text).
pub(crate) fn client_config(tls: &Tls) -> Result<Option<ClientConfig>, String> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = match tls {
        Tls::Plain => return Ok(None),
        Tls::Encrypt => Arc::new(Unchecked(provider)),
        Tls::VerifyCa(root) => Arc::new(AnyName(webpki(root.as_ref(), provider)?)),
        Tls::VerifyFull(root) => webpki(root.as_ref(), provider)?,
    };
    Ok(Some(
        builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth(),
    ))
}

fn webpki(
    root: Option<&PathBuf>,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, String> {
    let mut roots = RootCertStore::empty();
    match root {
        Some(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(|c| c.collect())
                .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
            roots.add_parsable_certificates(certs);
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            roots.add_parsable_certificates(found.certs);
        }
    }
    if roots.is_empty() {
        return Err("no trusted certificate authority to verify the database's certificate with; name one with sslrootcert=PATH".into());
    }
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| format!("TLS: {e}"))
}

#[expect(
    deprecated,
    reason = "rustls now steers towards aws-lc-rs for post-quantum key exchange; aws-lc \
              is a C build under the OpenSSL licence, which deny.toml keeps out"
)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// `%XX` escapes of a URL's query value.
fn decode(value: &str) -> Result<String, String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("a %-escape in the URL is not two hex digits")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "sslrootcert is not UTF-8".into())
}

/// `sslmode=require`: any certificate, but the handshake's signatures still checked
/// (so the session is encrypted to whoever holds that certificate's key).
#[derive(Debug)]
struct Unchecked(Arc<CryptoProvider>);

impl ServerCertVerifier for Unchecked {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        let algorithms = &self.0.signature_verification_algorithms;
        rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `sslmode=verify-ca`: the chain to a trusted authority, whatever name it was
/// issued for.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_keeps_what_tokio_postgres_reads_and_gives_up_the_rest() {
        let (url, tls) = split(
            "postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Ftmp%2Fca.pem&application_name=x",
        )
        .unwrap();
        assert_eq!(url, "postgres://u@h/db?sslmode=require&application_name=x");
        assert_eq!(tls, Tls::VerifyFull(Some("/tmp/ca.pem".into())));
        assert_eq!(split("postgres://u@h/db").unwrap().1, Tls::Plain);
        let (url, tls) = split("postgres://u@h/db?sslmode=disable").unwrap();
        assert_eq!((url.as_str(), tls), ("postgres://u@h/db", Tls::Plain));
        assert_eq!(
            split("postgres://h/d?sslmode=require").unwrap().1,
            Tls::Encrypt
        );
        assert!(split("postgres://h/d?sslmode=always").is_err());
    }
}
