//! Cloud object storage (`s3://`, `abfss://`, `gs://`) through the `object_store` crate, behind a
//! small blocking facade ([`CloudStore`], a [`RemoteStore`]).
//!
//! Stores are configured from the URL and the usual environment, exactly as `object_store`'s
//! builders read it:
//!
//! - S3: `AmazonS3Builder::from_env()` — `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//!   `AWS_SESSION_TOKEN`, `AWS_REGION`/`AWS_DEFAULT_REGION`, web identity and container
//!   credentials, the instance metadata service; S3-compatible endpoints with
//!   `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT`, or the AWS SDKs' `AWS_ENDPOINT_URL_S3`) and
//!   `AWS_ALLOW_HTTP=true` for plain `http://`;
//! - Azure: `MicrosoftAzureBuilder::from_env()` — `AZURE_STORAGE_ACCOUNT_KEY`,
//!   `AZURE_STORAGE_SAS_KEY`, `AZURE_CLIENT_ID`/`AZURE_CLIENT_SECRET`/`AZURE_TENANT_ID`,
//!   managed identity; account and container come from the URL;
//! - GCS: `GoogleCloudStorageBuilder::from_env()` — `GOOGLE_APPLICATION_CREDENTIALS`,
//!   `GOOGLE_SERVICE_ACCOUNT`, the metadata server.
//!
//! Downloads stream to disk chunk by chunk; uploads stream from disk (one `PUT` up to
//! [`SINGLE_PUT_MAX`], multipart above, so objects beyond 5 GiB work). Retries are
//! `object_store`'s own (exponential backoff on 5xx, 429 and connection errors). Errors name the
//! URL; credentials in the environment are scrubbed from every message.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Once};

use futures_util::StreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use crate::error::{Error, Result};
use crate::location::CloudScheme;
use crate::store::{RemotePath, RemoteRoot, RemoteStore};

/// Files up to this size are uploaded with one `PUT` (read into memory); larger ones as a
/// multipart upload.
pub const SINGLE_PUT_MAX: u64 = 8 * 1024 * 1024;
/// The smallest part of a multipart upload (S3 requires 5 MiB except for the last part).
const PART_SIZE: u64 = 16 * 1024 * 1024;
/// S3 allows 10,000 parts; stay below so the part size grows for very large files.
const MAX_PARTS: u64 = 9_000;
/// Parts in flight at once (each holds one part in memory).
const PARTS_IN_FLIGHT: usize = 4;
const READ_BUFFER: usize = 1024 * 1024;

/// One cloud bucket (container) with a private current-thread tokio runtime: calls block, and
/// may come from several threads at once (tokio lets concurrent `block_on` calls share the
/// runtime's I/O driver).
pub struct CloudStore {
    root: RemoteRoot,
    store: Arc<dyn ObjectStore>,
    runtime: tokio::runtime::Runtime,
    secrets: Vec<String>,
}

static TLS_PROVIDER: Once = Once::new();

/// rustls with *ring* (no aws-lc-sys to build): installed once as the process default, which
/// reqwest picks up (an application that installed its own provider first keeps it).
fn install_tls_provider() {
    TLS_PROVIDER.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Values of credential-looking variables (`AWS_*`, `AZURE_*`, `GOOGLE_*` holding a key,
/// secret, token, SAS or password) to scrub from messages.
fn secrets_in(vars: impl Iterator<Item = (String, String)>) -> Vec<String> {
    const WORDS: &[&str] = &["KEY", "SECRET", "TOKEN", "SAS", "PASSWORD", "CREDENTIAL"];
    let mut out: Vec<String> = vars
        .filter(|(k, v)| {
            (k.starts_with("AWS_") || k.starts_with("AZURE_") || k.starts_with("GOOGLE_"))
                && WORDS.iter().any(|w| k.contains(w))
                && v.len() >= 3
        })
        .map(|(_, v)| v)
        .collect();
    // Longest first, so a secret containing another is replaced whole.
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out
}

/// The S3 configuration for `bucket` on top of `base` (normally `AmazonS3Builder::from_env()`):
/// the bucket from the URL, and `AWS_ENDPOINT_URL_S3` (the AWS SDKs' service-specific endpoint)
/// when given.
fn s3_builder(base: AmazonS3Builder, bucket: &str, endpoint_url_s3: Option<String>) -> AmazonS3Builder {
    let mut b = base.with_bucket_name(bucket);
    if let Some(e) = endpoint_url_s3.filter(|e| !e.is_empty()) {
        b = b.with_config(AmazonS3ConfigKey::Endpoint, e);
    }
    b
}

/// The Azure configuration on top of `base`: account and container from
/// `container@account.dfs.core.windows.net` (or `.blob.`).
fn azure_builder(base: MicrosoftAzureBuilder, scheme: &str, bucket: &str) -> MicrosoftAzureBuilder {
    base.with_url(format!("{scheme}://{bucket}"))
}

/// The GCS configuration on top of `base`.
fn gcs_builder(base: GoogleCloudStorageBuilder, bucket: &str) -> GoogleCloudStorageBuilder {
    base.with_bucket_name(bucket)
}

/// Which variables hold the credentials, for the message of a refused request.
fn credential_hint(kind: CloudScheme) -> &'static str {
    match kind {
        CloudScheme::S3 => "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION",
        CloudScheme::Azure => {
            "AZURE_STORAGE_ACCOUNT_KEY, AZURE_STORAGE_SAS_KEY, or AZURE_CLIENT_ID/AZURE_CLIENT_SECRET/AZURE_TENANT_ID"
        }
        CloudScheme::Gcs => "GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_SERVICE_ACCOUNT",
    }
}

/// Build the `object_store` store for `root` from `s3`/`azure`/`gcs` base builders.
fn build(
    root: &RemoteRoot,
    s3: impl FnOnce() -> AmazonS3Builder,
    azure: impl FnOnce() -> MicrosoftAzureBuilder,
    gcs: impl FnOnce() -> GoogleCloudStorageBuilder,
) -> Result<Arc<dyn ObjectStore>> {
    // object_store builds its reqwest client here, which needs the TLS provider in place.
    install_tls_provider();
    let RemoteRoot::Cloud { kind, scheme, bucket } = root else {
        return Err(Error::UnsupportedLocation {
            location: root.prefix(),
            reason: "not a cloud URL (internal: wrong store)".into(),
        });
    };
    let built: std::result::Result<Arc<dyn ObjectStore>, object_store::Error> = match kind {
        CloudScheme::S3 => {
            s3_builder(s3(), bucket, std::env::var("AWS_ENDPOINT_URL_S3").ok()).build().map(|s| Arc::new(s) as _)
        }
        CloudScheme::Azure => azure_builder(azure(), scheme, bucket).build().map(|s| Arc::new(s) as _),
        CloudScheme::Gcs => gcs_builder(gcs(), bucket).build().map(|s| Arc::new(s) as _),
    };
    built.map_err(|e| Error::UnsupportedLocation {
        location: root.prefix(),
        reason: format!("cannot configure the cloud store: {}", one_line(&e.to_string())),
    })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl CloudStore {
    /// A store for `root` configured from the environment (see the module documentation).
    pub fn from_env(root: &RemoteRoot) -> Result<CloudStore> {
        let secrets = secrets_in(std::env::vars());
        let store = build(
            root,
            AmazonS3Builder::from_env,
            MicrosoftAzureBuilder::from_env,
            GoogleCloudStorageBuilder::from_env,
        )
        .map_err(|e| scrub_error(e, &secrets))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::io("tokio runtime", e))?;
        Ok(CloudStore { root: root.clone(), store, runtime, secrets })
    }

    fn scrub(&self, s: &str) -> String {
        scrub_with(s, &self.secrets)
    }

    fn object_path(&self, p: &RemotePath) -> Result<ObjectPath> {
        if p.root != self.root {
            return Err(Error::UnsupportedLocation {
                location: p.to_string(),
                reason: format!("not in {} (internal: wrong store)", self.root.prefix()),
            });
        }
        ObjectPath::parse(p.key()).map_err(|e| Error::UnsupportedLocation {
            location: p.to_string(),
            reason: format!("not a valid object key: {e}"),
        })
    }

    /// The typed error for a failed `op` on `p`.
    fn error(&self, op: &str, p: &RemotePath, e: object_store::Error) -> Error {
        let url = p.to_string();
        match e {
            object_store::Error::NotFound { .. } => Error::NotFound { path: url, message: String::new() },
            object_store::Error::AlreadyExists { .. } => Error::AlreadyExists { path: url },
            object_store::Error::Unauthenticated { source, .. }
            | object_store::Error::PermissionDenied { source, .. } => {
                let kind = match &self.root {
                    RemoteRoot::Cloud { kind, .. } => *kind,
                    RemoteRoot::Volume { .. } => CloudScheme::S3,
                };
                Error::CloudDenied {
                    op: op.to_string(),
                    url,
                    message: self.scrub(&one_line(&source.to_string())),
                    hint: credential_hint(kind).to_string(),
                }
            }
            other => Error::Cloud { op: op.to_string(), url, message: self.scrub(&one_line(&other.to_string())) },
        }
    }

    fn download_async(&self, p: &RemotePath, dest: &Path) -> Result<u64> {
        let location = self.object_path(p)?;
        self.runtime.block_on(async {
            let got = self.store.get(&location).await.map_err(|e| self.error("GET", p, e))?;
            let expected = got.meta.size;
            let mut file = File::create(dest).map_err(|e| Error::io(dest, e))?;
            let mut stream = got.into_stream();
            let mut written: u64 = 0;
            while let Some(chunk) = stream.next().await {
                let chunk = chunk.map_err(|e| self.error("GET", p, e))?;
                file.write_all(&chunk).map_err(|e| Error::io(dest, e))?;
                written += chunk.len() as u64;
            }
            if written != expected {
                return Err(Error::Transport {
                    method: "GET".into(),
                    path: p.to_string(),
                    message: format!("received {written} bytes of an object of {expected} bytes"),
                });
            }
            file.flush().and_then(|_| file.sync_all()).map_err(|e| Error::io(dest, e))?;
            Ok(written)
        })
    }

    fn upload_async(&self, src: &Path, p: &RemotePath) -> Result<()> {
        let location = self.object_path(p)?;
        let mut file = File::open(src).map_err(|e| Error::io(src, e))?;
        let len = file.metadata().map_err(|e| Error::io(src, e))?.len();
        self.runtime.block_on(async {
            if len <= SINGLE_PUT_MAX {
                let mut data = Vec::with_capacity(len as usize);
                file.read_to_end(&mut data).map_err(|e| Error::io(src, e))?;
                self.store.put(&location, PutPayload::from(data)).await.map_err(|e| self.error("PUT", p, e))?;
                return Ok(());
            }
            let upload = self.store.put_multipart(&location).await.map_err(|e| self.error("PUT", p, e))?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, part_size(len) as usize);
            let mut buf = vec![0u8; READ_BUFFER];
            let mut sent: u64 = 0;
            let outcome: Result<()> = async {
                loop {
                    let n = match file.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => n,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(Error::io(src, e)),
                    };
                    writer.wait_for_capacity(PARTS_IN_FLIGHT).await.map_err(|e| self.error("PUT", p, e))?;
                    writer.write(&buf[..n]);
                    sent += n as u64;
                }
                if sent != len {
                    return Err(Error::Io {
                        path: src.display().to_string(),
                        source: std::io::Error::other(format!(
                            "the file changed while uploading ({sent} of {len} bytes read)"
                        )),
                    });
                }
                Ok(())
            }
            .await;
            match outcome {
                Ok(()) => writer.finish().await.map(|_| ()).map_err(|e| self.error("PUT", p, e)),
                Err(e) => {
                    // Leave no orphaned parts behind (best effort: the first error is the one to report).
                    let _ = writer.abort().await;
                    Err(e)
                }
            }
        })
    }
}

/// The part size for a multipart upload of `len` bytes: [`PART_SIZE`], larger for files that
/// would need more than [`MAX_PARTS`] parts (rounded up to whole MiB).
fn part_size(len: u64) -> u64 {
    const MIB: u64 = 1024 * 1024;
    let needed = len.div_ceil(MAX_PARTS).div_ceil(MIB) * MIB;
    needed.max(PART_SIZE)
}

fn scrub_with(s: &str, secrets: &[String]) -> String {
    let mut out = s.to_string();
    for secret in secrets {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "***");
        }
    }
    out
}

fn scrub_error(e: Error, secrets: &[String]) -> Error {
    match e {
        Error::UnsupportedLocation { location, reason } => {
            Error::UnsupportedLocation { location, reason: scrub_with(&reason, secrets) }
        }
        other => other,
    }
}

impl RemoteStore for CloudStore {
    fn exists(&self, p: &RemotePath) -> Result<bool> {
        if p.parts.is_empty() {
            return Ok(false);
        }
        let location = self.object_path(p)?;
        match self.runtime.block_on(self.store.head(&location)) {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.error("HEAD", p, e)),
        }
    }

    fn dir_exists(&self, p: &RemotePath) -> Result<bool> {
        let location = self.object_path(p)?;
        let prefix = (!p.parts.is_empty()).then_some(&location);
        self.runtime.block_on(async {
            let mut listing = self.store.list(prefix);
            match listing.next().await {
                None => Ok(p.parts.is_empty()),
                Some(Ok(_)) => Ok(true),
                Some(Err(e)) => Err(self.error("LIST", p, e)),
            }
        })
    }

    fn list_files(&self, dir: &RemotePath, recursive: bool) -> Result<Vec<RemotePath>> {
        let location = self.object_path(dir)?;
        let prefix = (!dir.parts.is_empty()).then_some(&location);
        let metas = self.runtime.block_on(async {
            if recursive {
                let mut out = Vec::new();
                let mut listing = self.store.list(prefix);
                while let Some(m) = listing.next().await {
                    out.push(m.map_err(|e| self.error("LIST", dir, e))?);
                }
                Ok(out)
            } else {
                self.store.list_with_delimiter(prefix).await.map(|r| r.objects).map_err(|e| self.error("LIST", dir, e))
            }
        })?;
        let mut out = Vec::new();
        for m in metas {
            let key = m.location.as_ref();
            // A zero-byte "folder marker" (`in/`) lists as the prefix itself: not a file.
            if key.is_empty() || key == location.as_ref() {
                continue;
            }
            out.push(dir.with_key(key)?);
        }
        out.sort_by_key(|p| p.key());
        Ok(out)
    }

    fn download(&self, p: &RemotePath, dest: &Path) -> Result<u64> {
        self.download_async(p, dest)
    }

    fn upload(&self, src: &Path, p: &RemotePath, overwrite: bool) -> Result<()> {
        // The caller checked before converting; this narrows the window to one request.
        if !overwrite && self.exists(p)? {
            return Err(Error::AlreadyExists { path: p.to_string() });
        }
        self.upload_async(src, p)
    }

    fn create_dirs(&self, _dir: &RemotePath) -> Result<()> {
        Ok(()) // Object stores have no folders: a prefix exists once an object is below it.
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use object_store::gcp::GoogleConfigKey;

    fn root(url: &str) -> RemoteRoot {
        match crate::Location::parse(url).unwrap() {
            crate::Location::Cloud(u) => RemotePath::from_cloud(&u).unwrap().root,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn s3_configuration_from_url_and_environment() {
        let base = AmazonS3Builder::new()
            .with_config("aws_endpoint_url".parse().unwrap(), "http://127.0.0.1:9000")
            .with_config("aws_allow_http".parse().unwrap(), "true")
            .with_config("aws_region".parse().unwrap(), "us-east-1");
        let b = s3_builder(base, "my-bucket", None);
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::Bucket).as_deref(), Some("my-bucket"));
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::Endpoint).as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::Region).as_deref(), Some("us-east-1"));
        // AWS_ENDPOINT_URL_S3 (service-specific) wins over AWS_ENDPOINT_URL, as in the AWS SDKs.
        let b = s3_builder(AmazonS3Builder::new().with_endpoint("http://a:1"), "b", Some("http://s3only:2".into()));
        assert_eq!(b.get_config_value(&AmazonS3ConfigKey::Endpoint).as_deref(), Some("http://s3only:2"));
        // The store builds without any credentials configured (they are resolved per request).
        let store = build(
            &root("s3://my-bucket/x.csv"),
            || AmazonS3Builder::new().with_region("eu-west-1"),
            MicrosoftAzureBuilder::new,
            GoogleCloudStorageBuilder::new,
        )
        .unwrap();
        assert!(store.to_string().contains("my-bucket"), "{store}");
    }

    #[test]
    fn azure_and_gcs_configuration_from_url() {
        install_tls_provider(); // built directly here, not through `build`
        let b = azure_builder(
            MicrosoftAzureBuilder::new().with_access_key("a2V5"),
            "abfss",
            "data@acct.dfs.core.windows.net",
        );
        let store = b.build().unwrap();
        let shown = store.to_string();
        assert!(shown.contains("acct") && shown.contains("data"), "{shown}");
        let b = gcs_builder(GoogleCloudStorageBuilder::new(), "gbucket");
        assert_eq!(b.get_config_value(&GoogleConfigKey::Bucket).as_deref(), Some("gbucket"));
    }

    #[test]
    fn part_sizes_keep_below_the_part_limit() {
        assert_eq!(part_size(20 * 1024 * 1024), PART_SIZE);
        let huge = 200 * 1024 * 1024 * 1024u64; // 200 GiB
        let ps = part_size(huge);
        assert!(ps > PART_SIZE && huge.div_ceil(ps) <= MAX_PARTS, "{ps}");
        assert_eq!(ps % (1024 * 1024), 0);
        let six_gib = 6 * 1024 * 1024 * 1024u64;
        assert!(six_gib.div_ceil(part_size(six_gib)) <= MAX_PARTS);
    }

    #[test]
    fn secrets_are_scrubbed() {
        let vars = vec![
            ("AWS_SECRET_ACCESS_KEY".to_string(), "wJalrXUtnFEMI".to_string()),
            ("AWS_ACCESS_KEY_ID".to_string(), "AKIAEXAMPLE".to_string()),
            ("AWS_REGION".to_string(), "us-east-1".to_string()),
            ("AZURE_STORAGE_ACCOUNT_KEY".to_string(), "c2VjcmV0".to_string()),
            ("HOME".to_string(), "/root".to_string()),
        ];
        let s = secrets_in(vars.into_iter());
        assert!(
            s.contains(&"wJalrXUtnFEMI".to_string())
                && s.contains(&"AKIAEXAMPLE".to_string())
                && s.contains(&"c2VjcmV0".to_string())
        );
        assert!(!s.contains(&"us-east-1".to_string()) && !s.contains(&"/root".to_string()));
        assert_eq!(scrub_with("key AKIAEXAMPLE sig wJalrXUtnFEMI in us-east-1", &s), "key *** sig *** in us-east-1");
    }

    #[test]
    fn wrong_root_is_an_error_not_a_panic() {
        let store = CloudStore {
            root: root("s3://a"),
            store: build(
                &root("s3://a"),
                AmazonS3Builder::new,
                MicrosoftAzureBuilder::new,
                GoogleCloudStorageBuilder::new,
            )
            .unwrap(),
            runtime: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(),
            secrets: Vec::new(),
        };
        let Ok(crate::Location::Cloud(u)) = crate::Location::parse("s3://b/x.csv") else { panic!() };
        let other = RemotePath::from_cloud(&u).unwrap();
        assert!(matches!(store.exists(&other), Err(Error::UnsupportedLocation { .. })));
        let mine = RemotePath { root: root("s3://a"), parts: vec!["in".into(), "a b[1].csv".into()], dir_hint: false };
        // Keys reach the store as written (object_store's `Path::from` would percent-encode `[`).
        assert_eq!(store.object_path(&mine).unwrap().as_ref(), "in/a b[1].csv");
    }
}
