//! The HTTP layer every API call goes through: the workspace URL, the `Authorization` header,
//! retries of transient failures, and error messages that name the path but never a secret.
//!
//! Transient: HTTP 429 (honouring `Retry-After` in seconds), 500, 502, 503, 504, and dropped
//! or reset connections. Waits grow exponentially (base × 2^attempt, capped) with jitter
//! (each wait is drawn between half and all of that), so many clients do not retry in step.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ureq::http::{self, Response};

use crate::auth::{Authenticator, TokenTransport, DISCOVERY_PATH};
use crate::config::{Config, Secret};
use crate::error::{Error, Result};

/// How often and how patiently to retry transient failures.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in total (1 = no retry).
    pub max_attempts: u32,
    /// The first wait; it doubles with each further attempt.
    pub base_delay: Duration,
    /// The longest wait between two attempts (before jitter).
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured; a server asking for more gets this.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 7,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (`attempt` counts from 1), jittered.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let capped = exp.min(self.max_delay);
        capped.mul_f64(0.5 + fastrand::f64() * 0.5)
    }
}

/// A request body.
pub enum Body<'a> {
    /// No body.
    Empty,
    /// A file streamed from disk (re-opened for each attempt; `Content-Length` from its size).
    File(&'a Path),
    /// Bytes held in memory (small JSON or form bodies).
    Bytes { content_type: &'static str, data: Vec<u8> },
}

/// One API request.
pub struct Request<'a> {
    /// `GET`, `PUT`, `HEAD`, `POST`, `DELETE`.
    pub method: &'static str,
    /// Path and query below the workspace URL (already percent-encoded), or an absolute URL.
    pub url: String,
    /// What error messages call the target (a Volume path, an API name).
    pub shown: String,
    /// Extra headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Body<'a>,
    /// Send the `Authorization` header (false for the OAuth token endpoint itself).
    pub authenticated: bool,
}

impl<'a> Request<'a> {
    /// An authenticated request with no body.
    pub fn new(method: &'static str, url: String, shown: impl Into<String>) -> Self {
        Request { method, url, shown: shown.into(), headers: Vec::new(), body: Body::Empty, authenticated: true }
    }

    /// Add a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Set the body.
    pub fn body(mut self, body: Body<'a>) -> Self {
        self.body = body;
        self
    }
}

/// Called before each retry with a one-line reason (no secrets), e.g. for `-v` output.
pub type RetryNotice = Arc<dyn Fn(&str) + Send + Sync>;

/// A client for one workspace.
pub struct HttpClient {
    agent: ureq::Agent,
    host: String,
    auth: Authenticator,
    retry: RetryPolicy,
    secrets: Vec<Secret>,
    notice: Option<RetryNotice>,
}

/// The result of one attempt.
pub(crate) enum Attempt<T> {
    Done(T),
    Retry { after: Option<Duration>, error: Error },
    Fail(Error),
}

impl HttpClient {
    /// A client for the workspace and credentials of `config` (errors if either is missing).
    pub fn new(config: &Config) -> Result<HttpClient> {
        let host = config.require_host()?.to_string();
        let auth = Authenticator::new(config)?;
        let timeout =
            Duration::from_secs(config.http_timeout_seconds.unwrap_or(crate::config::DEFAULT_HTTP_TIMEOUT_SECONDS));
        Ok(Self::with_parts(host, auth, config.secrets(), timeout))
    }

    /// `timeout`: the longest silence (no response, no bytes read or written) before an attempt
    /// is given up as a dropped connection and retried.
    pub(crate) fn with_parts(host: String, auth: Authenticator, secrets: Vec<Secret>, timeout: Duration) -> HttpClient {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(timeout.min(Duration::from_secs(30))))
            .timeout_recv_response(Some(timeout))
            .timeout_per_read(Some(timeout))
            .timeout_per_write(Some(timeout))
            .user_agent(concat!("pyforge/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        HttpClient { agent, host, auth, retry: RetryPolicy::default(), secrets, notice: None }
    }

    /// Use another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Be told about retries.
    pub fn with_retry_notice(mut self, notice: RetryNotice) -> Self {
        self.notice = Some(notice);
        self
    }

    /// The workspace URL.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The retry policy in use.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// Remove every secret in use from `s` (for messages that come from servers).
    pub fn scrub(&self, s: &str) -> String {
        let mut out = s.to_string();
        for secret in &self.secrets {
            if !secret.expose().is_empty() {
                out = out.replace(secret.expose(), "***");
            }
        }
        if let Some(t) = self.auth.current_token() {
            if !t.expose().is_empty() {
                out = out.replace(t.expose(), "***");
            }
        }
        out
    }

    pub(crate) fn notify(&self, msg: &str) {
        if let Some(n) = &self.notice {
            n(msg);
        }
    }

    fn url(&self, url: &str) -> String {
        if url.starts_with("http://") || url.starts_with("https://") {
            url.to_string()
        } else {
            format!("{}{}", self.host, url)
        }
    }

    /// Send `req`, retrying transient failures; a success status (2xx) comes back with its
    /// body unread, anything else becomes an [`Error`].
    pub fn send(&self, req: &Request) -> Result<Response<ureq::Body>> {
        self.with_retries(req.method, &req.shown, || self.attempt(req))
    }

    /// Run `attempt` until it is done, fails for good, or the attempts are used up.
    pub(crate) fn with_retries<T>(
        &self,
        method: &str,
        shown: &str,
        mut attempt: impl FnMut() -> Attempt<T>,
    ) -> Result<T> {
        let mut n = 0;
        let mut reauthenticated = false;
        loop {
            n += 1;
            match attempt() {
                Attempt::Done(t) => return Ok(t),
                Attempt::Fail(Error::Unauthorized { .. }) if !reauthenticated && self.auth.can_refresh() => {
                    // An OAuth token may have been revoked early: fetch a new one once.
                    reauthenticated = true;
                    self.auth.invalidate();
                    n -= 1;
                }
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry { after, error } => {
                    if n >= self.retry.max_attempts {
                        return Err(error);
                    }
                    let wait =
                        after.map(|a| a.min(self.retry.max_retry_after)).unwrap_or_else(|| self.retry.backoff(n));
                    self.notify(&format!(
                        "{method} {shown}: {error}; retrying in {:.1} s (attempt {} of {})",
                        wait.as_secs_f64(),
                        n + 1,
                        self.retry.max_attempts
                    ));
                    std::thread::sleep(wait);
                }
            }
        }
    }

    /// One attempt of `req`.
    pub(crate) fn attempt(&self, req: &Request) -> Attempt<Response<ureq::Body>> {
        let mut b = http::Request::builder().method(req.method).uri(self.url(&req.url));
        for (k, v) in &req.headers {
            b = b.header(*k, v);
        }
        if req.authenticated {
            match self.auth.header(self) {
                Ok(Some(h)) => b = b.header("Authorization", h),
                Ok(None) => {}
                Err(e) => return Attempt::Fail(e),
            }
        }
        let result = match &req.body {
            Body::Empty => b.body(()).map(|r| self.agent.run(r)),
            Body::Bytes { content_type, data } => {
                b.header("Content-Type", *content_type).body(data.as_slice()).map(|r| self.agent.run(r))
            }
            Body::File(p) => {
                let f = match File::open(p) {
                    Ok(f) => f,
                    Err(e) => return Attempt::Fail(Error::io(p, e)),
                };
                b.header("Content-Type", "application/octet-stream").body(f).map(|r| self.agent.run(r))
            }
        };
        let result = match result {
            Ok(r) => r,
            Err(e) => {
                return Attempt::Fail(Error::Protocol {
                    method: req.method.into(),
                    path: req.shown.clone(),
                    message: e.to_string(),
                })
            }
        };
        match result {
            Ok(resp) => self.classify(req.method, &req.shown, resp),
            Err(e) => {
                let error = Error::Transport {
                    method: req.method.into(),
                    path: req.shown.clone(),
                    message: self.scrub(&e.to_string()),
                };
                if transient(&e) {
                    Attempt::Retry { after: None, error }
                } else {
                    Attempt::Fail(error)
                }
            }
        }
    }

    /// Success statuses pass; transient ones retry; the rest become errors.
    pub(crate) fn classify(
        &self,
        method: &str,
        shown: &str,
        mut resp: Response<ureq::Body>,
    ) -> Attempt<Response<ureq::Body>> {
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            return Attempt::Done(resp);
        }
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let message = if method == "HEAD" { String::new() } else { self.error_message(&mut resp) };
        let error = self.status_error(method, shown, status, message);
        match status {
            429 | 500 | 502 | 503 | 504 => Attempt::Retry { after: retry_after, error },
            _ => Attempt::Fail(error),
        }
    }

    /// The typed error for an HTTP status.
    pub(crate) fn status_error(&self, method: &str, shown: &str, status: u16, message: String) -> Error {
        let (method, path) = (method.to_string(), shown.to_string());
        match status {
            401 => Error::Unauthorized { method, path, message },
            403 => Error::Forbidden { method, path, message },
            404 => Error::NotFound { path, message },
            409 => Error::AlreadyExists { path },
            400 if message.starts_with("RESOURCE_ALREADY_EXISTS") => Error::AlreadyExists { path },
            _ => Error::Http { method, path, status, message },
        }
    }

    /// `ERROR_CODE: message` from a Databricks error body (or its first line of text),
    /// scrubbed of secrets and kept short.
    fn error_message(&self, resp: &mut Response<ureq::Body>) -> String {
        let text = resp.body_mut().with_config().limit(64 * 1024).lossy_utf8(true).read_to_string().unwrap_or_default();
        let msg = match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) => {
                let code = v.get("error_code").and_then(|c| c.as_str()).unwrap_or_default();
                let m = v.get("message").and_then(|c| c.as_str()).unwrap_or_default();
                match (code.is_empty(), m.is_empty()) {
                    (false, false) => format!("{code}: {m}"),
                    (false, true) => code.to_string(),
                    (true, false) => m.to_string(),
                    (true, true) => text.lines().next().unwrap_or_default().to_string(),
                }
            }
            Err(_) => text.lines().next().unwrap_or_default().to_string(),
        };
        let mut msg = self.scrub(msg.trim());
        if msg.len() > 300 {
            let mut cut = 300;
            while !msg.is_char_boundary(cut) {
                cut -= 1;
            }
            msg.truncate(cut);
            msg.push_str("...");
        }
        msg
    }

    /// GET or POST returning JSON.
    pub fn json(&self, req: &Request) -> Result<serde_json::Value> {
        let mut resp = self.send(req)?;
        let text = resp.body_mut().with_config().limit(64 * 1024 * 1024).read_to_string().map_err(|e| {
            Error::Transport { method: req.method.into(), path: req.shown.clone(), message: e.to_string() }
        })?;
        serde_json::from_str(&text).map_err(|e| Error::Protocol {
            method: req.method.into(),
            path: req.shown.clone(),
            message: format!("invalid JSON: {e}"),
        })
    }
}

/// Failures worth another attempt: the connection dropped, was reset or timed out.
fn transient(e: &ureq::Error) -> bool {
    use std::io::ErrorKind as K;
    match e {
        ureq::Error::Io(io) => matches!(
            io.kind(),
            K::ConnectionReset
                | K::ConnectionAborted
                | K::BrokenPipe
                | K::UnexpectedEof
                | K::TimedOut
                | K::Interrupted
                | K::WouldBlock
        ),
        ureq::Error::Timeout(_) | ureq::Error::Protocol(_) | ureq::Error::BodyStalled => true,
        _ => false,
    }
}

/// Percent-encode a path for a URL, keeping `/` separators.
pub fn encode_path(p: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
    /// Everything but unreserved characters and `/`.
    const PATH: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}')
        .add(b'[')
        .add(b']')
        .add(b'^')
        .add(b'|')
        .add(b'\\')
        .add(b'&')
        .add(b'=')
        .add(b'+')
        .add(b';')
        .add(b'\'')
        .add(b',')
        .add(b'!')
        .add(b'$')
        .add(b'(')
        .add(b')')
        .add(b'*')
        .add(b'@')
        .add(b':');
    utf8_percent_encode(p, PATH).to_string()
}

impl TokenTransport for HttpClient {
    fn discovery(&self) -> Result<serde_json::Value> {
        let mut req = Request::new("GET", DISCOVERY_PATH.to_string(), format!("OAuth discovery {DISCOVERY_PATH}"));
        req.authenticated = false;
        self.json(&req)
    }

    fn token_response(&self, endpoint: &str, client_id: &str, basic: &str) -> Result<String> {
        let form = format!("grant_type=client_credentials&scope={}", encode_query("all-apis"));
        let shown = "OAuth token endpoint";
        self.with_retries("POST", shown, || {
            let req = Request::new("POST", endpoint.to_string(), shown)
                .header("Authorization", format!("Basic {basic}"))
                .header("Accept", "application/json")
                .body(Body::Bytes { content_type: "application/x-www-form-urlencoded", data: form.clone().into_bytes() });
            let req = Request { authenticated: false, ..req };
            match self.attempt(&req) {
                Attempt::Done(mut resp) => match resp.body_mut().read_to_string() {
                    Ok(t) => Attempt::Done(t),
                    Err(e) => Attempt::Retry {
                        after: None,
                        error: Error::Transport { method: "POST".into(), path: shown.into(), message: e.to_string() },
                    },
                },
                Attempt::Retry { after, error } => Attempt::Retry { after, error },
                // A refused client is a 400/401 from the token endpoint: say which credentials.
                Attempt::Fail(Error::Unauthorized { message, .. }) | Attempt::Fail(Error::Http { status: 400, message, .. }) => {
                    Attempt::Fail(Error::Config(format!(
                        "the OAuth token endpoint refused client `{client_id}` ({}); check DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET",
                        self.scrub(&message)
                    )))
                }
                Attempt::Fail(e) => Attempt::Fail(e),
            }
        })
    }
}

/// Percent-encode a query parameter value.
pub fn encode_query(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(5),
        };
        for _ in 0..50 {
            let d1 = p.backoff(1);
            assert!(d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100), "{d1:?}");
            let d3 = p.backoff(3);
            assert!(d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400), "{d3:?}");
            let d9 = p.backoff(9);
            assert!(d9 >= Duration::from_millis(500) && d9 <= Duration::from_secs(1), "{d9:?}");
        }
        let draws: std::collections::HashSet<_> = (0..20).map(|_| p.backoff(2)).collect();
        assert!(draws.len() > 1, "no jitter");
        assert!(p.backoff(1000) <= Duration::from_secs(1));
    }

    #[test]
    fn paths_are_encoded_segment_safe() {
        assert_eq!(encode_path("/Volumes/c/s/v/my file#1?.csv"), "/Volumes/c/s/v/my%20file%231%3F.csv");
        assert_eq!(encode_path("/Volumes/c/s/v/données.csv"), "/Volumes/c/s/v/donn%C3%A9es.csv");
        assert_eq!(encode_query("a b&c=d/"), "a%20b%26c%3Dd%2F");
    }
}
