//! Remote data sources: downloading an http(s) URL with the fetch limits, into a file named
//! after the URL (with an extension from the Content-Type when the URL has none) so that the
//! format is recognised and evidence names the source.

use crate::config::FetchSettings;
use crate::error::{Error, Result};
use crate::util::error_chain;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Removes a directory (and everything in it) when dropped; a missing directory is fine.
pub struct RemoveOnDrop(pub PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        match std::fs::remove_dir_all(&self.0) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => log::warn!("cannot remove download folder {}: {e}", self.0.display()),
        }
    }
}

/// Downloads a URL data source into `dir` with the fetch limits (time, size, no private targets
/// unless allowed, no redirects), keeping the URL's file name so that evidence names the source.
pub async fn download(url: &str, limits: &FetchSettings, dir: &Path) -> Result<PathBuf> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;

    let fetch_error = |message: String| Error::InvalidInput {
        message,
        details: serde_json::json!({"field": "data", "url": url}),
    };
    let timeout = Duration::from_secs(limits.timeout_seconds.max(1));
    let client = crate::net::guarded_client(
        limits.allow_private_targets,
        timeout,
        timeout.min(Duration::from_secs(10)),
    );
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| fetch_error(format!("fetching {url} failed: {}", error_chain(&e))))?;
    let status = response.status();
    if !status.is_success() {
        let hint = if status.is_redirection() {
            " (redirects are not followed)"
        } else {
            ""
        };
        return Err(fetch_error(format!("fetching {url} failed: HTTP {status}{hint}")));
    }
    let too_large = |size: u64| {
        fetch_error(format!(
            "{url} is larger than the fetch limit of {} bytes ({size} bytes or more)",
            limits.max_bytes
        ))
    };
    if let Some(length) = response.content_length()
        && length > limits.max_bytes
    {
        return Err(too_large(length));
    }
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let name = download_file_name(response.url(), content_type.as_deref());
    tokio::fs::create_dir_all(dir).await?;
    let path = dir.join(name);
    let mut file = tokio::fs::File::create(&path).await?;
    let mut received: u64 = 0;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| fetch_error(format!("fetching {url} failed: {}", error_chain(&e))))?;
        received += chunk.len() as u64;
        if received > limits.max_bytes {
            return Err(too_large(received));
        }
        file.write_all(&chunk).await?;
    }
    file.flush().await?;
    Ok(path)
}

/// A safe local file name for a download: the URL's last path segment (sanitised), with an
/// extension from the Content-Type when the URL has none.
fn download_file_name(url: &reqwest::Url, content_type: Option<&str>) -> String {
    let segment = url
        .path_segments()
        .and_then(|mut segments| segments.next_back())
        .unwrap_or("");
    let mut name: String = segment
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    name = name.trim_start_matches('.').chars().take(100).collect();
    if name.is_empty() {
        name = "data".into();
    }
    if Path::new(&name).extension().is_none() {
        let mime = content_type
            .and_then(|ct| ct.split(';').next())
            .map(|m| m.trim().to_ascii_lowercase())
            .unwrap_or_default();
        let extension = match mime.as_str() {
            "text/csv" | "application/csv" => "csv",
            "text/tab-separated-values" => "tsv",
            "application/json" => "json",
            "application/x-ndjson" | "application/jsonl" => "jsonl",
            "text/markdown" => "md",
            _ => "txt",
        };
        name = format!("{name}.{extension}");
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_keep_the_url_file_name_or_use_the_content_type() {
        let url = |s: &str| reqwest::Url::parse(s).unwrap();
        assert_eq!(
            download_file_name(&url("https://x.test/a/interviews.csv"), None),
            "interviews.csv"
        );
        assert_eq!(
            download_file_name(&url("https://x.test/export"), Some("text/csv; charset=utf-8")),
            "export.csv"
        );
        assert_eq!(
            download_file_name(&url("https://x.test/"), Some("application/json")),
            "data.json"
        );
        assert_eq!(
            download_file_name(&url("https://x.test/..%2F..%2Fetc"), None),
            "_2F.._2Fetc"
        );
        assert_eq!(download_file_name(&url("https://x.test/.hidden"), None), "hidden.txt");
    }
}
