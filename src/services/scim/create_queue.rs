//! SCIM creates committed in groups. SQLite has one writer, and a directory's initial
//! sync sends creates over several connections at once: the creates that arrive while
//! one is written are written together by the next transaction (group commit), which
//! writes the pages they share once. A create that comes alone is one statement
//! (`users::insert_new`) and needs no transaction at all.
//!
//! The request that finds the writer free writes every create waiting at that moment,
//! its own included, so a create that meets no other pays for no hand-off. The group
//! runs in a task of its own: a caller that goes away does not cancel the others.
//!
//! On PostgreSQL each organization has a queue of its own, so organizations provisioning
//! at once do not wait for each other; SQLite has one writer, so there all creates share
//! one queue and one group.
//!
//! Each create stays whole or absent. When any create of a group fails (a taken
//! userName, no free seat) or is for a person who exists already, the group is rolled
//! back and each of its creates runs again on its own, so one directory's bad user never
//! fails another's.

use super::users::{NewUser, ScimUser, adopt, insert_new};
use crate::config::Backend;
use crate::scim::error::ScimError;
use crate::services::Ctx;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::oneshot;
use uuid::Uuid;

/// The most creates one transaction takes.
const MAX_GROUP: usize = 32;

type Reply = oneshot::Sender<Result<ScimUser, ScimError>>;

/// The process's SCIM creates waiting for the writer: one queue per organization on
/// PostgreSQL, one for all on SQLite.
#[derive(Default)]
pub struct CreateQueue {
    queues: Mutex<HashMap<Uuid, Arc<Queue>>>,
}

impl CreateQueue {
    pub(super) async fn submit(&self, ctx: &Ctx, new: NewUser) -> Result<ScimUser, ScimError> {
        let key = match ctx.store.backend() {
            Backend::Postgres => new.org_id(),
            Backend::Sqlite => Uuid::nil(),
        };
        let queue = self
            .queues
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default()
            .clone();
        queue.submit(ctx, new).await
    }
}

/// Creates waiting for one writer.
#[derive(Default)]
struct Queue {
    waiting: Mutex<Vec<(NewUser, Reply)>>,
    /// Held while a group is written.
    writer: Arc<tokio::sync::Mutex<()>>,
}

impl Queue {
    async fn submit(&self, ctx: &Ctx, new: NewUser) -> Result<ScimUser, ScimError> {
        let (reply, mut answer) = oneshot::channel();
        self.take_waiting(|w| w.push((new, reply)));
        let turn = self.writer.clone().lock_owned().await;
        // The group before may have written this create already.
        if let Ok(result) = answer.try_recv() {
            return result;
        }
        let group = self.take_waiting(std::mem::take);
        let ctx = ctx.clone();
        tokio::spawn(async move {
            for creates in chunks(group) {
                write_group(&ctx, creates).await;
            }
            drop(turn);
        });
        answer.await.unwrap_or_else(|_| {
            tracing::error!("a SCIM create was dropped unanswered");
            Err(ScimError::internal())
        })
    }

    fn take_waiting<T>(&self, f: impl FnOnce(&mut Vec<(NewUser, Reply)>) -> T) -> T {
        f(&mut self.waiting.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

fn chunks<T>(mut all: Vec<T>) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    while all.len() > MAX_GROUP {
        let rest = all.split_off(MAX_GROUP);
        out.push(std::mem::replace(&mut all, rest));
    }
    out.push(all);
    out
}

async fn write_group(ctx: &Ctx, creates: Vec<(NewUser, Reply)>) {
    if creates.len() > 1
        && let Some(users) = together(ctx, &creates).await
    {
        for ((_, reply), user) in creates.into_iter().zip(users) {
            let _ = reply.send(Ok(user));
        }
        return;
    }
    for (new, reply) in creates {
        let _ = reply.send(alone(ctx, &new).await);
    }
}

/// All of `creates` in one transaction, or `None` (rolled back) if any of them fails
/// or is for a person who exists already.
async fn together(ctx: &Ctx, creates: &[(NewUser, Reply)]) -> Option<Vec<ScimUser>> {
    let mut tx = ctx.store.begin().await.ok()?;
    let mut users = Vec::with_capacity(creates.len());
    for (new, _) in creates {
        users.push(insert_new(ctx, &mut tx, new).await.ok()??);
    }
    tx.commit().await.ok()?;
    Some(users)
}

/// One create: a new person is one statement, which needs no transaction around it.
async fn alone(ctx: &Ctx, new: &NewUser) -> Result<ScimUser, ScimError> {
    let inserted = insert_new(ctx, &mut ctx.store.write().await?, new).await?;
    if let Some(user) = inserted {
        return Ok(user);
    }
    let mut tx = ctx.store.begin().await?;
    let user = adopt(ctx, &mut tx, new).await?;
    tx.commit().await?;
    Ok(user)
}
