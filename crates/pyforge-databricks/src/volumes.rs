//! The Unity Catalog volumes API (`/api/2.1/unity-catalog/volumes`).

use crate::error::{Error, Result};
use crate::http::{encode_path, encode_query, HttpClient, Request};

/// One volume, with the fields shown in tables; `raw` keeps everything the server sent.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeInfo {
    /// `catalog.schema.volume`.
    pub full_name: String,
    /// `MANAGED` or `EXTERNAL`.
    pub volume_type: Option<String>,
    /// The cloud location of an external volume (or a managed one's, when shown).
    pub storage_location: Option<String>,
    /// The owner.
    pub owner: Option<String>,
    /// The comment.
    pub comment: Option<String>,
    /// The whole object as returned.
    pub raw: serde_json::Value,
}

impl VolumeInfo {
    fn from_json(v: serde_json::Value) -> Result<VolumeInfo> {
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let full_name = s("full_name")
            .or_else(|| Some(format!("{}.{}.{}", s("catalog_name")?, s("schema_name")?, s("name")?)))
            .ok_or_else(|| Error::Protocol {
                method: "GET".into(),
                path: "volumes".into(),
                message: "a volume without a name".into(),
            })?;
        Ok(VolumeInfo {
            full_name,
            volume_type: s("volume_type"),
            storage_location: s("storage_location"),
            owner: s("owner"),
            comment: s("comment"),
            raw: v,
        })
    }
}

/// Split `a.b` (or `a.b.c`) into exactly `n` non-empty names.
pub fn split_name(s: &str, n: usize, what: &str) -> Result<Vec<String>> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != n || parts.iter().any(|p| p.is_empty()) {
        return Err(Error::Config(format!("`{s}` is not a {what} name")));
    }
    Ok(parts.into_iter().map(str::to_string).collect())
}

/// A volumes API client.
pub struct VolumesApi<'a> {
    http: &'a HttpClient,
}

impl<'a> VolumesApi<'a> {
    /// Use `http`.
    pub fn new(http: &'a HttpClient) -> Self {
        VolumesApi { http }
    }

    /// The volumes of `CATALOG.SCHEMA` (every page).
    pub fn list(&self, catalog_schema: &str) -> Result<Vec<VolumeInfo>> {
        let cs = split_name(catalog_schema, 2, "CATALOG.SCHEMA")?;
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut url = format!(
                "/api/2.1/unity-catalog/volumes?catalog_name={}&schema_name={}",
                encode_query(&cs[0]),
                encode_query(&cs[1])
            );
            if let Some(t) = &token {
                url.push_str("&page_token=");
                url.push_str(&encode_query(t));
            }
            let doc = self.http.json(&Request::new("GET", url, format!("volumes of {catalog_schema}")))?;
            if let Some(list) = doc.get("volumes").and_then(|v| v.as_array()) {
                for v in list {
                    out.push(VolumeInfo::from_json(v.clone())?);
                }
            }
            match doc.get("next_page_token").and_then(|t| t.as_str()).filter(|t| !t.is_empty()) {
                Some(t) if Some(t) == token.as_deref() => break,
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        out.sort_by(|a, b| a.full_name.cmp(&b.full_name));
        Ok(out)
    }

    /// One volume by `CATALOG.SCHEMA.VOLUME`.
    pub fn get(&self, full_name: &str) -> Result<VolumeInfo> {
        split_name(full_name, 3, "CATALOG.SCHEMA.VOLUME")?;
        let url = format!("/api/2.1/unity-catalog/volumes/{}", encode_path(full_name));
        VolumeInfo::from_json(self.http.json(&Request::new("GET", url, format!("volume {full_name}")))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(split_name("a.b", 2, "x").unwrap(), vec!["a", "b"]);
        assert!(split_name("a", 2, "CATALOG.SCHEMA").unwrap_err().to_string().contains("not a CATALOG.SCHEMA name"));
        assert!(split_name("a..c", 3, "x").is_err());
    }

    #[test]
    fn info_from_json() {
        let v = serde_json::json!({"name": "v", "catalog_name": "c", "schema_name": "s", "volume_type": "MANAGED"});
        let i = VolumeInfo::from_json(v).unwrap();
        assert_eq!(i.full_name, "c.s.v");
        assert_eq!(i.volume_type.as_deref(), Some("MANAGED"));
    }
}
