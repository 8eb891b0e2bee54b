//! The pause before trying again after a failure: 200 ms, doubling at each
//! failure in a row, at most 30 s. Subscriptions restarting, the KPI
//! projection resuming and deadline firings all wait this way.

use std::time::Duration;

/// The first pause.
pub const FIRST: Duration = Duration::from_millis(200);
/// The longest pause.
pub const LAST: Duration = Duration::from_secs(30);

/// The pause after one more failure in a row, after `pause`.
pub fn next(pause: Duration) -> Duration {
    (pause * 2).min(LAST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_doubles_up_to_thirty_seconds() {
        assert_eq!(next(FIRST), Duration::from_millis(400));
        assert_eq!(next(Duration::from_secs(20)), LAST);
        assert_eq!(next(LAST), LAST);
    }
}
