//! The health probes' paths: exempt from rate limits, and open without a token when reads are
//! open. Apart from the routes so that middleware need not depend on a route module.

/// Paths of the health probes, with and without the API prefix.
pub fn is_probe_path(path: &str) -> bool {
    matches!(
        path,
        "/api/v1/health" | "/api/v1/health/ready" | "/health" | "/health/ready"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_paths_are_recognised_with_and_without_the_prefix() {
        assert!(is_probe_path("/health") && is_probe_path("/api/v1/health/ready"));
        assert!(!is_probe_path("/api/v1/health/other") && !is_probe_path("/api/v1/generate"));
    }
}
