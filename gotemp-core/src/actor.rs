//! Who is making a change. Transports build it from a verified token; services record it as
//! `modified_by` and as the audit event's `performed_by`.

use serde::{Deserialize, Serialize};

/// The authenticated caller of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// The user id the caller's token stands for.
    pub user_id: i64,
}

impl Actor {
    /// The caller with the given user id.
    pub fn new(user_id: i64) -> Self {
        Self { user_id }
    }

    /// gotemp itself (migrations, seeding). User ids start at 1, so 0 never names a person.
    pub fn system() -> Self {
        Self { user_id: 0 }
    }
}
