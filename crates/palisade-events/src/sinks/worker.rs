//! One task per sink: read after the cursor, deliver, move the cursor; on failure back off
//! (exponential, full jitter) and retry the same items, so delivery resumes in order.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use tokio::sync::watch;

use super::{Delivery, Sink, SinkSettings};
use crate::error::SinkError;
use crate::metrics::SinkMetrics;
use crate::store::{Store, Stored};

/// Exponential backoff with full jitter (AWS architecture blog's "full jitter").
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    attempt: u32,
}

impl Backoff {
    pub fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max: max.max(min),
            attempt: 0,
        }
    }

    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self
            .min
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let jittered = rand::rng().random_range(0.0..=1.0) * ceiling.as_secs_f64();
        Duration::from_secs_f64(jittered).max(self.min.min(ceiling))
    }

    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

pub(crate) struct Worker {
    pub settings: SinkSettings,
    pub sink: Box<dyn Sink>,
    pub database: PathBuf,
    pub seq: watch::Receiver<i64>,
    pub stop: watch::Receiver<bool>,
}

type Shared = Arc<Mutex<Store>>;

async fn blocking<T: Send + 'static>(
    store: &Shared,
    f: impl FnOnce(&Store) -> rusqlite::Result<T> + Send + 'static,
) -> rusqlite::Result<T> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let guard = store.lock().unwrap_or_else(|p| p.into_inner());
        f(&guard)
    })
    .await
    .unwrap_or_else(|e| Err(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))
}

impl Worker {
    pub async fn run(mut self) {
        let name = self.settings.name.clone();
        let metrics = SinkMetrics::new(&name);
        let store = match Store::open(&self.database) {
            Ok(s) => Arc::new(Mutex::new(s)),
            Err(e) => {
                tracing::error!(sink = %name, error = %e, "sink cannot open the event store");
                return;
            }
        };
        let mut backoff = Backoff::new(self.settings.retry_min, self.settings.retry_max);
        let mut cursor = match blocking(&store, {
            let n = name.clone();
            move |s| s.cursor(&n)
        })
        .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(sink = %name, error = %e, "sink cannot read its cursor");
                return;
            }
        };
        loop {
            if *self.stop.borrow() {
                return;
            }
            let limit = self.settings.batch_max;
            let alerts = {
                let n = name.clone();
                blocking(&store, move |s| s.outbox(&n, limit)).await
            };
            let mut idle = true;
            match alerts {
                Ok(alerts) if !alerts.is_empty() => {
                    idle = false;
                    let items: Vec<Delivery<'_>> =
                        alerts.iter().map(|(_, n)| Delivery::Alert(n)).collect();
                    let seqs: Vec<i64> = alerts.iter().map(|(s, _)| *s).collect();
                    let done = self
                        .deliver(&items, &metrics, &mut backoff, |upto| {
                            let n = name.clone();
                            let seq = seqs[upto - 1];
                            let store = store.clone();
                            async move { blocking(&store, move |s| s.outbox_done(&n, seq)).await }
                        })
                        .await;
                    if !done {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(sink = %name, error = %e, "reading the alert outbox failed");
                }
            }
            if self.settings.stream {
                match blocking(&store, move |s| s.read_after(cursor, limit)).await {
                    Ok(rows) if !rows.is_empty() => {
                        idle = false;
                        if let Some(first) = rows.first()
                            && cursor > 0
                            && first.seq > cursor + 1
                        {
                            // Retention deleted events this sink had not shipped yet; the
                            // pipeline logged it when it happened, the gap is counted here.
                            metrics.skipped.increment((first.seq - cursor - 1) as u64);
                        }
                        let last = rows.last().map_or(cursor, |r| r.seq);
                        let wanted: Vec<&Stored> = rows
                            .iter()
                            .filter(|r| self.settings.filter.matches(&r.event))
                            .collect();
                        let items: Vec<Delivery<'_>> =
                            wanted.iter().map(|r| Delivery::Event(&r.event)).collect();
                        let seqs: Vec<i64> = wanted.iter().map(|r| r.seq).collect();
                        let done = self
                            .deliver(&items, &metrics, &mut backoff, |upto| {
                                let n = name.clone();
                                let seq = seqs[upto - 1];
                                let store = store.clone();
                                async move { blocking(&store, move |s| s.set_cursor(&n, seq)).await }
                            })
                            .await;
                        if !done {
                            return;
                        }
                        cursor = last;
                        let n = name.clone();
                        if let Err(e) = blocking(&store, move |s| s.set_cursor(&n, last)).await {
                            tracing::warn!(sink = %name, error = %e, "saving the cursor failed");
                        }
                        if let Ok(backlog) = blocking(&store, move |s| s.backlog(last)).await {
                            metrics.backlog.set(backlog as f64);
                        }
                    }
                    Ok(_) => metrics.backlog.set(0.0),
                    Err(e) => {
                        tracing::warn!(sink = %name, error = %e, "reading events failed");
                    }
                }
            }
            if idle {
                tokio::select! {
                    _ = self.seq.changed() => {}
                    _ = self.stop.changed() => {}
                    // Also wakes for outbox rows written by another process (`alerts test`).
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }

    /// Delivers `items` fully (retrying), calling `commit(n)` whenever the first `n` items are
    /// through. Returns false when asked to stop before everything got through.
    async fn deliver<F, Fut>(
        &mut self,
        items: &[Delivery<'_>],
        metrics: &SinkMetrics,
        backoff: &mut Backoff,
        commit: F,
    ) -> bool
    where
        F: Fn(usize) -> Fut,
        Fut: std::future::Future<Output = rusqlite::Result<()>>,
    {
        let name = &self.settings.name;
        let mut done = 0;
        let mut failing_since: Option<usize> = None;
        while done < items.len() {
            let result = self.sink.send(&items[done..]).await;
            let (advanced, err): (usize, Option<SinkError>) = match result {
                Ok(()) => (items.len() - done, None),
                Err(e) => (e.delivered.min(items.len() - done), Some(e)),
            };
            done += advanced;
            metrics.shipped.increment(advanced as u64);
            let Some(err) = err else {
                if failing_since.take().is_some() {
                    tracing::info!(sink = %name, "sink recovered");
                }
                backoff.reset();
                break;
            };
            metrics.failed.increment(1);
            if !err.retryable {
                tracing::error!(sink = %name, error = %err.message, "sink refused an item; skipped");
                done = (done + 1).min(items.len());
                metrics.skipped.increment(1);
            } else {
                if failing_since.is_none() {
                    tracing::warn!(sink = %name, error = %err.message, "sink failing; retrying with backoff");
                    failing_since = Some(done);
                }
                if done > 0
                    && let Err(e) = commit(done).await
                {
                    tracing::warn!(sink = %name, error = %e, "saving progress failed");
                }
                let delay = backoff.next_delay();
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = self.stop.changed() => return false,
                }
            }
        }
        if done > 0
            && let Err(e) = commit(done).await
        {
            tracing::warn!(sink = %name, error = %e, "saving progress failed");
        }
        true
    }
}
