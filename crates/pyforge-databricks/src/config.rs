//! The workspace and credentials to use, resolved like the official Databricks SDKs'
//! "unified authentication":
//!
//! 1. environment variables: `DATABRICKS_HOST`, `DATABRICKS_TOKEN`, `DATABRICKS_CLIENT_ID`,
//!    `DATABRICKS_CLIENT_SECRET`, `DATABRICKS_AUTH_TYPE`;
//! 2. then a profile of the config file (`DATABRICKS_CONFIG_FILE`, default `~/.databrickscfg`)
//!    fills in what the environment left unset. The profile is the one named by `--profile`,
//!    else `DATABRICKS_CONFIG_PROFILE`, else `DEFAULT` — but `DEFAULT` is only read when the
//!    environment does not already configure a host and credentials. A profile named
//!    explicitly must exist.
//!
//! The method follows from what is set: a token means a personal access token (`pat`); a client
//! id and secret mean OAuth machine-to-machine (`oauth-m2m`). Both at once is an error unless
//! `auth_type` chooses.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A secret value (token, client secret). Its `Debug` shows `***`; it has no `Display`, so it
/// cannot end up in a message by accident. [`Secret::expose`] is for the HTTP layer only.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wrap a secret value.
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    /// The value, for an `Authorization` header or a token request.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How requests authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    /// A personal access token (`DATABRICKS_TOKEN`, `token` in a profile).
    Pat,
    /// OAuth machine-to-machine: a service principal's client id and secret.
    OAuthM2m,
}

impl AuthMethod {
    /// The SDKs' name: `pat` or `oauth-m2m`.
    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::Pat => "pat",
            AuthMethod::OAuthM2m => "oauth-m2m",
        }
    }
}

/// The resolved configuration. `Debug` never shows a secret.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Workspace URL, normalised (`https://` added when no scheme was given, no trailing `/`).
    pub host: Option<String>,
    /// Personal access token.
    pub token: Option<Secret>,
    /// OAuth client (service principal application) id.
    pub client_id: Option<String>,
    /// OAuth client secret.
    pub client_secret: Option<Secret>,
    /// `auth_type` / `DATABRICKS_AUTH_TYPE`, when set.
    pub auth_type: Option<String>,
    /// The config-file profile that was read, if any.
    pub profile: Option<String>,
    /// The config file consulted.
    pub config_file: Option<PathBuf>,
    /// How long a silent connection is waited for before the attempt is given up (and
    /// retried): `http_timeout_seconds` in the profile or `DATABRICKS_HTTP_TIMEOUT_SECONDS`,
    /// as databricks-sdk configures it; default [`DEFAULT_HTTP_TIMEOUT_SECONDS`].
    pub http_timeout_seconds: Option<u64>,
}

/// databricks-sdk's default HTTP timeout: a hung load balancer costs a minute, not forever.
pub const DEFAULT_HTTP_TIMEOUT_SECONDS: u64 = 60;

fn parse_timeout(v: &str) -> Result<u64> {
    match v.trim().parse::<f64>() {
        Ok(s) if s >= 1.0 && s.is_finite() => Ok(s.ceil() as u64),
        _ => Err(Error::Config(format!("http_timeout_seconds must be a number of seconds of at least 1, not {v:?}"))),
    }
}

/// What `env-info` shows about auth: never a secret.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuthSummary {
    /// `pat`, `oauth-m2m`, or `None` when no credentials are configured.
    pub method: Option<String>,
    /// The workspace URL.
    pub host: Option<String>,
    /// The profile read from the config file.
    pub profile: Option<String>,
}

/// Environment lookup, injectable for tests.
pub type EnvFn<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment (empty values count as unset).
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `https://` added when no scheme is given; path, query and fragment dropped (workspace URLs
/// are often pasted from the browser: `https://adb-1.2.azuredatabricks.net/?o=1#job/2`).
pub(crate) fn normalise_host(h: &str) -> String {
    let h = h.trim();
    let (scheme, rest) = match h.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => ("https".to_string(), h),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    format!("{scheme}://{authority}")
}

/// Parse a config file in the INI dialect the SDKs read (Python `configparser`): `[section]`
/// headers, `key = value` or `key: value`, `#`/`;` comment lines, keys case-insensitive.
///
/// Hand-written rather than an INI crate because only this small subset is needed and the
/// crates differ from `configparser` in details that matter here (case of keys, escapes).
pub fn parse_config_file(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.trim().to_string();
            out.entry(name.clone()).or_default();
            current = Some(name);
            continue;
        }
        let Some(section) = &current else { continue };
        let sep = line.find(['=', ':']);
        if let Some(i) = sep {
            let key = line[..i].trim().to_ascii_lowercase();
            let value = line[i + 1..].trim().to_string();
            out.entry(section.clone()).or_default().insert(key, value);
        }
    }
    out
}

impl Config {
    /// A workspace and a bearer token handed over by a caller that already authenticated (the
    /// Python package passes a notebook's `WorkspaceClient` credentials this way).
    ///
    /// ```
    /// let c = pyforge_databricks::config::Config::with_token("adb-1.azuredatabricks.net", "dapi-x");
    /// assert_eq!(c.host.as_deref(), Some("https://adb-1.azuredatabricks.net"));
    /// ```
    pub fn with_token(host: &str, token: &str) -> Config {
        Config {
            host: Some(normalise_host(host)),
            token: Some(Secret::new(token)),
            auth_type: Some("pat".into()),
            ..Default::default()
        }
    }

    /// Resolve from the process environment and the config file; `profile` is `--profile`.
    pub fn resolve(profile: Option<&str>) -> Result<Config> {
        Self::resolve_with(profile, &process_env)
    }

    /// Resolve with an injected environment (tests).
    pub fn resolve_with(profile_flag: Option<&str>, env: EnvFn) -> Result<Config> {
        let mut c = Config {
            host: env("DATABRICKS_HOST").map(|h| normalise_host(&h)),
            token: env("DATABRICKS_TOKEN").map(Secret::new),
            client_id: env("DATABRICKS_CLIENT_ID"),
            client_secret: env("DATABRICKS_CLIENT_SECRET").map(Secret::new),
            auth_type: env("DATABRICKS_AUTH_TYPE"),
            http_timeout_seconds: env("DATABRICKS_HTTP_TIMEOUT_SECONDS").as_deref().map(parse_timeout).transpose()?,
            ..Default::default()
        };
        let explicit = profile_flag.map(str::to_string).or_else(|| env("DATABRICKS_CONFIG_PROFILE"));
        let file = match env("DATABRICKS_CONFIG_FILE") {
            Some(f) => Some(expand_home(&f, env)),
            None => env("HOME").or_else(|| env("USERPROFILE")).map(|h| Path::new(&h).join(".databrickscfg")),
        };
        c.config_file = file.clone();
        let env_complete = c.host.is_some() && (c.token.is_some() || c.client_id.is_some());
        let profile = match (&explicit, env_complete) {
            (Some(p), _) => Some(p.clone()),
            (None, false) => Some("DEFAULT".to_string()),
            (None, true) => None,
        };
        if let Some(profile) = profile {
            let text = match &file {
                Some(f) => match std::fs::read_to_string(f) {
                    Ok(t) => Some(t),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                    Err(e) => return Err(Error::Config(format!("{}: {e}", f.display()))),
                },
                None => None,
            };
            let sections = text.as_deref().map(parse_config_file).unwrap_or_default();
            match sections.get(&profile) {
                Some(values) => {
                    c.profile = Some(profile.clone());
                    let get = |k: &str| values.get(k).filter(|v| !v.is_empty()).cloned();
                    if c.host.is_none() {
                        c.host = get("host").map(|h| normalise_host(&h));
                    }
                    if c.token.is_none() {
                        c.token = get("token").map(Secret::new);
                    }
                    if c.client_id.is_none() {
                        c.client_id = get("client_id");
                    }
                    if c.client_secret.is_none() {
                        c.client_secret = get("client_secret").map(Secret::new);
                    }
                    if c.auth_type.is_none() {
                        c.auth_type = get("auth_type");
                    }
                    if c.http_timeout_seconds.is_none() {
                        c.http_timeout_seconds =
                            get("http_timeout_seconds").as_deref().map(parse_timeout).transpose()?;
                    }
                }
                None if explicit.is_some() => {
                    let where_ =
                        file.as_ref().map(|f| f.display().to_string()).unwrap_or_else(|| "~/.databrickscfg".into());
                    let known: Vec<&str> = sections.keys().map(String::as_str).collect();
                    return Err(Error::Config(if text.is_none() {
                        format!("profile `{profile}` requested but the config file {where_} does not exist")
                    } else {
                        format!(
                            "profile `{profile}` not found in {where_} (profiles: {})",
                            if known.is_empty() { "none".into() } else { known.join(", ") }
                        )
                    }));
                }
                None => {}
            }
        }
        Ok(c)
    }

    /// The authentication method these settings select, or why none can be chosen.
    pub fn method(&self) -> Result<AuthMethod> {
        let pat = self.token.is_some();
        let m2m = self.client_id.is_some() || self.client_secret.is_some();
        let m2m_complete = self.client_id.is_some() && self.client_secret.is_some();
        match self.auth_type.as_deref() {
            Some("pat") => {
                return if pat {
                    Ok(AuthMethod::Pat)
                } else {
                    Err(Error::Config("auth_type is pat but no token is set (DATABRICKS_TOKEN)".into()))
                }
            }
            Some("oauth-m2m") => {
                return if m2m_complete {
                    Ok(AuthMethod::OAuthM2m)
                } else {
                    Err(Error::Config(
                        "auth_type is oauth-m2m but DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET are not both set"
                            .into(),
                    ))
                }
            }
            Some(other) => {
                return Err(Error::Config(format!(
                    "auth_type `{other}` is not supported by pyforge (supported: pat, oauth-m2m)"
                )))
            }
            None => {}
        }
        match (pat, m2m) {
            (true, true) => Err(Error::Config(
                "more than one authentication method configured: a token (pat) and an OAuth client (oauth-m2m); unset one or set DATABRICKS_AUTH_TYPE".into(),
            )),
            (true, false) => Ok(AuthMethod::Pat),
            (false, true) if m2m_complete => Ok(AuthMethod::OAuthM2m),
            (false, true) => Err(Error::Config("OAuth M2M needs both DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET".into())),
            (false, false) => Err(Error::Config(
                "no credentials: set DATABRICKS_HOST and DATABRICKS_TOKEN, or DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET, or use a ~/.databrickscfg profile (--profile)".into(),
            )),
        }
    }

    /// The workspace URL, or an error saying how to set it.
    pub fn require_host(&self) -> Result<&str> {
        self.host.as_deref().ok_or_else(|| {
            Error::Config("no workspace: set DATABRICKS_HOST (https://<workspace>.cloud.databricks.com) or use a ~/.databrickscfg profile (--profile)".into())
        })
    }

    /// What `env-info` shows: method, host and profile, never a secret.
    pub fn summary(&self) -> AuthSummary {
        AuthSummary {
            method: self.method().ok().map(|m| m.name().to_string()),
            host: self.host.clone(),
            profile: self.profile.clone(),
        }
    }

    /// The secret values in use, so messages coming from servers can be scrubbed of them.
    pub fn secrets(&self) -> Vec<Secret> {
        self.token.iter().chain(self.client_secret.iter()).cloned().collect()
    }
}

fn expand_home(p: &str, env: EnvFn) -> PathBuf {
    match (p.strip_prefix("~/"), env("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn resolve(profile: Option<&str>, vars: &HashMap<String, String>) -> Result<Config> {
        let f = |k: &str| vars.get(k).cloned().filter(|v| !v.is_empty());
        Config::resolve_with(profile, &f)
    }

    const CFG: &str = "\
; comment
[DEFAULT]
host = https://default.cloud.databricks.com/
token = dapi-default-secret

[ci]
host: adb-123.azuredatabricks.net
CLIENT_ID = sp-id
client_secret = sp-secret-value
# trailing comment

[both]
host = h
token = t
client_id = i
client_secret = s
";

    fn with_file(extra: &[(&str, &str)]) -> (tempfile::TempDir, HashMap<String, String>) {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("cfg");
        std::fs::write(&f, CFG).unwrap();
        let mut e = env_of(extra);
        e.insert("DATABRICKS_CONFIG_FILE".into(), f.display().to_string());
        (dir, e)
    }

    #[test]
    fn env_pat() {
        let c = resolve(
            None,
            &env_of(&[
                ("DATABRICKS_HOST", "example.cloud.databricks.com/"),
                ("DATABRICKS_TOKEN", "dapi123"),
                ("HOME", "/nonexistent"),
            ]),
        )
        .unwrap();
        assert_eq!(c.host.as_deref(), Some("https://example.cloud.databricks.com"));
        assert_eq!(c.method().unwrap(), AuthMethod::Pat);
        assert_eq!(c.profile, None);
        let s = c.summary();
        assert_eq!(
            s,
            AuthSummary {
                method: Some("pat".into()),
                host: Some("https://example.cloud.databricks.com".into()),
                profile: None
            }
        );
    }

    #[test]
    fn hosts_are_normalised() {
        assert_eq!(normalise_host("adb-1.2.azuredatabricks.net"), "https://adb-1.2.azuredatabricks.net");
        assert_eq!(
            normalise_host(" https://adb-1.2.azuredatabricks.net/?o=1#job/2 "),
            "https://adb-1.2.azuredatabricks.net"
        );
        assert_eq!(normalise_host("HTTP://127.0.0.1:8000/"), "http://127.0.0.1:8000");
    }

    #[test]
    fn env_m2m_and_http_hosts_kept() {
        let c = resolve(
            None,
            &env_of(&[
                ("DATABRICKS_HOST", "http://127.0.0.1:8000"),
                ("DATABRICKS_CLIENT_ID", "id"),
                ("DATABRICKS_CLIENT_SECRET", "sec"),
            ]),
        )
        .unwrap();
        assert_eq!(c.host.as_deref(), Some("http://127.0.0.1:8000"));
        assert_eq!(c.method().unwrap(), AuthMethod::OAuthM2m);
    }

    #[test]
    fn default_profile_fills_in() {
        let (_d, e) = with_file(&[]);
        let c = resolve(None, &e).unwrap();
        assert_eq!(c.profile.as_deref(), Some("DEFAULT"));
        assert_eq!(c.host.as_deref(), Some("https://default.cloud.databricks.com"));
        assert_eq!(c.token.as_ref().unwrap().expose(), "dapi-default-secret");
    }

    #[test]
    fn named_profile_by_flag_or_env() {
        let (_d, e) = with_file(&[("DATABRICKS_CONFIG_PROFILE", "DEFAULT")]);
        let c = resolve(Some("ci"), &e).unwrap();
        assert_eq!(c.profile.as_deref(), Some("ci"));
        assert_eq!(c.host.as_deref(), Some("https://adb-123.azuredatabricks.net"));
        assert_eq!(c.client_id.as_deref(), Some("sp-id"));
        assert_eq!(c.method().unwrap(), AuthMethod::OAuthM2m);
        let (_d, e) = with_file(&[("DATABRICKS_CONFIG_PROFILE", "ci")]);
        assert_eq!(resolve(None, &e).unwrap().profile.as_deref(), Some("ci"));
    }

    #[test]
    fn env_wins_over_the_profile_and_complete_env_skips_default() {
        let (_d, e) = with_file(&[("DATABRICKS_HOST", "https://env.example"), ("DATABRICKS_TOKEN", "envtok")]);
        let c = resolve(None, &e).unwrap();
        assert_eq!(c.profile, None);
        assert_eq!(c.token.unwrap().expose(), "envtok");
        let (_d, e) = with_file(&[("DATABRICKS_HOST", "https://env.example")]);
        let c = resolve(None, &e).unwrap();
        assert_eq!(c.profile.as_deref(), Some("DEFAULT"));
        assert_eq!(c.host.as_deref(), Some("https://env.example"));
        assert_eq!(c.token.unwrap().expose(), "dapi-default-secret");
    }

    #[test]
    fn missing_profile_is_an_error_naming_the_profiles() {
        let (_d, e) = with_file(&[]);
        let msg = resolve(Some("nope"), &e).unwrap_err().to_string();
        assert!(msg.contains("profile `nope` not found"), "{msg}");
        assert!(msg.contains("DEFAULT, both, ci"), "{msg}");
        let e = env_of(&[("DATABRICKS_CONFIG_FILE", "/nonexistent/cfg")]);
        let msg = resolve(Some("x"), &e).unwrap_err().to_string();
        assert!(msg.contains("does not exist"), "{msg}");
        // No file and no explicit profile: nothing configured, not an error yet.
        let c = resolve(None, &e).unwrap();
        assert!(c.host.is_none());
        assert!(c.method().unwrap_err().to_string().contains("no credentials"));
        assert!(c.require_host().is_err());
        assert_eq!(c.summary(), AuthSummary { method: None, host: None, profile: None });
    }

    #[test]
    fn two_methods_need_auth_type() {
        let (_d, mut e) = with_file(&[]);
        let c = resolve(Some("both"), &e).unwrap();
        assert!(c.method().unwrap_err().to_string().contains("more than one authentication method"));
        e.insert("DATABRICKS_AUTH_TYPE".into(), "oauth-m2m".into());
        assert_eq!(resolve(Some("both"), &e).unwrap().method().unwrap(), AuthMethod::OAuthM2m);
        e.insert("DATABRICKS_AUTH_TYPE".into(), "azure-cli".into());
        assert!(resolve(Some("both"), &e).unwrap().method().unwrap_err().to_string().contains("not supported"));
    }

    #[test]
    fn secrets_never_show_in_debug_or_errors() {
        let (_d, e) = with_file(&[]);
        for p in ["DEFAULT", "ci", "both"] {
            let c = resolve(Some(p), &e).unwrap();
            let dbg = format!("{c:?} {:?} {:?}", c.summary(), c.method());
            for secret in ["dapi-default-secret", "sp-secret-value", "token = t"] {
                assert!(!dbg.contains(secret), "{p}: {dbg}");
            }
            assert!(dbg.contains("***") || c.token.is_none() && c.client_secret.is_none());
        }
    }

    #[test]
    fn ini_subset() {
        let s = parse_config_file("key = before any section\n[a]\nX = 1\ny: 2 = 3\n[ b ]\n");
        assert_eq!(s["a"]["x"], "1");
        assert_eq!(s["a"]["y"], "2 = 3");
        assert!(s["b"].is_empty());
        assert_eq!(s.len(), 2);
    }
}
