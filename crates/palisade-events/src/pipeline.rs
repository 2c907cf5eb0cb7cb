//! The pipeline: a bounded channel from the hot path to one writer thread that batches
//! events into SQLite, runs the alert rules, and wakes the sink workers.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use palisade_core::{DurableFuture, Emit, Event, Timestamp};
use tokio::sync::{oneshot, watch};

use crate::alerts::{AlertEngine, Notification};
use crate::error::StoreError;
use crate::metrics::PipelineMetrics;
use crate::settings::EventsSettings;
use crate::sinks::worker::Worker;
use crate::spool::{self, Spool, SpoolError};
use crate::store::Store;

/// Boxed events: the channel preallocates every slot, so a slot must stay small (16 bytes
/// rather than the ~400 of an inline `Event`) for a 65,536-slot channel to cost ~1 MiB.
enum Msg {
    Event(Box<Event>),
    Durable(Box<Event>, oneshot::Sender<()>),
    Flush(mpsc::Sender<()>),
    Stop,
}

/// The pipeline could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The spool directory could not be created.
    #[error("event spool {path}: {source}")]
    Spool {
        /// The directory.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A sink's settings cannot work.
    #[error("sink `{sink}`: {message}")]
    Sink {
        /// The sink's name.
        sink: String,
        /// Why.
        message: String,
    },
    /// A thread or runtime could not be started.
    #[error("event pipeline: {0}")]
    Runtime(std::io::Error),
}

struct EmitterInner {
    tx: SyncSender<Msg>,
    spool: Arc<Spool>,
    metrics: PipelineMetrics,
    instance: Option<String>,
}

/// The hot path's handle: cheap to clone, never blocks on I/O.
#[derive(Clone)]
pub struct Emitter {
    inner: Arc<EmitterInner>,
}

impl Emitter {
    fn stamp(&self, mut event: Event) -> Event {
        if event.instance.is_none() {
            event.instance.clone_from(&self.inner.instance);
        }
        event
    }

    fn overflow(&self, event: Event) -> bool {
        match self.inner.spool.append(event) {
            Ok(()) => {
                self.inner.metrics.spooled.increment(1);
                true
            }
            Err(SpoolError::Full) => {
                self.inner.metrics.dropped.increment(1);
                tracing::error!("event spool is full (events.spool_max_bytes); event dropped");
                false
            }
            Err(SpoolError::Io(e)) => {
                self.inner.metrics.dropped.increment(1);
                tracing::error!(error = %e, "cannot write the event spool; event dropped");
                false
            }
        }
    }
}

impl Emit for Emitter {
    fn emit(&self, event: Event) {
        let event = self.stamp(event);
        self.inner.metrics.accepted.increment(1);
        match self.inner.tx.try_send(Msg::Event(Box::new(event))) {
            Ok(()) => {}
            Err(TrySendError::Full(Msg::Event(e)))
            | Err(TrySendError::Disconnected(Msg::Event(e))) => {
                self.overflow(*e);
            }
            Err(_) => {}
        }
    }

    /// Waits until the event is committed to SQLite or written to the spool: see
    /// [`Emit::emit_durable`]. Resolves to false only if it could be neither.
    fn emit_durable(&self, event: Event) -> DurableFuture {
        let event = self.stamp(event);
        self.inner.metrics.accepted.increment(1);
        let (tx, rx) = oneshot::channel();
        let immediate = match self.inner.tx.try_send(Msg::Durable(Box::new(event), tx)) {
            Ok(()) => None,
            Err(TrySendError::Full(Msg::Durable(e, _)))
            | Err(TrySendError::Disconnected(Msg::Durable(e, _))) => Some(self.overflow(*e)),
            Err(_) => Some(false),
        };
        Box::pin(async move {
            match immediate {
                Some(ok) => ok,
                None => rx.await.is_ok(),
            }
        })
    }
}

/// The running pipeline. Dropping it without [`Pipeline::shutdown`] leaves the threads to die
/// with the process; what they had accepted is on disk or in the spool either way.
pub struct Pipeline {
    emitter: Emitter,
    writer: Option<JoinHandle<()>>,
    sinks: Option<JoinHandle<()>>,
    stop: watch::Sender<bool>,
    seq: watch::Receiver<i64>,
}

impl Pipeline {
    /// Opens the store, ingests what a previous run left in the spool, and starts the writer
    /// and one worker per sink.
    pub fn start(settings: EventsSettings) -> Result<Pipeline, StartError> {
        let store = Store::open(&settings.database)?;
        let spool = Arc::new(
            Spool::open(&settings.spool_dir, settings.spool_max_bytes).map_err(|source| {
                StartError::Spool {
                    path: settings.spool_dir.clone(),
                    source,
                }
            })?,
        );
        let metrics = PipelineMetrics::new();
        let mut workers = Vec::new();
        let (stop_tx, stop_rx) = watch::channel(false);
        let (seq_tx, seq_rx) = watch::channel(0);
        for s in &settings.sinks {
            let sink = s.kind.build().map_err(|message| StartError::Sink {
                sink: s.name.clone(),
                message,
            })?;
            // Register the cursor now, so events stored from here on are this sink's even if
            // its worker starts late.
            store.cursor(&s.name).map_err(|e| StoreError::Sqlite {
                path: settings.database.clone(),
                source: e,
            })?;
            workers.push(Worker {
                settings: s.clone(),
                sink,
                database: settings.database.clone(),
                seq: seq_rx.clone(),
                stop: stop_rx.clone(),
            });
        }
        let mut writer = Writer {
            store,
            spool: spool.clone(),
            alerts: AlertEngine::new(settings.alerts.clone()),
            seq: seq_tx,
            metrics: metrics.clone(),
            settings: settings.clone(),
        };
        writer.ingest_spool();
        let (tx, rx) = mpsc::sync_channel(settings.channel_capacity.max(1));
        let writer = std::thread::Builder::new()
            .name("palisade-events".into())
            .spawn(move || writer.run(rx))
            .map_err(StartError::Runtime)?;
        let sinks = if workers.is_empty() {
            None
        } else {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .thread_name("palisade-sinks")
                .build()
                .map_err(StartError::Runtime)?;
            Some(
                std::thread::Builder::new()
                    .name("palisade-sinks".into())
                    .spawn(move || {
                        rt.block_on(async move {
                            let handles: Vec<_> =
                                workers.into_iter().map(|w| tokio::spawn(w.run())).collect();
                            for h in handles {
                                let _ = h.await;
                            }
                        });
                    })
                    .map_err(StartError::Runtime)?,
            )
        };
        Ok(Pipeline {
            emitter: Emitter {
                inner: Arc::new(EmitterInner {
                    tx,
                    spool,
                    metrics,
                    instance: settings.instance.clone(),
                }),
            },
            writer: Some(writer),
            sinks,
            stop: stop_tx,
            seq: seq_rx,
        })
    }

    /// A handle for producers.
    pub fn emitter(&self) -> Emitter {
        self.emitter.clone()
    }

    /// Waits until every event handed over before this call is stored (or `timeout`).
    pub fn flush(&self, timeout: Duration) -> bool {
        let (tx, rx) = mpsc::channel();
        let deadline = Instant::now() + timeout;
        let mut msg = Msg::Flush(tx);
        loop {
            match self.emitter.inner.tx.try_send(msg) {
                Ok(()) => break,
                Err(TrySendError::Full(m)) if Instant::now() < deadline => {
                    msg = m;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(_) => return false,
            }
        }
        rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
    }

    /// Bumped whenever the writer stored something: a cheap "anything new?" for followers.
    pub fn generation(&self) -> watch::Receiver<i64> {
        self.seq.clone()
    }

    /// Stores what is pending, gives sinks up to `timeout` to catch up, then stops.
    pub fn shutdown(mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        self.flush(timeout);
        let _ = self.emitter.inner.tx.send(Msg::Stop);
        if let Some(w) = self.writer.take() {
            let _ = w.join();
        }
        // Sinks stop at their next wait; a sink mid-retry resumes from its cursor next start.
        let grace = deadline.saturating_duration_since(Instant::now());
        std::thread::sleep(grace.min(Duration::from_millis(200)));
        let _ = self.stop.send(true);
        if let Some(s) = self.sinks.take() {
            let _ = s.join();
        }
    }
}

struct Writer {
    store: Store,
    spool: Arc<Spool>,
    alerts: AlertEngine,
    seq: watch::Sender<i64>,
    metrics: PipelineMetrics,
    settings: EventsSettings,
}

const HOUSEKEEPING: Duration = Duration::from_secs(1);
const RETENTION_EVERY: Duration = Duration::from_secs(60);

impl Writer {
    fn run(mut self, rx: Receiver<Msg>) {
        let mut last_retention = Instant::now() - RETENTION_EVERY;
        let mut events = Vec::with_capacity(self.settings.batch_max);
        let mut acks = Vec::new();
        let mut flushes = Vec::new();
        let mut stopping = false;
        while !stopping {
            let first = match rx.recv_timeout(HOUSEKEEPING) {
                Ok(m) => Some(m),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => Some(Msg::Stop),
            };
            let mut next = first;
            while let Some(msg) = next.take() {
                match msg {
                    Msg::Event(e) => events.push(*e),
                    Msg::Durable(e, ack) => {
                        events.push(*e);
                        acks.push(ack);
                    }
                    Msg::Flush(done) => flushes.push(done),
                    Msg::Stop => stopping = true,
                }
                if events.len() < self.settings.batch_max {
                    next = rx.try_recv().ok();
                }
            }
            if !events.is_empty() {
                self.store_batch(&mut events);
                for ack in acks.drain(..) {
                    let _ = ack.send(());
                }
            }
            if self.spool.has_pending() {
                self.ingest_spool();
            }
            let due = self.alerts.tick(Timestamp::now());
            if !due.is_empty() {
                self.store_notifications(&due);
            }
            if last_retention.elapsed() >= RETENTION_EVERY {
                last_retention = Instant::now();
                self.expire();
            }
            for done in flushes.drain(..) {
                let _ = done.send(());
            }
        }
    }

    fn store_batch(&mut self, events: &mut Vec<Event>) {
        let mut notes: Vec<(String, Notification)> = Vec::new();
        for e in events.iter_mut() {
            e.redact();
            notes.extend(self.alerts.observe(e));
        }
        match self.store.append(events, &notes) {
            Ok(n) => self.metrics.stored.increment(n as u64),
            Err(e) => {
                // Disk full, database locked for too long: keep the events in the spool and
                // let the next ingestion retry them.
                self.metrics.store_errors.increment(1);
                tracing::error!(error = %e, "storing events failed; spooling them");
                for ev in events.drain(..) {
                    if self.spool.append(ev).is_err() {
                        self.metrics.dropped.increment(1);
                    }
                }
                std::thread::sleep(Duration::from_millis(500));
            }
        }
        events.clear();
        self.publish();
    }

    fn store_notifications(&mut self, notes: &[(String, Notification)]) {
        if let Err(e) = self.store.append(&[], notes) {
            tracing::error!(error = %e, "storing alert digests failed");
        }
        self.publish();
    }

    fn publish(&self) {
        // A generation, not a position: bumped also when only an outbox changed.
        self.seq.send_modify(|g| *g += 1);
    }

    fn ingest_spool(&mut self) {
        let files = match self.spool.take() {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(error = %e, "cannot take the event spool over");
                return;
            }
        };
        let chunk = self.settings.batch_max.max(1);
        for file in files {
            let stored = spool::ingest(&file, chunk, |mut events| {
                let mut notes = Vec::new();
                for e in &mut events {
                    e.redact();
                    notes.extend(self.alerts.observe(e));
                }
                match self.store.append(&events, &notes) {
                    Ok(n) => {
                        self.metrics.stored.increment(n as u64);
                        true
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "storing spooled events failed; will retry");
                        false
                    }
                }
            });
            match stored {
                // Re-ingesting a partly stored file later is harmless: ids are unique.
                Ok(true) => {
                    let _ = std::fs::remove_file(&file);
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(file = %file.display(), error = %e, "cannot read spooled events");
                }
            }
        }
        self.publish();
    }

    fn expire(&mut self) {
        match self.store.expire(
            Timestamp::now(),
            self.settings.max_age,
            self.settings.max_events,
        ) {
            Ok((deleted, lost)) => {
                self.metrics.expired.increment(deleted as u64);
                for (sink, n) in lost {
                    tracing::error!(
                        sink = %sink, events = n,
                        "retention deleted events this sink had not delivered yet \
                         (events.max_events / events.max_age reached while it was down)"
                    );
                }
            }
            Err(e) => tracing::warn!(error = %e, "applying event retention failed"),
        }
    }
}
