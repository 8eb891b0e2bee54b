//! The time services read, injected through the target context so that
//! tests move it: a handler reads [`Clock::now`] once per call and passes
//! `now` down to the pure domain; a timer waits with
//! [`Clock::sleep_until`]. [`SystemClock`] in a process, [`ManualClock`]
//! in tests (it moves only when told, and wakes whoever sleeps on it).
//!
//! The store's own `recorded_at`, token expiry and metrics read the wall
//! clock: they are infrastructure, not the domain's time.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::watch;

#[async_trait]
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;

    /// Returns once [`Clock::now`] has reached `at` (at once if it has).
    async fn sleep_until(&self, at: DateTime<Utc>);
}

/// The wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    async fn sleep_until(&self, at: DateTime<Utc>) {
        // The wall clock may be stepped while we sleep: look again.
        while let Ok(left) = (at - Utc::now()).to_std() {
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(left).await;
        }
    }
}

/// A clock that moves only when told; clones share one time.
#[derive(Clone, Debug)]
pub struct ManualClock {
    now: Arc<watch::Sender<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        ManualClock {
            now: Arc::new(watch::channel(at).0),
        }
    }

    /// Moves the time forward by `by`, waking the sleepers it reaches.
    pub fn advance(&self, by: chrono::Duration) {
        self.now.send_modify(|now| *now += by);
    }

    /// Sets the time, forward or back.
    pub fn set(&self, at: DateTime<Utc>) {
        self.now.send_replace(at);
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.borrow()
    }

    async fn sleep_until(&self, at: DateTime<Utc>) {
        let mut moves = self.now.subscribe();
        // The sender lives as long as this clock, so this only ends when
        // the time has come.
        let _ = moves.wait_for(|now| *now >= at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noon() -> DateTime<Utc> {
        "2015-06-01T04:00:00Z".parse().unwrap_or_default()
    }

    #[tokio::test]
    async fn a_sleeper_on_the_manual_clock_wakes_when_the_time_is_moved_past_its_hour() {
        let clock = ManualClock::starting_at(noon());
        let sleeper = {
            let clock = clock.clone();
            tokio::spawn(
                async move { clock.sleep_until(noon() + chrono::Duration::hours(2)).await },
            )
        };
        clock.advance(chrono::Duration::hours(1));
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished(), "an hour short");
        clock.advance(chrono::Duration::hours(1));
        assert!(sleeper.await.is_ok());
        assert_eq!(clock.now(), noon() + chrono::Duration::hours(2));
    }

    #[tokio::test]
    async fn a_time_already_passed_does_not_wait() {
        let clock = ManualClock::starting_at(noon());
        clock.sleep_until(noon()).await;
        SystemClock.sleep_until(Utc::now()).await;
    }
}
