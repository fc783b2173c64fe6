//! Where PyForge runs: on Databricks or not, classic or serverless compute, the serverless
//! environment version, and whether `/Volumes` is mounted (so Volume paths are plain files).
//!
//! `DATABRICKS_RUNTIME_VERSION` is set on Databricks compute: `15.4` (classic clusters, the
//! Databricks Runtime version) or `client.<major>.<minor>` (serverless; the major number is the
//! serverless environment version: 1 = Python 3.10, 2 = 3.11, 3 and later = 3.12).
//!
//! `PYFORGE_VOLUMES_ROOT` overrides where `/Volumes` is looked for (tests, or a machine that
//! mounts Volumes elsewhere): when set, Volumes count as mounted exactly when it is a folder.
//! Otherwise `/Volumes` counts as mounted only on Databricks compute, because other machines
//! (macOS) have an unrelated `/Volumes` folder.

use std::path::{Path, PathBuf};

use crate::config::{AuthSummary, Config, EnvFn};

/// The override variable for the Volumes mount point.
pub const VOLUMES_ROOT_VAR: &str = "PYFORGE_VOLUMES_ROOT";

/// The kind of Databricks compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compute {
    /// A classic (all-purpose or job) cluster.
    Classic,
    /// Serverless compute (notebooks, jobs).
    Serverless,
}

/// What `pyforge env-info --json` prints; other tools rely on exactly these keys.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EnvInfo {
    /// Running on Databricks compute.
    pub databricks: bool,
    /// Classic or serverless (`None` off Databricks).
    pub compute: Option<Compute>,
    /// The serverless environment version (`client.<N>...`), `None` elsewhere.
    pub serverless_env_version: Option<u32>,
    /// `DATABRICKS_RUNTIME_VERSION` as set.
    pub runtime_version: Option<String>,
    /// The Python version (`3.11.4`) of the `python3` on PATH, if any.
    pub python: Option<String>,
    /// Volume paths are readable as files here.
    pub volumes_mounted: bool,
    /// The credentials that would be used (method, host, profile; never a secret).
    pub auth: AuthSummary,
}

/// Where Volumes are mounted, if they are.
pub fn volumes_root_with(env: EnvFn) -> Option<PathBuf> {
    if let Some(root) = env(VOLUMES_ROOT_VAR) {
        let p = PathBuf::from(root);
        return p.is_dir().then_some(p);
    }
    let p = Path::new("/Volumes");
    (env("DATABRICKS_RUNTIME_VERSION").is_some() && p.is_dir()).then(|| p.to_path_buf())
}

/// [`volumes_root_with`] the process environment.
pub fn volumes_root() -> Option<PathBuf> {
    volumes_root_with(&crate::config::process_env)
}

/// Compute kind and serverless environment version from `DATABRICKS_RUNTIME_VERSION`.
pub fn classify_runtime(version: &str) -> (Compute, Option<u32>) {
    match version.strip_prefix("client.") {
        Some(rest) => (Compute::Serverless, rest.split('.').next().and_then(|m| m.parse().ok())),
        None => (Compute::Classic, None),
    }
}

/// The version of the `python3` (or `python`) on PATH: `3.11.4`.
pub fn python_version() -> Option<String> {
    for exe in ["python3", "python"] {
        let out = std::process::Command::new(exe).arg("--version").stdin(std::process::Stdio::null()).output();
        if let Ok(out) = out {
            if out.status.success() {
                let text =
                    String::from_utf8_lossy(if out.stdout.is_empty() { &out.stderr } else { &out.stdout }).into_owned();
                if let Some(v) = text.trim().strip_prefix("Python ") {
                    return Some(v.trim().to_string());
                }
            }
        }
    }
    None
}

/// Detect the environment; `profile` is `--profile`. Auth problems leave `auth.method` null.
pub fn detect_with(env: EnvFn, profile: Option<&str>, python: Option<String>) -> (EnvInfo, Option<crate::Error>) {
    let runtime = env("DATABRICKS_RUNTIME_VERSION");
    let (compute, version) = match runtime.as_deref() {
        Some(v) => {
            let (c, n) = classify_runtime(v);
            (Some(c), n)
        }
        None => (None, None),
    };
    let (auth, problem) = match Config::resolve_with(profile, env) {
        Ok(c) => (c.summary(), None),
        Err(e) => (
            AuthSummary {
                method: None,
                host: env("DATABRICKS_HOST").map(|h| crate::config::normalise_host(&h)),
                profile: profile.map(str::to_string),
            },
            Some(e),
        ),
    };
    let info = EnvInfo {
        databricks: runtime.is_some(),
        compute,
        serverless_env_version: version,
        runtime_version: runtime,
        python,
        volumes_mounted: volumes_root_with(env).is_some(),
        auth,
    };
    (info, problem)
}

/// [`detect_with`] the process environment and the `python3` on PATH.
pub fn detect(profile: Option<&str>) -> (EnvInfo, Option<crate::Error>) {
    detect_with(&crate::config::process_env, profile, python_version())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn detect_in(vars: &[(&str, &str)]) -> EnvInfo {
        let m: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let f = |k: &str| m.get(k).cloned();
        detect_with(&f, None, Some("3.11.2".into())).0
    }

    #[test]
    fn runtime_versions() {
        assert_eq!(classify_runtime("15.4"), (Compute::Classic, None));
        assert_eq!(classify_runtime("client.1.13"), (Compute::Serverless, Some(1)));
        assert_eq!(classify_runtime("client.2.5"), (Compute::Serverless, Some(2)));
        assert_eq!(classify_runtime("client.3"), (Compute::Serverless, Some(3)));
        assert_eq!(classify_runtime("client.x"), (Compute::Serverless, None));
    }

    #[test]
    fn json_has_exactly_the_agreed_keys() {
        let info = detect_in(&[
            ("DATABRICKS_RUNTIME_VERSION", "client.2.5"),
            ("DATABRICKS_HOST", "https://h"),
            ("DATABRICKS_TOKEN", "dapiSECRET"),
            ("HOME", "/nonexistent"),
        ]);
        let v = serde_json::to_value(&info).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected = vec![
            "databricks",
            "compute",
            "serverless_env_version",
            "runtime_version",
            "python",
            "volumes_mounted",
            "auth",
        ];
        expected.sort();
        let mut got = keys.clone();
        got.sort();
        assert_eq!(got, expected);
        let mut auth_keys: Vec<&str> = v["auth"].as_object().unwrap().keys().map(String::as_str).collect();
        auth_keys.sort();
        assert_eq!(auth_keys, vec!["host", "method", "profile"]);
        assert_eq!(v["compute"], "serverless");
        assert_eq!(v["serverless_env_version"], 2);
        assert_eq!(v["auth"]["method"], "pat");
        assert!(!v.to_string().contains("SECRET"));
    }

    #[test]
    fn off_databricks() {
        let info = detect_in(&[("HOME", "/nonexistent"), (VOLUMES_ROOT_VAR, "/nonexistent/volumes")]);
        assert!(!info.databricks);
        assert_eq!(info.compute, None);
        assert_eq!(info.serverless_env_version, None);
        assert!(!info.volumes_mounted);
        assert_eq!(info.auth.method, None);
    }

    #[test]
    fn override_mount() {
        let d = tempfile::tempdir().unwrap();
        let info = detect_in(&[("HOME", "/nonexistent"), (VOLUMES_ROOT_VAR, d.path().to_str().unwrap())]);
        assert!(info.volumes_mounted);
    }
}
