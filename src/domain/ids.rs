//! Prefixed random identifiers (`job-3f9c…`), as fixed by the design contract.

use uuid::Uuid;

/// Every kind of identifier the service hands out, with its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    Job,
    Experiment,
    Run,
    Persona,
    Webhook,
    Delivery,
    Dataset,
    Script,
}

/// Hex characters after the prefix: 16 (64 random bits) keeps collisions out of reach.
const HEX_LEN: usize = 16;

impl IdKind {
    pub fn prefix(self) -> &'static str {
        match self {
            IdKind::Job => "job-",
            IdKind::Experiment => "exp-",
            IdKind::Run => "run-",
            IdKind::Persona => "persona-",
            IdKind::Webhook => "webhook-",
            IdKind::Delivery => "delivery-",
            IdKind::Dataset => "dataset-",
            IdKind::Script => "script-",
        }
    }

    /// A fresh random identifier of this kind.
    pub fn new_id(self) -> String {
        let hex = Uuid::new_v4().simple().to_string();
        format!("{}{}", self.prefix(), &hex[..HEX_LEN])
    }

    /// An identifier derived from content, for outputs that must be byte-identical across
    /// reruns (the CLI's personas). `digest_hex` is a lowercase hex digest.
    pub fn derived_id(self, digest_hex: &str) -> String {
        format!("{}{}", self.prefix(), &digest_hex[..HEX_LEN.min(digest_hex.len())])
    }

    /// Whether `s` has this kind's prefix followed by 12 or more lowercase hex characters.
    pub fn matches(self, s: &str) -> bool {
        s.strip_prefix(self.prefix()).is_some_and(|rest| {
            rest.len() >= 12 && rest.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_prefixed_unique_and_recognised() {
        let a = IdKind::Job.new_id();
        let b = IdKind::Job.new_id();
        assert!(a.starts_with("job-") && a.len() == 4 + HEX_LEN);
        assert_ne!(a, b);
        assert!(IdKind::Job.matches(&a));
        assert!(!IdKind::Run.matches(&a));
        assert!(!IdKind::Job.matches("job-XYZ"));
        assert!(!IdKind::Job.matches("job-abc"));
    }

    #[test]
    fn derived_ids_are_stable() {
        let d = "0123456789abcdef0123";
        assert_eq!(IdKind::Persona.derived_id(d), "persona-0123456789abcdef");
    }
}
