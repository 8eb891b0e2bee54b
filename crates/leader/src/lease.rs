//! What every lease-based election shares, whatever keeps the lease (a
//! Kubernetes Lease object, a JetStream key-value entry): client-go's
//! leaderelection semantics, written once.
//!
//! - **acquire**: take the lease if there is none, if it is released (no
//!   holder), or if it has not changed for its lease duration as measured
//!   by *our* clock since we first saw that version (so clock skew between
//!   nodes does not matter); else retry every `retry_period`. Every write is
//!   a compare-and-set on the version read, so two replicas racing for it
//!   cannot both win.
//! - **renew**: every `retry_period` while leading. Leadership is lost at
//!   once if another holder appears, and when no renewal succeeded for
//!   `renew_deadline` (less than the lease duration, so that we stop before
//!   a rival may start).
//! - **release** (on shutdown): clear the holder so that a rival takes over
//!   at once instead of waiting out the lease.
//!
//! A backend ([`LeaseKeeper`]) only reads and writes its record; the
//! judging ([`judge`]), the campaign and the renewal loop are here.

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{oneshot, watch};
use tokio::time::Instant;

use crate::{LeaderError, Leadership};

/// How long a lease lasts and how often it is tried and renewed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeaseTimings {
    /// How long a lease not renewed stays its holder's.
    pub lease_duration: Duration,
    /// How long a leader keeps trying to renew before it gives up leading.
    pub renew_deadline: Duration,
    /// Between two attempts to acquire or renew.
    pub retry_period: Duration,
}

impl Default for LeaseTimings {
    /// Kubernetes' usual 15 s, 10 s and 2 s.
    fn default() -> Self {
        LeaseTimings::for_lease(Duration::from_secs(15))
    }
}

impl LeaseTimings {
    /// A lease of `lease_duration`, renewed within two thirds of it and
    /// tried every 2/15 of it (15 s gives Kubernetes' 10 s and 2 s).
    pub fn for_lease(lease_duration: Duration) -> Self {
        LeaseTimings {
            lease_duration,
            renew_deadline: lease_duration * 2 / 3,
            retry_period: lease_duration * 2 / 15,
        }
    }

    /// A leader must give up before its lease may be taken, and must get
    /// several attempts before that.
    pub fn check(&self) -> Result<(), LeaderError> {
        if self.retry_period.is_zero()
            || !(self.retry_period < self.renew_deadline
                && self.renew_deadline < self.lease_duration)
        {
            return Err(LeaderError::Config(
                "0 < retry period < renew deadline < lease duration expected",
            ));
        }
        Ok(())
    }
}

/// What one look at the lease found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// We hold it now (created, taken over or renewed).
    Leading,
    /// Someone else holds it (empty: nobody, while we were renewing).
    HeldBy(String),
    /// Someone wrote it between our read and our write.
    Conflict,
}

/// The version of the lease last seen, and when we first saw it.
#[derive(Debug, Default)]
pub(crate) struct Observed(Option<(String, Instant)>);

impl Observed {
    /// How long the lease has been at `version` by our clock.
    pub(crate) fn unchanged_for(&mut self, version: &str) -> Duration {
        match &self.0 {
            Some((seen, at)) if seen == version => at.elapsed(),
            _ => {
                self.0 = Some((version.to_owned(), Instant::now()));
                Duration::ZERO
            }
        }
    }
}

/// What to do with a lease read: write it as ours, or leave it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Judgement {
    /// Write it with us as holder; `new_holder` when it was not ours (a
    /// transition).
    Write {
        new_holder: bool,
    },
    Leave(Attempt),
}

/// The rules above, for a lease held by `holder` (None or empty: released)
/// unchanged for `unchanged_for` with its own `duration`.
pub(crate) fn judge(
    name: &str,
    me: &str,
    holder: Option<&str>,
    renewing: bool,
    unchanged_for: Duration,
    duration: Duration,
) -> Judgement {
    let holder = holder.filter(|h| !h.is_empty());
    match holder {
        Some(holder) if holder == me => Judgement::Write { new_holder: false },
        Some(holder) if renewing || unchanged_for < duration => {
            Judgement::Leave(Attempt::HeldBy(holder.to_owned()))
        }
        Some(holder) => {
            tracing::info!(lease = name, previous = %holder, "lease expired: taking it over");
            Judgement::Write { new_holder: true }
        }
        // Released under us: someone meant us to stop.
        None if renewing => Judgement::Leave(Attempt::HeldBy(String::new())),
        None => Judgement::Write { new_holder: true },
    }
}

/// A backend's record of leases: one read and, if [`judge`] says so, one
/// compare-and-set write.
#[async_trait]
pub(crate) trait LeaseKeeper: Clone + Send + Sync + 'static {
    type Error: std::fmt::Display + Send;

    fn timings(&self) -> LeaseTimings;

    async fn attempt(
        &self,
        name: &str,
        renewing: bool,
        observed: &mut Observed,
    ) -> Result<Attempt, Self::Error>;

    /// Clears the holder if it is still us.
    async fn release(&self, name: &str) -> Result<(), Self::Error>;
}

/// Campaigns for `name` until this replica holds it, then keeps it renewed
/// in the background until it is lost or released.
pub(crate) async fn campaign<K: LeaseKeeper>(keeper: &K, name: &str) -> Leadership {
    let mut observed = Observed::default();
    loop {
        match keeper.attempt(name, false, &mut observed).await {
            Ok(Attempt::Leading) => break,
            Ok(Attempt::HeldBy(_) | Attempt::Conflict) => {}
            Err(error) => tracing::warn!(lease = name, %error, "cannot reach the lease"),
        }
        tokio::time::sleep(keeper.timings().retry_period).await;
    }
    let (leading, watching) = watch::channel(true);
    let (release, released) = oneshot::channel();
    tokio::spawn(keep(keeper.clone(), name.to_owned(), leading, released));
    Leadership::new(name, watching, Some(release))
}

/// Renews until lost or asked to release.
async fn keep<K: LeaseKeeper>(
    keeper: K,
    name: String,
    leading: watch::Sender<bool>,
    mut release: oneshot::Receiver<oneshot::Sender<()>>,
) {
    let timings = keeper.timings();
    let mut renewed = Instant::now();
    let mut observed = Observed::default();
    loop {
        tokio::select! {
            asked = &mut release => {
                leading.send_replace(false);
                if let Err(error) = keeper.release(&name).await {
                    tracing::warn!(lease = %name, %error, "could not release the lease; it will expire");
                }
                if let Ok(done) = asked {
                    let _ = done.send(());
                }
                return;
            }
            () = tokio::time::sleep(timings.retry_period) => {}
        }
        match keeper.attempt(&name, true, &mut observed).await {
            Ok(Attempt::Leading) => renewed = Instant::now(),
            Ok(Attempt::HeldBy(holder)) => {
                tracing::warn!(lease = %name, holder = %holder, "lease taken over");
                leading.send_replace(false);
                return;
            }
            Ok(Attempt::Conflict) => {}
            Err(error) => tracing::warn!(lease = %name, %error, "lease renewal failed"),
        }
        if renewed.elapsed() >= timings.renew_deadline {
            tracing::warn!(lease = %name, "no renewal within the deadline: no longer leading");
            leading.send_replace(false);
            return;
        }
    }
}

/// Leadership names are Kubernetes object names (DNS-1123 subdomains),
/// which are also valid JetStream keys.
pub(crate) fn check_name(name: &str) -> Result<(), LeaderError> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(LeaderError::InvalidName {
            name: name.to_owned(),
            reason: "lowercase letters, digits, '-' and '.', starting and ending alphanumeric",
        })
    }
}

/// A replica's identity among its rivals: 1 to 253 characters.
pub(crate) fn check_identity(identity: &str) -> Result<(), LeaderError> {
    if identity.is_empty() || identity.len() > 253 {
        return Err(LeaderError::Config(
            "the identity must be 1 to 253 characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_lease_held_by_a_rival_is_left_until_it_has_not_changed_for_its_duration() {
        let judged = |unchanged| judge("l", "me", Some("rival"), false, unchanged, 15 * SECOND);
        assert_eq!(
            judged(14 * SECOND),
            Judgement::Leave(Attempt::HeldBy("rival".into()))
        );
        assert_eq!(judged(15 * SECOND), Judgement::Write { new_holder: true });
    }

    #[test]
    fn a_leader_renewing_stops_when_the_lease_is_released_or_taken() {
        let renewing = |holder| judge("l", "me", holder, true, 60 * SECOND, 15 * SECOND);
        assert_eq!(
            renewing(Some("rival")),
            Judgement::Leave(Attempt::HeldBy("rival".into()))
        );
        assert_eq!(
            renewing(None),
            Judgement::Leave(Attempt::HeldBy(String::new()))
        );
        assert_eq!(renewing(Some("me")), Judgement::Write { new_holder: false });
    }

    #[test]
    fn a_released_lease_is_taken_at_once() {
        for holder in [None, Some("")] {
            assert_eq!(
                judge("l", "me", holder, false, Duration::ZERO, 15 * SECOND),
                Judgement::Write { new_holder: true }
            );
        }
    }

    #[test]
    fn timings_follow_kubernetes_defaults_and_impossible_ones_are_refused() {
        let defaults = LeaseTimings::default();
        assert_eq!(
            (defaults.renew_deadline, defaults.retry_period),
            (10 * SECOND, 2 * SECOND)
        );
        assert!(defaults.check().is_ok());
        let mut late = defaults;
        late.renew_deadline = 20 * SECOND;
        assert!(late.check().is_err());
        assert!(LeaseTimings::for_lease(Duration::ZERO).check().is_err());
    }
}
