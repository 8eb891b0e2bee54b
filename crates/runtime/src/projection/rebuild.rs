//! Rebuilding a projection while it serves: every event is replayed from
//! the start into a fresh model on the side, while the current model keeps
//! answering queries and following new events; once the fresh model has
//! read at least as far as the current one in every context, it is swapped
//! in under one write lock, and following goes on from there, skipping what
//! the fresh model had already folded. Readers never wait for more than
//! the swap itself.
//!
//! Reading the store and folding overlap: pages are read on a task of
//! their own while the previous page is folded.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use minsheng_eventstore::{Context, EventStore, Position, RecordedEvent, StoreError};
use tokio::sync::mpsc;

use super::{Positioned, Projection, ProjectionError, ReadModel};

/// Events per page read from the store.
const PAGE: usize = 2048;

/// After this many rounds of catching up with a current model that keeps
/// moving ahead, the rebuild gives up (the store is written faster than it
/// can be read back).
const MAX_ROUNDS: usize = 50;

/// How far a replay has gone.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub context: &'static str,
    /// The last position replayed in `context`.
    pub position: Position,
    /// `context`'s last position when its replay began.
    pub head: Position,
    /// Events replayed so far, every context together.
    pub replayed: u64,
}

/// What a running rebuild reports.
#[derive(Clone, Debug, PartialEq)]
pub enum RebuildEvent {
    Progress(Progress),
    Swapped { replayed: u64, took: Duration },
    Failed(String),
}

#[derive(Debug, thiserror::Error)]
#[error("a rebuild of this projection is already running")]
pub struct AlreadyRunning;

/// Folds every event after `into`'s positions, in each of `contexts`, up
/// to each context's end as it is found; returns `replayed_before` plus how
/// many it folded.
pub async fn replay_into<M: ReadModel>(
    store: &Arc<dyn EventStore>,
    contexts: &'static [&'static str],
    into: &mut Positioned<M>,
    replayed_before: u64,
    progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<u64, ProjectionError> {
    let mut replayed = replayed_before;
    for name in contexts {
        let context = Context::parse(name)?;
        let head = store.head(&context).await?;
        let after = into.position(name);
        if after >= head {
            continue;
        }
        let mut pages = read_pages(store.clone(), context, after);
        let mut at = after;
        while let Some(page) = pages.recv().await {
            let page = page?;
            for event in &page {
                into.state
                    .fold(event)
                    .map_err(|unreadable| ProjectionError::Event {
                        context: (*name).to_owned(),
                        position: event.position,
                        unreadable,
                    })?;
                at = event.position;
            }
            into.positions.insert((*name).to_owned(), at);
            replayed += page.len() as u64;
            progress(&Progress {
                context: name,
                position: at,
                head,
                replayed,
            });
        }
    }
    Ok(replayed)
}

/// Pages of `context` after `after`, read ahead by one page, until a short
/// page says the end is reached.
fn read_pages(
    store: Arc<dyn EventStore>,
    context: Context,
    mut after: Position,
) -> mpsc::Receiver<Result<Vec<RecordedEvent>, StoreError>> {
    let (tx, rx) = mpsc::channel(1);
    tokio::spawn(async move {
        loop {
            let page = store.read_all(&context, after, PAGE).await;
            let last = match &page {
                Ok(events) if events.len() == PAGE => events.last().map(|e| e.position),
                _ => None,
            };
            if tx.send(page).await.is_err() {
                return;
            }
            match last {
                Some(last) => after = last,
                None => return,
            }
        }
    });
    rx
}

impl<M: ReadModel> Projection<M> {
    /// Replays everything into a fresh model and swaps it in (see the
    /// module's comment). Returns how many events were replayed.
    pub async fn rebuild(
        &self,
        store: &Arc<dyn EventStore>,
        progress: &mut (dyn FnMut(&Progress) + Send),
    ) -> Result<u64, ProjectionError> {
        let contexts = self.spec.contexts;
        let mut fresh = Positioned::default();
        let mut replayed = replay_into(store, contexts, &mut fresh, 0, progress).await?;
        for _ in 0..MAX_ROUNDS {
            match self.swap_if_ahead(fresh) {
                Ok(()) => return Ok(replayed),
                Err((back, _behind)) => {
                    fresh = back;
                    replayed = replay_into(store, contexts, &mut fresh, replayed, progress).await?;
                }
            }
        }
        Err(StoreError::Unavailable(format!(
            "the rebuild could not catch up with the current model in {MAX_ROUNDS} rounds"
        ))
        .into())
    }

    /// Starts a rebuild on a task of its own, one at a time; its progress
    /// (at most ten reports a second) and its end come on the returned
    /// channel. The rebuild goes on if the receiver is dropped.
    pub fn start_rebuild(
        self: &Arc<Self>,
        store: Arc<dyn EventStore>,
    ) -> Result<mpsc::Receiver<RebuildEvent>, AlreadyRunning> {
        if self.rebuilding.swap(true, Ordering::SeqCst) {
            return Err(AlreadyRunning);
        }
        let (tx, rx) = mpsc::channel(16);
        let projection = self.clone();
        // Cleared however the task ends, so that a failed rebuild never
        // blocks the next.
        let running = ClearOnDrop(self.rebuilding.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let mut last_report: Option<Instant> = None;
            let reports = tx.clone();
            let mut progress = move |p: &Progress| {
                if last_report.is_none_or(|at| at.elapsed() >= Duration::from_millis(100)) {
                    last_report = Some(Instant::now());
                    let _ = reports.try_send(RebuildEvent::Progress(p.clone()));
                }
            };
            let outcome = projection.rebuild(&store, &mut progress).await;
            drop(running);
            let name = projection.spec.name;
            let end = match outcome {
                Ok(replayed) => {
                    projection.rebuilds.fetch_add(1, Ordering::SeqCst);
                    tracing::info!(
                        projection = name,
                        replayed,
                        seconds = started.elapsed().as_secs_f64(),
                        "the projection was rebuilt and swapped in"
                    );
                    RebuildEvent::Swapped {
                        replayed,
                        took: started.elapsed(),
                    }
                }
                Err(error) => {
                    tracing::warn!(projection = name, %error, "the projection's rebuild failed; the current model stays");
                    RebuildEvent::Failed(error.to_string())
                }
            };
            let _ = tx.send(end).await;
        });
        Ok(rx)
    }
}

/// Sets its flag to false when dropped, however the work holding it ends.
pub(super) struct ClearOnDrop(pub(super) Arc<AtomicBool>);

impl Drop for ClearOnDrop {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}
