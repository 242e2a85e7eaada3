//! The HTTP clients' builder: every client the tool makes (the API's, the token endpoint's)
//! starts here, with the tool's user agent and one set of TLS settings for the whole run.
//!
//! Building the TLS settings reads and parses every root certificate the system trusts (the
//! platform verifier, as reqwest's own `rustls` feature builds it), which costs more CPU than
//! reading a 1,000-user account. Each account connects with two clients, so a workspace of
//! three accounts paid for it six times; now the settings are built once and each client
//! takes a copy (the verifier and its roots are shared, not copied). The settings hold no
//! connection, so sharing them is safe across runtimes, unlike sharing a client's pool.

use std::sync::{Arc, OnceLock};

/// `reqwest::Client::builder()` with the user agent and the run's TLS settings; the reason
/// when the system's root certificates can't be read.
pub fn builder() -> Result<reqwest::ClientBuilder, String> {
    Ok(reqwest::Client::builder()
        .user_agent(concat!("docusign-gitops/", env!("CARGO_PKG_VERSION")))
        .tls_backend_preconfigured(tls()?))
}

/// The run's TLS settings: what reqwest builds by default (TLS 1.2 and 1.3, aws-lc, the
/// platform's roots, HTTP/1.1 by ALPN), built on first use.
fn tls() -> Result<rustls::ClientConfig, String> {
    static TLS: OnceLock<Result<rustls::ClientConfig, String>> = OnceLock::new();
    TLS.get_or_init(|| {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = rustls_platform_verifier::Verifier::new(Arc::clone(&provider))
            .map_err(|err| format!("can't read the system's root certificates: {err}"))?;
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| format!("can't set up TLS: {err}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_client_takes_the_same_verifier() {
        let first = tls().expect("the system's roots");
        let second = tls().expect("the system's roots");
        assert!(Arc::ptr_eq(
            &first.crypto_provider().clone(),
            second.crypto_provider()
        ));
        assert_eq!(first.alpn_protocols, vec![b"http/1.1".to_vec()]);
        // reqwest takes the settings (a version it doesn't know would fail here).
        builder()
            .expect("a builder")
            .build()
            .expect("reqwest accepts the TLS settings");
    }
}
