//! An adapter of the application's own, held to the contract of the port it implements: the
//! public conformance suite runs every case against the store with this adapter in place.
//!
//! The adapter keeps the users it has seen in memory, so reading one by id costs no round trip
//! to the database — the kind of adapter an application writes (and gets subtly wrong: a copy
//! left stale by an update or a failed write, or one remembered by id alone and handed to
//! another tenant asking for that id). The suite would catch that.

use async_trait::async_trait;
use gotemp::domain::Result;
use gotemp::domain::entities::{AuthStatus, User, UserDraft, UserFilter};
use gotemp::domain::event::{AuditEvent, PendingEvent};
use gotemp::domain::page::{Page, PageSpec};
use gotemp::domain::ports::UserRepository;
use gotemp::domain::values::{Email, PasswordHash, TenantId};
use gotemp_testing::TestStore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Users by tenant and id, remembered from every read and write, in front of another user
/// repository.
struct RememberedUsers {
    inner: Arc<dyn UserRepository>,
    seen: Mutex<HashMap<(TenantId, i64), User>>,
}

impl RememberedUsers {
    fn remember(&self, tenant: &TenantId, user: &User) {
        let mut seen = self.seen.lock().unwrap();
        seen.insert((tenant.clone(), user.id), user.clone());
    }

    fn forget(&self, tenant: &TenantId, id: i64) {
        self.seen.lock().unwrap().remove(&(tenant.clone(), id));
    }
}

#[async_trait]
impl UserRepository for RememberedUsers {
    async fn get(&self, tenant: &TenantId, id: i64) -> Result<Option<User>> {
        if let Some(user) = self.seen.lock().unwrap().get(&(tenant.clone(), id)) {
            return Ok(Some(user.clone()));
        }
        let user = self.inner.get(tenant, id).await?;
        if let Some(user) = &user {
            self.remember(tenant, user);
        }
        Ok(user)
    }

    async fn list(
        &self,
        tenant: &TenantId,
        filter: &UserFilter,
        page: &PageSpec,
    ) -> Result<Page<User>> {
        self.inner.list(tenant, filter, page).await
    }

    async fn credentials(&self, email: &Email) -> Result<Option<(AuthStatus, PasswordHash)>> {
        self.inner.credentials(email).await
    }

    async fn auth_status(&self, tenant: &TenantId, id: i64) -> Result<Option<AuthStatus>> {
        self.inner.auth_status(tenant, id).await
    }

    async fn create(
        &self,
        tenant: &TenantId,
        draft: &UserDraft,
        event: PendingEvent,
    ) -> Result<User> {
        let user = self.inner.create(tenant, draft, event).await?;
        self.remember(tenant, &user);
        Ok(user)
    }

    async fn update(
        &self,
        tenant: &TenantId,
        id: i64,
        draft: &UserDraft,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<User> {
        // Whatever happens, the copy may no longer be what is stored.
        self.forget(tenant, id);
        let user = (self.inner)
            .update(tenant, id, draft, expected_version, event)
            .await?;
        self.remember(tenant, &user);
        Ok(user)
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        id: i64,
        expected_version: i64,
        event: PendingEvent,
    ) -> Result<User> {
        self.forget(tenant, id);
        self.inner.delete(tenant, id, expected_version, event).await
    }

    async fn record_access(&self, event: &AuditEvent) -> Result<()> {
        self.inner.record_access(event).await
    }

    async fn set_password_hash(
        &self,
        tenant: &TenantId,
        id: i64,
        hash: &PasswordHash,
        replacing: &PasswordHash,
    ) -> Result<bool> {
        (self.inner)
            .set_password_hash(tenant, id, hash, replacing)
            .await
    }
}

/// A fresh embedded store with the users behind [`RememberedUsers`].
async fn store(_test: &str) -> Option<TestStore> {
    let store = gotemp_testing::sqlite_store().await;
    Some(store.adapted(|mut repos| {
        repos.users = Arc::new(RememberedUsers {
            inner: repos.users,
            seen: Mutex::new(HashMap::new()),
        });
        repos
    }))
}

gotemp_testing::conformance_tests!(store);
