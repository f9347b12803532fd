//! Recently checked SCIM tokens, so a directory's request does not look its bearer token
//! up in the database every time (a GET is then one database round trip, not two).
//!
//! An entry is trusted for [`TRUST_FOR`] by the injected clock, then checked again.
//! Revoking a token drops it from this process's cache in the same call, so on the
//! replica that revoked it the next request is refused. Another replica that has the
//! token cached keeps accepting it for at most [`TRUST_FOR`]: that is the documented
//! bound (README, "SCIM tokens").

use crate::domain::Timestamp;
use crate::store::scim_tokens::ScimToken;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use uuid::Uuid;

/// How long a checked token is trusted without asking the database again.
pub const TRUST_FOR: time::Duration = time::Duration::seconds(10);

/// Entries kept at most; past it, stale entries go first, then all of them.
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct TokenCache {
    /// By the SHA-256 of the bearer token, as the database keys it.
    entries: Mutex<HashMap<String, Entry>>,
}

struct Entry {
    token: ScimToken,
    checked_at: Timestamp,
}

impl Entry {
    fn fresh(&self, now: Timestamp) -> bool {
        now >= self.checked_at && now.0 - self.checked_at.0 < TRUST_FOR
    }
}

impl TokenCache {
    fn entries(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        // A panic elsewhere while holding the lock leaves a map that is still whole.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The token with this hash, when it was checked less than [`TRUST_FOR`] ago.
    pub fn get(&self, hash: &str, now: Timestamp) -> Option<ScimToken> {
        let entries = self.entries();
        entries
            .get(hash)
            .filter(|e| e.fresh(now))
            .map(|e| e.token.clone())
    }

    /// Remembers a token the database has just vouched for.
    pub fn put(&self, hash: String, token: ScimToken, now: Timestamp) {
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, e| e.fresh(now));
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(
            hash,
            Entry {
                token,
                checked_at: now,
            },
        );
    }

    /// Forgets a token (it was revoked here).
    pub fn forget(&self, token_id: Uuid) {
        self.entries().retain(|_, e| e.token.id != token_id);
    }

    /// Keeps the cached `last_used_at` in step with the database, so the once-a-minute
    /// use note is not written on every request.
    pub fn noted_use(&self, token_id: Uuid, at: Timestamp) {
        for e in self.entries().values_mut() {
            if e.token.id == token_id {
                e.token.last_used_at = Some(at);
            }
        }
    }

    /// How many tokens are cached (for tests and metrics).
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(id: Uuid) -> ScimToken {
        ScimToken {
            id,
            org_id: Uuid::nil(),
            name: "t".into(),
            created_at: at(0),
            last_used_at: None,
            revoked_at: None,
        }
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp(time::OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(1_000_000 + secs))
    }

    #[test]
    fn an_entry_is_trusted_for_ten_seconds_then_checked_again() {
        let cache = TokenCache::default();
        let id = Uuid::now_v7();
        cache.put("h".into(), token(id), at(0));
        assert_eq!(cache.get("h", at(9)).map(|t| t.id), Some(id));
        assert!(cache.get("h", at(10)).is_none());
        assert!(
            cache.get("h", at(-1)).is_none(),
            "a clock set back trusts nothing"
        );
        assert!(cache.get("other", at(0)).is_none());
    }

    #[test]
    fn forgetting_a_token_drops_it_at_once() {
        let cache = TokenCache::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        cache.put("a".into(), token(a), at(0));
        cache.put("b".into(), token(b), at(0));
        cache.forget(a);
        assert!(cache.get("a", at(1)).is_none());
        assert!(cache.get("b", at(1)).is_some());
    }

    #[test]
    fn noted_use_updates_the_cached_token() {
        let cache = TokenCache::default();
        let id = Uuid::now_v7();
        cache.put("h".into(), token(id), at(0));
        cache.noted_use(id, at(5));
        assert_eq!(cache.get("h", at(6)).unwrap().last_used_at, Some(at(5)));
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = TokenCache::default();
        for i in 0..MAX_ENTRIES + 5 {
            cache.put(format!("h{i}"), token(Uuid::now_v7()), at(0));
        }
        assert!(cache.len() <= MAX_ENTRIES);
        assert!(cache.get(&format!("h{}", MAX_ENTRIES + 4), at(1)).is_some());
    }
}
