//! The Files API client and auth against a tiny scripted HTTP server on 127.0.0.1 (std only):
//! Range-resumed downloads through drops and 503s, paging, 401 messages without the token, and
//! OAuth M2M discovery, token use and refresh before expiry.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyforge_databricks::config::{Config, Secret};
use pyforge_databricks::files_api::FilesApi;
use pyforge_databricks::http::{HttpClient, RetryPolicy};
use pyforge_databricks::{Error, VolumePath};

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What to answer.
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Announce the whole body but send only this many bytes, then close.
    drop_after: Option<usize>,
}

fn reply(status: u16, body: &[u8]) -> Reply {
    Reply { status, headers: vec![], body: body.to_vec(), drop_after: None }
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// Serve `handler` on a free port; every connection answers one request and closes.
fn serve(handler: Arc<Handler>) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let handler = handler.clone();
            let log = log.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or_default().to_string();
                let path = parts.next().unwrap_or_default().to_string();
                let mut headers = Vec::new();
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        headers.push((k.trim().to_string(), v.trim().to_string()));
                    }
                }
                let seen = Seen { method, path, headers };
                let len: usize = seen.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                log.lock().unwrap().push(seen.clone());
                let r = handler(&seen);
                let mut head =
                    format!("HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n", r.status, r.body.len());
                for (k, v) in &r.headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                let _ = stream.write_all(head.as_bytes());
                if seen.method != "HEAD" {
                    let n = r.drop_after.unwrap_or(r.body.len()).min(r.body.len());
                    let _ = stream.write_all(&r.body[..n]);
                }
                let _ = stream.flush();
                let _ = stream.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    (url, seen)
}

fn fast(http: HttpClient) -> HttpClient {
    http.with_retry(RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(1),
    })
}

fn pat_client(url: &str, token: &str) -> HttpClient {
    fast(
        HttpClient::new(&Config { host: Some(url.to_string()), token: Some(Secret::new(token)), ..Default::default() })
            .unwrap(),
    )
}

fn data() -> Vec<u8> {
    (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect()
}

#[test]
fn download_resumes_after_a_drop_and_two_503s() {
    let body = Arc::new(data());
    let calls = Arc::new(Mutex::new(0u32));
    let (b, c) = (body.clone(), calls.clone());
    let (url, seen) = serve(Arc::new(move |s: &Seen| {
        let mut n = c.lock().unwrap();
        *n += 1;
        let lm = ("Last-Modified".to_string(), "Sun, 22 Nov 2026 00:00:00 GMT".to_string());
        match *n {
            1 => Reply { status: 200, headers: vec![lm], body: b.to_vec(), drop_after: Some(123_457) },
            2 | 3 => reply(503, b"{\"error_code\":\"TEMPORARILY_UNAVAILABLE\",\"message\":\"busy\"}"),
            _ => {
                let start: usize =
                    s.header("range").unwrap().trim_start_matches("bytes=").trim_end_matches('-').parse().unwrap();
                let total = b.len();
                Reply {
                    status: 206,
                    headers: vec![lm, ("Content-Range".into(), format!("bytes {start}-{}/{total}", total - 1))],
                    body: b[start..].to_vec(),
                    drop_after: None,
                }
            }
        }
    }));
    let http = pat_client(&url, "dapi-secret");
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("x.bin");
    let v = VolumePath::from_api_path("/Volumes/c/s/v/dir/x y.bin").unwrap();
    let n = FilesApi::new(&http).download(&v, &dest).unwrap();
    assert_eq!(n as usize, body.len());
    assert_eq!(std::fs::read(&dest).unwrap(), *body);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[0].path, "/api/2.0/fs/files/Volumes/c/s/v/dir/x%20y.bin");
    assert_eq!(seen[0].header("range"), None);
    for s in &seen[1..] {
        assert_eq!(s.header("range"), Some("bytes=123457-"));
        assert_eq!(s.header("if-range"), Some("Sun, 22 Nov 2026 00:00:00 GMT"));
    }
    assert_eq!(seen[0].header("authorization"), Some("Bearer dapi-secret"));
}

#[test]
fn listing_follows_page_tokens() {
    let (url, seen) = serve(Arc::new(|s: &Seen| {
        let body = if s.path.contains("page_token=p%202") {
            r#"{"contents":[{"path":"/Volumes/c/s/v/d/c.csv","is_directory":false}]}"#
        } else {
            r#"{"contents":[{"path":"/Volumes/c/s/v/d/a.csv"},{"path":"/Volumes/c/s/v/d/b.csv"}],"next_page_token":"p 2"}"#
        };
        reply(200, body.as_bytes())
    }));
    let http = pat_client(&url, "t");
    let v = VolumePath::from_api_path("/Volumes/c/s/v/d").unwrap();
    let names: Vec<String> = FilesApi::new(&http).list(&v).unwrap().into_iter().map(|e| e.path).collect();
    assert_eq!(names, ["/Volumes/c/s/v/d/a.csv", "/Volumes/c/s/v/d/b.csv", "/Volumes/c/s/v/d/c.csv"]);
    assert_eq!(seen.lock().unwrap().len(), 2);
}

#[test]
fn errors_name_the_path_and_never_the_token() {
    let (url, _) = serve(Arc::new(|s: &Seen| {
        let presented = s.header("authorization").unwrap_or_default().to_string();
        match s.method.as_str() {
            "GET" => reply(
                401,
                format!("{{\"error_code\":\"UNAUTHENTICATED\",\"message\":\"bad token {presented}\"}}").as_bytes(),
            ),
            _ => reply(403, b""),
        }
    }));
    let http = pat_client(&url, "dapi-very-secret");
    let v = VolumePath::from_api_path("/Volumes/c/s/v/a.csv").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = FilesApi::new(&http).download(&v, &dir.path().join("a")).unwrap_err();
    assert!(matches!(e, Error::Unauthorized { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("GET dbfs:/Volumes/c/s/v/a.csv: authentication failed (HTTP 401"), "{msg}");
    assert!(!msg.contains("dapi-very-secret") && !format!("{e:?}").contains("dapi-very-secret"), "{msg}");
    let e = FilesApi::new(&http).upload(&dir.path().join("a"), &v, false).unwrap_err();
    assert!(matches!(e, Error::Forbidden { .. }), "{e:?}");
}

#[test]
fn oauth_m2m_discovers_fetches_and_refreshes_before_expiry() {
    let tokens = Arc::new(Mutex::new(0u32));
    let t = tokens.clone();
    let base = Arc::new(Mutex::new(String::new()));
    let b = base.clone();
    let (url, seen) = serve(Arc::new(move |s: &Seen| match s.path.as_str() {
        "/oidc/.well-known/oauth-authorization-server" => {
            reply(200, format!("{{\"token_endpoint\":\"{}/token\"}}", b.lock().unwrap()).as_bytes())
        }
        "/token" => {
            // "id:sec" in HTTP Basic.
            if s.header("authorization") != Some("Basic aWQ6c2Vj") {
                return reply(401, b"{\"error\":\"invalid_client\"}");
            }
            let mut n = t.lock().unwrap();
            *n += 1;
            reply(200, format!("{{\"access_token\":\"tok{n}\",\"token_type\":\"Bearer\",\"expires_in\":1}}").as_bytes())
        }
        _ => reply(200, b"{\"contents\":[]}"),
    }));
    *base.lock().unwrap() = url.clone();
    let cfg = Config {
        host: Some(url.clone()),
        client_id: Some("id".into()),
        client_secret: Some(Secret::new("sec")),
        ..Default::default()
    };
    let http = fast(HttpClient::new(&cfg).unwrap());
    let files = FilesApi::new(&http);
    let v = VolumePath::from_api_path("/Volumes/c/s/v").unwrap();
    files.list(&v).unwrap();
    files.list(&v).unwrap();
    std::thread::sleep(Duration::from_millis(1000));
    files.list(&v).unwrap();
    let seen = seen.lock().unwrap();
    let auth: Vec<_> = seen
        .iter()
        .filter(|s| s.path.starts_with("/api/"))
        .map(|s| s.header("authorization").unwrap().to_string())
        .collect();
    assert_eq!(auth, ["Bearer tok1", "Bearer tok1", "Bearer tok2"]);
    assert_eq!(seen.iter().filter(|s| s.path.contains("well-known")).count(), 1);
    let token_req = seen.iter().find(|s| s.path == "/token").unwrap();
    assert_eq!(token_req.header("content-type"), Some("application/x-www-form-urlencoded"));
    drop(seen); // the server logs every request under this lock
                // A wrong secret: a configuration error naming the client, not the secret.
    let cfg = Config { client_secret: Some(Secret::new("wrong-secret")), ..cfg };
    let e = fast(HttpClient::new(&cfg).unwrap());
    let err = FilesApi::new(&e).list(&v).unwrap_err().to_string();
    assert!(err.contains("refused client `id`") && !err.contains("wrong-secret"), "{err}");
}

/// A server that accepts the first connection and never answers (a hung load balancer): the
/// attempt is given up after `http_timeout_seconds`, the retry is announced, and the second
/// connection gets the file.
#[test]
fn a_silent_connection_is_given_up_and_retried() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for (i, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            if i == 0 {
                held.push(stream); // read nothing, answer nothing, keep it open
                continue;
            }
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 2 {
                line.clear();
            }
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
        }
    });
    let cfg =
        Config { host: Some(url), token: Some(Secret::new("t")), http_timeout_seconds: Some(1), ..Default::default() };
    let notices = Arc::new(Mutex::new(Vec::<String>::new()));
    let log = notices.clone();
    let http = fast(HttpClient::new(&cfg).unwrap())
        .with_retry_notice(Arc::new(move |m: &str| log.lock().unwrap().push(m.to_string())));
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let v = VolumePath::parse("/Volumes/c/s/v/a.bin").unwrap().unwrap();
    let n = FilesApi::new(&http).download(&v, &dir.path().join("a.bin")).unwrap();
    assert_eq!(n, 5);
    assert_eq!(std::fs::read(dir.path().join("a.bin")).unwrap(), b"hello");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(10), "{waited:?}");
    let notices = notices.lock().unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains("/Volumes/c/s/v/a.bin") && notices[0].contains("retrying"), "{notices:?}");
}

#[test]
fn http_timeout_is_configured_like_the_sdk() {
    use std::collections::HashMap;
    let vars: HashMap<&str, &str> =
        [("DATABRICKS_HOST", "h"), ("DATABRICKS_TOKEN", "t"), ("DATABRICKS_HTTP_TIMEOUT_SECONDS", "5")].into();
    let env = |k: &str| vars.get(k).map(|v| v.to_string());
    assert_eq!(Config::resolve_with(None, &env).unwrap().http_timeout_seconds, Some(5));
    let bad: HashMap<&str, &str> = [("DATABRICKS_HTTP_TIMEOUT_SECONDS", "soon")].into();
    let env = |k: &str| bad.get(k).map(|v| v.to_string());
    let e = Config::resolve_with(None, &env).unwrap_err().to_string();
    assert!(e.contains("http_timeout_seconds") && e.contains("soon"), "{e}");
    assert_eq!(pyforge_databricks::config::DEFAULT_HTTP_TIMEOUT_SECONDS, 60);
}
