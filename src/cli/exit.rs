//! How a command reports a failure: one `error: …` line on stderr and the exit status.

/// An error as one line, prefixed `error: `, for stderr.
pub fn error_line(error: &dyn std::fmt::Display) -> String {
    let message = error.to_string();
    format!("error: {}", message.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Exit code for a configuration or usage problem.
pub const EXIT_CONFIG: i32 = 2;
/// Exit code for a failure while running.
pub const EXIT_FAILURE: i32 = 1;

/// Why a command failed, which decides its exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Flag values or combinations ([`EXIT_CONFIG`]).
    Usage(String),
    /// The work itself: unreadable input, a refused result ([`EXIT_FAILURE`]).
    Run(String),
}

impl Failure {
    /// Prints `error: …` on stderr and returns the exit status.
    pub fn report(self) -> i32 {
        let (message, code) = match self {
            Failure::Usage(message) => (message, EXIT_CONFIG),
            Failure::Run(message) => (message, EXIT_FAILURE),
        };
        eprintln!("error: {message}");
        code
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Run(message)
    }
}
