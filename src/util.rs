//! Small helpers every layer uses: running blocking work off the async executor and printing an
//! error with its causes.

use crate::error::{Error, Result};

/// Runs blocking work (SQLite, file system, CPU-heavy steps) off the async executor, turning a
/// panic into an internal error.
pub async fn blocking<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Internal(format!("blocking task failed: {e}")))?
}

/// An error with its causes on one line, for messages such as "error sending request: operation
/// timed out".
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    for cause in error_causes(e) {
        text.push_str(": ");
        text.push_str(&cause);
    }
    text
}

/// The causes of an error (not its own message), outermost first.
pub fn error_causes(e: &dyn std::error::Error) -> Vec<String> {
    let mut causes = Vec::new();
    let mut source = e.source();
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn chains_name_every_cause() {
        let e = Outer(std::io::Error::other("inner"));
        assert_eq!(error_chain(&e), "outer: inner");
        assert_eq!(error_causes(&e), ["inner"]);
    }

    #[tokio::test]
    async fn blocking_work_returns_its_result_and_panics_become_errors() {
        assert_eq!(blocking(|| Ok(2)).await.unwrap(), 2);
        let panicked = blocking::<(), _>(|| panic!("boom")).await.unwrap_err();
        assert!(matches!(panicked, Error::Internal(_)), "{panicked:?}");
    }
}
