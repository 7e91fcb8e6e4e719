//! Counts kept in memory and written in batches: a hit is a few bytes here,
//! not a database write, so a busy public page never queues writes behind
//! bookings. The domain that owns the numbers decides what a key is and how
//! a batch is stored (`vehicles::counter` for page views).

use std::{collections::HashMap, hash::Hash, sync::Mutex};

pub struct Tally<K> {
    /// Key → hits since the last flush.
    pending: Mutex<HashMap<K, u64>>,
    /// One flush at a time, so a flush that returns has seen every count
    /// recorded before it started written (a timer job and shutdown may
    /// both flush).
    flushing: tokio::sync::Mutex<()>,
}

impl<K> Default for Tally<K> {
    fn default() -> Self {
        Tally {
            pending: Mutex::new(HashMap::new()),
            flushing: tokio::sync::Mutex::new(()),
        }
    }
}

impl<K: Eq + Hash + Clone + Send + 'static> Tally<K> {
    /// Counts one hit of `key`.
    pub fn add(&self, key: K) {
        if let Ok(mut pending) = self.pending.lock() {
            *pending.entry(key).or_default() += 1;
        }
    }

    /// Hands the counts so far to `store`; returns how many keys they were.
    /// When `store` fails, the counts are kept for the next flush.
    pub async fn flush<F, Fut>(&self, store: F) -> anyhow::Result<usize>
    where
        F: FnOnce(HashMap<K, u64>) -> Fut,
        Fut: Future<Output = anyhow::Result<()>>,
    {
        let _one_at_a_time = self.flushing.lock().await;
        let batch = match self.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => return Ok(0),
        };
        if batch.is_empty() {
            return Ok(0);
        }
        let len = batch.len();
        let kept = batch.clone();
        let result = store(batch).await;
        if result.is_err()
            && let Ok(mut pending) = self.pending.lock()
        {
            for (key, n) in kept {
                *pending.entry(key).or_default() += n;
            }
        }
        result.map(|()| len)
    }

    /// The count of `key` not yet flushed (tests).
    pub fn pending(&self, key: &K) -> u64 {
        self.pending
            .lock()
            .map(|p| p.get(key).copied().unwrap_or(0))
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failed_flush_keeps_the_counts() {
        let tally = Tally::default();
        tally.add("a");
        tally.add("a");
        let failed = tally.flush(|_| async { anyhow::bail!("disk full") }).await;
        assert!(failed.is_err());
        assert_eq!(tally.pending(&"a"), 2);
        let mut seen = HashMap::new();
        let n = tally
            .flush(|batch| {
                seen = batch;
                async { Ok(()) }
            })
            .await
            .unwrap();
        assert_eq!((n, seen.get("a").copied()), (1, Some(2)));
        assert_eq!(tally.pending(&"a"), 0);
    }
}
