//! The workspace's compiled-in assets and their versioned URLs.

use sha2::{Digest, Sha256};
use std::sync::LazyLock;

pub const STYLESHEET: &str = include_str!("assets/app.css");
pub const SCRIPT: &str = include_str!("assets/app.js");

/// A short hash of the assets: their URLs change when they do, so browsers may cache them
/// forever (and the rate limit does not count a reload's asset requests).
static ASSET_VERSION: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::new()
        .chain_update(STYLESHEET.as_bytes())
        .chain_update(SCRIPT.as_bytes())
        .finalize();
    hex::encode(&digest[..6])
});

/// The asset URL with its version.
pub(super) fn asset_url(name: &str) -> String {
    format!("/ui/assets/{name}?v={}", *ASSET_VERSION)
}
