//! What an input or output argument names: a local path, a Unity Catalog Volume file or folder,
//! or a cloud object URL.
//!
//! `dbfs:/Volumes/c/s/v/p`, `/Volumes/c/s/v/p` and `/dbfs/Volumes/c/s/v/p` all name the same
//! Volume file: [`VolumePath`] keeps catalog, schema, volume and the path inside the volume, and
//! renders it for the Files API ([`VolumePath::api_path`]) or a FUSE mount
//! ([`VolumePath::mount_path`]).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where a file or folder lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A path on this machine (plain, or from a `file://` URL).
    Local(PathBuf),
    /// A file or folder in a Unity Catalog Volume.
    Volume(VolumePath),
    /// An object (or prefix) in cloud storage: `s3://`, `abfss://`, `gs://`...
    Cloud(CloudUrl),
}

/// A cloud storage URL, split into scheme, bucket (container) and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudUrl {
    /// The kind of store.
    pub scheme: CloudScheme,
    /// The URL as given.
    pub url: String,
    /// Bucket (S3, GCS) or `container@account.host` (Azure).
    pub bucket: String,
    /// The object key or prefix, without a leading `/` (may be empty).
    pub key: String,
}

/// The cloud stores a URL can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloudScheme {
    /// `s3://` and `s3a://`.
    S3,
    /// `abfss://` and `abfs://` (Azure Data Lake Storage Gen2).
    Azure,
    /// `gs://`.
    Gcs,
}

/// A path inside a Unity Catalog Volume: `/Volumes/<catalog>/<schema>/<volume>/<path>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VolumePath {
    /// Catalog name.
    pub catalog: String,
    /// Schema name.
    pub schema: String,
    /// Volume name.
    pub volume: String,
    /// Path components below the volume (empty for the volume's root folder).
    pub parts: Vec<String>,
    /// The argument ended with `/`: it names a folder.
    pub dir_hint: bool,
}

impl VolumePath {
    /// Parse `/Volumes/c/s/v[/path]` (the `dbfs:` and `/dbfs` prefixes already removed).
    /// `original` is the argument as given, for error messages.
    fn parse_rooted(rooted: &str, original: &str) -> Result<Self> {
        let invalid =
            |reason: &str| Error::InvalidVolumePath { path: original.to_string(), reason: reason.to_string() };
        let rest = rooted.strip_prefix("/Volumes").ok_or_else(|| invalid("does not start with /Volumes"))?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return Err(invalid("does not start with /Volumes/"));
        }
        let parts: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        for p in &parts {
            if *p == "." || *p == ".." {
                return Err(invalid("`.` and `..` are not allowed in a Volume path"));
            }
            if p.chars().any(|c| c.is_control()) {
                return Err(invalid("control characters are not allowed in a Volume path"));
            }
        }
        match parts.len() {
            0 => return Err(invalid("the catalog, schema and volume names are missing")),
            1 => return Err(invalid("the schema and volume names are missing")),
            2 => return Err(invalid("the volume name is missing")),
            _ => {}
        }
        Ok(VolumePath {
            catalog: parts[0].to_string(),
            schema: parts[1].to_string(),
            volume: parts[2].to_string(),
            parts: parts[3..].iter().map(|s| s.to_string()).collect(),
            dir_hint: rooted.ends_with('/') || parts.len() == 3,
        })
    }

    /// Parse any of the three spellings; `None` if `s` is not a Volume path at all.
    pub fn parse(s: &str) -> Option<Result<Self>> {
        let rooted = if let Some(r) = s.strip_prefix("dbfs:") {
            // dbfs:/Volumes/..., also dbfs:///Volumes/...
            let r = r.trim_start_matches('/');
            format!("/{r}")
        } else if let Some(r) = s.strip_prefix("/dbfs/Volumes") {
            format!("/Volumes{r}")
        } else if s == "/Volumes" || s.starts_with("/Volumes/") {
            s.to_string()
        } else {
            return None;
        };
        if s.starts_with("dbfs:") && !(rooted == "/Volumes" || rooted.starts_with("/Volumes/")) {
            return Some(Err(Error::UnsupportedLocation {
                location: s.to_string(),
                reason: "only Unity Catalog Volume paths (dbfs:/Volumes/<catalog>/<schema>/<volume>/...) are supported, not the DBFS root".into(),
            }));
        }
        Some(Self::parse_rooted(&rooted, s))
    }

    /// The path as the Files API and the FUSE mount spell it: `/Volumes/c/s/v/p`.
    pub fn api_path(&self) -> String {
        let mut s = format!("/Volumes/{}/{}/{}", self.catalog, self.schema, self.volume);
        for p in &self.parts {
            s.push('/');
            s.push_str(p);
        }
        s
    }

    /// The same file below a mount of `/Volumes` at `root` (normally `/Volumes` itself).
    pub fn mount_path(&self, root: &Path) -> PathBuf {
        let mut p = root.join(&self.catalog).join(&self.schema).join(&self.volume);
        for part in &self.parts {
            p.push(part);
        }
        p
    }

    /// `catalog.schema.volume`, the volume's Unity Catalog full name.
    pub fn full_name(&self) -> String {
        format!("{}.{}.{}", self.catalog, self.schema, self.volume)
    }

    /// The last path component (`None` for the volume's root).
    pub fn file_name(&self) -> Option<&str> {
        self.parts.last().map(String::as_str)
    }

    /// The folder holding this path (`None` for the volume's root).
    pub fn parent(&self) -> Option<VolumePath> {
        if self.parts.is_empty() {
            return None;
        }
        let mut p = self.clone();
        p.parts.pop();
        p.dir_hint = true;
        Some(p)
    }

    /// A path below this one (`rel` is `/`-separated; empty components are ignored).
    pub fn join(&self, rel: &str) -> Result<VolumePath> {
        let joined = format!("{}/{}", self.api_path(), rel);
        Self::parse_rooted(&joined, &joined)
    }

    /// Parse the `path` field of a Files API listing entry (`/Volumes/...`).
    pub fn from_api_path(p: &str) -> Result<VolumePath> {
        Self::parse_rooted(p, p)
    }
}

impl fmt::Display for VolumePath {
    /// `dbfs:/Volumes/c/s/v/p`: unambiguous whatever the machine mounts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "dbfs:{}", self.api_path())?;
        if self.dir_hint && !self.parts.is_empty() {
            f.write_str("/")?;
        }
        Ok(())
    }
}

/// `scheme://` at the start of `s` (two or more letters, so `C:\x` stays a Windows path).
fn url_scheme(s: &str) -> Option<&str> {
    let (scheme, _) = s.split_once("://")?;
    let ok = scheme.len() >= 2
        && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    ok.then_some(scheme)
}

impl Location {
    /// Parse an input or output argument.
    ///
    /// ```
    /// use pyforge_databricks::Location;
    /// let a = Location::parse("dbfs:/Volumes/main/raw/files/sales.csv").unwrap();
    /// let b = Location::parse("/dbfs/Volumes/main/raw/files/sales.csv").unwrap();
    /// assert_eq!(a, b);
    /// assert!(Location::parse("/Volumes/main/raw").is_err()); // no volume name
    /// ```
    pub fn parse(s: &str) -> Result<Location> {
        if let Some(v) = VolumePath::parse(s) {
            return v.map(Location::Volume);
        }
        let Some(scheme) = url_scheme(s) else {
            return Ok(Location::Local(PathBuf::from(s)));
        };
        let rest = &s[scheme.len() + 3..];
        let lower = scheme.to_ascii_lowercase();
        let unsupported = |reason: String| Error::UnsupportedLocation { location: s.to_string(), reason };
        if lower == "file" {
            // file:///abs/path or file://localhost/abs/path
            let path = rest.strip_prefix("localhost").unwrap_or(rest);
            if !path.starts_with('/') {
                return Err(unsupported("a file:// URL must hold an absolute path (file:///data/x.csv)".into()));
            }
            let decoded = percent_encoding::percent_decode_str(path)
                .decode_utf8()
                .map_err(|_| unsupported("the path is not valid UTF-8 after percent-decoding".into()))?;
            return Ok(Location::Local(PathBuf::from(decoded.as_ref())));
        }
        let scheme_kind = match lower.as_str() {
            "s3" | "s3a" => CloudScheme::S3,
            "abfss" | "abfs" => CloudScheme::Azure,
            "gs" => CloudScheme::Gcs,
            _ => {
                return Err(unsupported(format!(
                    "unsupported location scheme `{scheme}://` (supported: dbfs:/Volumes, /Volumes, s3://, abfss://, gs://, file://, plain paths)"
                )))
            }
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(unsupported("the bucket (or container) name is missing".into()));
        }
        if scheme_kind == CloudScheme::Azure && !bucket.contains('@') {
            return Err(unsupported("an abfss:// URL names container@account.dfs.core.windows.net".into()));
        }
        Ok(Location::Cloud(CloudUrl {
            scheme: scheme_kind,
            url: s.to_string(),
            bucket: bucket.to_string(),
            key: key.to_string(),
        }))
    }

    /// True unless this is a plain local path.
    pub fn is_remote(&self) -> bool {
        !matches!(self, Location::Local(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vol(s: &str) -> VolumePath {
        match Location::parse(s).unwrap() {
            Location::Volume(v) => v,
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn three_spellings_name_the_same_volume_file() {
        let a = vol("dbfs:/Volumes/main/raw/files/in/sales.csv");
        let b = vol("/Volumes/main/raw/files/in/sales.csv");
        let c = vol("/dbfs/Volumes/main/raw/files/in/sales.csv");
        let d = vol("dbfs:///Volumes/main/raw/files/in/sales.csv");
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(a, d);
        assert_eq!(a.catalog, "main");
        assert_eq!(a.schema, "raw");
        assert_eq!(a.volume, "files");
        assert_eq!(a.parts, vec!["in", "sales.csv"]);
        assert_eq!(a.api_path(), "/Volumes/main/raw/files/in/sales.csv");
        assert_eq!(a.to_string(), "dbfs:/Volumes/main/raw/files/in/sales.csv");
        assert_eq!(a.full_name(), "main.raw.files");
        assert_eq!(a.file_name(), Some("sales.csv"));
        assert_eq!(a.mount_path(Path::new("/mnt/v")), PathBuf::from("/mnt/v/main/raw/files/in/sales.csv"));
        assert!(!a.dir_hint);
    }

    #[test]
    fn folders_and_the_volume_root() {
        let root = vol("/Volumes/c/s/v");
        assert!(root.parts.is_empty());
        assert!(root.dir_hint);
        assert_eq!(root.parent(), None);
        let dir = vol("dbfs:/Volumes/c/s/v/data/");
        assert!(dir.dir_hint);
        assert_eq!(dir.parts, vec!["data"]);
        assert_eq!(dir.to_string(), "dbfs:/Volumes/c/s/v/data/");
        let f = dir.join("x.csv").unwrap();
        assert_eq!(f.api_path(), "/Volumes/c/s/v/data/x.csv");
        assert_eq!(f.parent().unwrap().api_path(), "/Volumes/c/s/v/data");
        // Doubled slashes collapse.
        assert_eq!(vol("/Volumes//c/s//v/a.csv").api_path(), "/Volumes/c/s/v/a.csv");
        // Names with spaces and dots are kept verbatim.
        assert_eq!(vol("/Volumes/c/s/v/my file.v2.csv").file_name(), Some("my file.v2.csv"));
    }

    #[test]
    fn invalid_volume_paths_are_clear_errors() {
        for (s, why) in [
            ("/Volumes", "catalog, schema and volume names are missing"),
            ("/Volumes/", "catalog, schema and volume names are missing"),
            ("dbfs:/Volumes/c", "schema and volume names are missing"),
            ("/dbfs/Volumes/c/s", "volume name is missing"),
            ("/Volumes/c/s/", "volume name is missing"),
            ("/Volumes/c/s/v/../../x", "`..` are not allowed"),
        ] {
            let e = Location::parse(s).unwrap_err();
            assert!(matches!(e, Error::InvalidVolumePath { .. }), "{s}: {e:?}");
            let msg = e.to_string();
            assert!(msg.starts_with(s), "{msg}");
            assert!(msg.contains(why), "{msg}");
            assert!(msg.contains("dbfs:/Volumes/<catalog>/<schema>/<volume>"), "{msg}");
        }
        let e = Location::parse("dbfs:/tmp/x.csv").unwrap_err();
        assert!(matches!(e, Error::UnsupportedLocation { .. }), "{e:?}");
        assert!(e.to_string().contains("DBFS root"));
    }

    #[test]
    fn lookalikes_are_local_paths() {
        for s in [
            "/Volumesx/a/b/c",
            "Volumes/c/s/v/x",
            "/data/dbfs/Volumes/c/s/v",
            "/dbfs/tmp/x",
            "C:/x/y.csv",
            "sales.csv",
            "./a/b",
        ] {
            assert_eq!(Location::parse(s).unwrap(), Location::Local(PathBuf::from(s)), "{s}");
        }
    }

    #[test]
    fn cloud_urls() {
        let Location::Cloud(u) = Location::parse("s3://bucket/in/sales.csv").unwrap() else { panic!() };
        assert_eq!((u.scheme, u.bucket.as_str(), u.key.as_str()), (CloudScheme::S3, "bucket", "in/sales.csv"));
        let Location::Cloud(u) = Location::parse("abfss://c@acct.dfs.core.windows.net/a/b.xlsx").unwrap() else {
            panic!()
        };
        assert_eq!(
            (u.scheme, u.bucket.as_str(), u.key.as_str()),
            (CloudScheme::Azure, "c@acct.dfs.core.windows.net", "a/b.xlsx")
        );
        let Location::Cloud(u) = Location::parse("gs://b").unwrap() else { panic!() };
        assert_eq!((u.scheme, u.key.as_str()), (CloudScheme::Gcs, ""));
        assert!(matches!(Location::parse("s3:///x"), Err(Error::UnsupportedLocation { .. })));
        assert!(matches!(Location::parse("abfss://nocontainer/x"), Err(Error::UnsupportedLocation { .. })));
        let e = Location::parse("ftp://host/x").unwrap_err();
        assert!(e.to_string().contains("unsupported location scheme `ftp://`"), "{e}");
    }

    #[test]
    fn file_urls_are_local() {
        assert_eq!(Location::parse("file:///data/a%20b.csv").unwrap(), Location::Local(PathBuf::from("/data/a b.csv")));
        assert_eq!(
            Location::parse("file://localhost/data/x.csv").unwrap(),
            Location::Local(PathBuf::from("/data/x.csv"))
        );
        assert!(Location::parse("file://relative/x.csv").is_err());
        assert!(!Location::parse("x.csv").unwrap().is_remote());
        assert!(Location::parse("/Volumes/c/s/v/x").unwrap().is_remote());
    }
}
