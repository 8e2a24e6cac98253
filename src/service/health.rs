//! The readiness checks that read storage: the database answers, and its schema is the one this
//! binary expects.

use crate::store::Db;

/// What the readiness probe reports for a passing check.
pub const OK: &str = "ok";

/// The database and migrations checks: [`OK`] or what is wrong, for people. Blocking.
pub fn storage_checks(db: &Db) -> (String, String) {
    let database = match db.ping() {
        Ok(()) => OK.to_string(),
        Err(e) => {
            log::warn!("readiness: database unavailable: {e}");
            crate::store::health::probe_message(&e)
        }
    };
    let migrations = match db.migration_status() {
        Ok(status) if status.is_current() => OK.to_string(),
        Ok(status) => format!(
            "schema version {} but this binary expects {}; run `persona migrate`",
            status.applied.map_or("none".to_string(), |v| v.to_string()),
            status.latest
        ),
        Err(e) => {
            log::warn!("readiness: migration status unavailable: {e}");
            "the migration status cannot be read".to_string()
        }
    };
    (database, migrations)
}
