//! Extension points around every write, so an embedding application adds its own rules and
//! reactions next to the built-in ones without forking a service.
//!
//! Before-hooks run after the built-in rules passed and may veto the change by returning an
//! error (a `Validation` error shows up per field like a built-in rule). After-hooks run once the
//! change is committed; they cannot undo it, and they are awaited, so keep them quick.

use crate::actor::Actor;
use crate::error::Result;
use async_trait::async_trait;
use std::sync::Arc;

/// Hooks for entity `E` whose validated drafts are `D`. Every method defaults to doing nothing.
#[async_trait]
pub trait Hooks<E: Sync, D: Sync>: Send + Sync {
    /// Before a create is stored.
    async fn before_create(&self, _actor: &Actor, _draft: &D) -> Result<()> {
        Ok(())
    }
    /// Before an update is stored; `current` is the stored object.
    async fn before_update(&self, _actor: &Actor, _current: &E, _draft: &D) -> Result<()> {
        Ok(())
    }
    /// Before a delete.
    async fn before_delete(&self, _actor: &Actor, _current: &E) -> Result<()> {
        Ok(())
    }
    /// After a create was committed.
    async fn after_create(&self, _actor: &Actor, _created: &E) {}
    /// After an update was committed.
    async fn after_update(&self, _actor: &Actor, _before: &E, _after: &E) {}
    /// After a delete was committed.
    async fn after_delete(&self, _actor: &Actor, _deleted: &E) {}
    /// After one object was read by its id: a get, and another service's lookup of it (the
    /// promotion service asking for a customer's name). For counting or tracing reads; it sees
    /// the object, it cannot change or refuse it.
    async fn after_read(&self, _read: &E) {}
}

/// The hooks registered for one entity, run in registration order.
pub struct HookChain<E, D> {
    hooks: Vec<Arc<dyn Hooks<E, D>>>,
}

impl<E, D> Default for HookChain<E, D> {
    fn default() -> Self {
        Self { hooks: Vec::new() }
    }
}

impl<E, D> Clone for HookChain<E, D> {
    fn clone(&self) -> Self {
        Self {
            hooks: self.hooks.clone(),
        }
    }
}

impl<E: Sync, D: Sync> HookChain<E, D> {
    /// Adds a hook after the ones already registered.
    pub fn push(&mut self, hook: Arc<dyn Hooks<E, D>>) {
        self.hooks.push(hook);
    }

    /// Runs every before-create hook; the first error stops the write.
    pub async fn before_create(&self, actor: &Actor, draft: &D) -> Result<()> {
        for h in &self.hooks {
            h.before_create(actor, draft).await?;
        }
        Ok(())
    }

    /// Runs every before-update hook; the first error stops the write.
    pub async fn before_update(&self, actor: &Actor, current: &E, draft: &D) -> Result<()> {
        for h in &self.hooks {
            h.before_update(actor, current, draft).await?;
        }
        Ok(())
    }

    /// Runs every before-delete hook; the first error stops the delete.
    pub async fn before_delete(&self, actor: &Actor, current: &E) -> Result<()> {
        for h in &self.hooks {
            h.before_delete(actor, current).await?;
        }
        Ok(())
    }

    /// Runs every after-create hook.
    pub async fn after_create(&self, actor: &Actor, created: &E) {
        for h in &self.hooks {
            h.after_create(actor, created).await;
        }
    }

    /// Runs every after-update hook.
    pub async fn after_update(&self, actor: &Actor, before: &E, after: &E) {
        for h in &self.hooks {
            h.after_update(actor, before, after).await;
        }
    }

    /// Runs every after-delete hook.
    pub async fn after_delete(&self, actor: &Actor, deleted: &E) {
        for h in &self.hooks {
            h.after_delete(actor, deleted).await;
        }
    }

    /// Runs every after-read hook.
    pub async fn after_read(&self, read: &E) {
        for h in &self.hooks {
            h.after_read(read).await;
        }
    }
}
