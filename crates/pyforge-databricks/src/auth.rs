//! The `Authorization` header: a personal access token as is, or an OAuth M2M access token.
//!
//! OAuth M2M (a service principal's client id and secret): the token endpoint is discovered from
//! `{host}/oidc/.well-known/oauth-authorization-server`, a token is requested with the
//! client-credentials grant and scope `all-apis` (client id and secret in HTTP Basic auth), and
//! it is cached and fetched anew shortly before it expires (or after a 401).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::{AuthMethod, Config, Secret};
use crate::error::{Error, Result};

/// The path of the OAuth discovery document.
pub(crate) const DISCOVERY_PATH: &str = "/oidc/.well-known/oauth-authorization-server";

/// How the authenticator reaches the workspace's OAuth endpoints: through the very client it
/// authenticates (`http.rs` implements this for `HttpClient`), so this module needs nothing
/// of the client's internals and the client all of this module's.
pub(crate) trait TokenTransport {
    /// The OAuth discovery document ([`DISCOVERY_PATH`]), fetched without authentication.
    fn discovery(&self) -> Result<serde_json::Value>;
    /// The body of the token endpoint's answer to a client-credentials grant for `client_id`
    /// (`basic`: its HTTP Basic credentials), retried as every request is.
    fn token_response(&self, endpoint: &str, client_id: &str, basic: &str) -> Result<String>;
}

/// Produces the `Authorization` header for requests.
pub struct Authenticator {
    kind: Kind,
}

enum Kind {
    /// No credentials (requests go out without the header).
    None,
    Pat(Secret),
    M2m(Box<M2m>),
}

struct M2m {
    client_id: String,
    client_secret: Secret,
    token_endpoint: Mutex<Option<String>>,
    cached: Mutex<Option<CachedToken>>,
}

#[derive(Clone)]
struct CachedToken {
    token: Secret,
    /// When to fetch a new one (some time before the real expiry).
    refresh_at: Instant,
}

/// How long before its expiry a token is replaced: a minute, or a tenth of its lifetime for
/// short-lived tokens, so a request never starts with a token about to lapse.
fn refresh_margin(lifetime: Duration) -> Duration {
    Duration::from_secs(60).min(lifetime / 10)
}

impl Authenticator {
    /// From the resolved configuration (errors if no method can be chosen).
    pub fn new(config: &Config) -> Result<Authenticator> {
        let kind = match config.method()? {
            AuthMethod::Pat => Kind::Pat(config.token.clone().expect("method() checked the token")),
            AuthMethod::OAuthM2m => Kind::M2m(Box::new(M2m {
                client_id: config.client_id.clone().expect("method() checked the client id"),
                client_secret: config.client_secret.clone().expect("method() checked the secret"),
                token_endpoint: Mutex::new(None),
                cached: Mutex::new(None),
            })),
        };
        Ok(Authenticator { kind })
    }

    /// No credentials at all.
    pub fn none() -> Authenticator {
        Authenticator { kind: Kind::None }
    }

    /// True when a new token can be fetched (OAuth), so a 401 is worth one more try.
    pub fn can_refresh(&self) -> bool {
        matches!(self.kind, Kind::M2m(_))
    }

    /// Forget the cached OAuth token.
    pub fn invalidate(&self) {
        if let Kind::M2m(m) = &self.kind {
            *m.cached.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
    }

    /// The token in use now, if any (so messages can be scrubbed of it).
    pub(crate) fn current_token(&self) -> Option<Secret> {
        match &self.kind {
            Kind::None => None,
            Kind::Pat(t) => Some(t.clone()),
            // try_lock: this runs while a token is being fetched too (scrubbing its errors).
            Kind::M2m(m) => m.cached.try_lock().ok().and_then(|c| c.as_ref().map(|c| c.token.clone())),
        }
    }

    /// The header value (`Bearer ...`), fetching an OAuth token when needed.
    pub(crate) fn header(&self, http: &dyn TokenTransport) -> Result<Option<String>> {
        match &self.kind {
            Kind::None => Ok(None),
            Kind::Pat(t) => Ok(Some(format!("Bearer {}", t.expose()))),
            Kind::M2m(m) => {
                let mut cached = m.cached.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(c) = cached.as_ref() {
                    if Instant::now() < c.refresh_at {
                        return Ok(Some(format!("Bearer {}", c.token.expose())));
                    }
                }
                let fresh = m.fetch(http)?;
                let h = format!("Bearer {}", fresh.token.expose());
                *cached = Some(fresh);
                Ok(Some(h))
            }
        }
    }
}

impl M2m {
    fn endpoint(&self, http: &dyn TokenTransport) -> Result<String> {
        let mut ep = self.token_endpoint.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = ep.as_ref() {
            return Ok(e.clone());
        }
        let doc = http.discovery()?;
        let found = doc
            .get("token_endpoint")
            .and_then(|v| v.as_str())
            .ok_or_else(|| Error::Protocol {
                method: "GET".into(),
                path: DISCOVERY_PATH.into(),
                message: "no token_endpoint in the OAuth discovery document".into(),
            })?
            .to_string();
        *ep = Some(found.clone());
        Ok(found)
    }

    fn fetch(&self, http: &dyn TokenTransport) -> Result<CachedToken> {
        let endpoint = self.endpoint(http)?;
        let basic = base64(format!("{}:{}", self.client_id, self.client_secret.expose()).as_bytes());
        let shown = "OAuth token endpoint";
        let started = Instant::now();
        let doc = http.token_response(&endpoint, &self.client_id, &basic)?;
        let v: serde_json::Value = serde_json::from_str(&doc).map_err(|e| Error::Protocol {
            method: "POST".into(),
            path: shown.into(),
            message: format!("invalid JSON: {e}"),
        })?;
        let token = v.get("access_token").and_then(|t| t.as_str()).ok_or_else(|| Error::Protocol {
            method: "POST".into(),
            path: shown.into(),
            message: "no access_token in the token response".into(),
        })?;
        let lifetime = Duration::from_secs(v.get("expires_in").and_then(|e| e.as_u64()).unwrap_or(3600));
        Ok(CachedToken { token: Secret::new(token), refresh_at: started + lifetime - refresh_margin(lifetime) })
    }
}

/// Standard base64 (for the HTTP Basic header): a dozen lines rather than a dependency.
fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { T[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { T[n as usize & 63] as char } else { '=' });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_known_values() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"client:s3cr3t"), "Y2xpZW50OnMzY3IzdA==");
    }

    #[test]
    fn margin() {
        assert_eq!(refresh_margin(Duration::from_secs(3600)), Duration::from_secs(60));
        assert_eq!(refresh_margin(Duration::from_secs(10)), Duration::from_secs(1));
    }
}
