//! The guard in front of an app that `palisade run` supervises: requests that arrive while the
//! app is starting or restarting may wait a moment for it instead of failing.
//!
//! The supervisor publishes the app's [`Availability`] on a `watch` channel. After every
//! defence in `request_filter` has run (so an attacker is refused first, and never waits), the
//! guard reads it:
//!
//! - `Up`: the request goes on to the app.
//! - not up, idempotent method (`GET`, `HEAD`, `OPTIONS`, `PUT`, `DELETE`, `TRACE`): the request
//!   waits up to [`Supervised::hold`] for `Up`. A restart then costs the client a short delay,
//!   not an error.
//! - otherwise (or still not up when the hold ends): `503` with `Retry-After`.
//!
//! A non-idempotent request never waits: a client that gives up and resends must not have the
//! first copy go through as well a moment later.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//! use palisade_core::{AppControl, AppStatus, Availability};
//! use palisade_core::app::ControlError;
//! use palisade_guard::Supervised;
//!
//! struct Fixed;
//! impl AppControl for Fixed {
//!     fn status(&self) -> AppStatus { unimplemented!() }
//!     fn restart(&self) -> Result<(), ControlError> { Ok(()) }
//!     fn stop(&self) -> Result<(), ControlError> { Ok(()) }
//! }
//!
//! let (tx, availability) = tokio::sync::watch::channel(Availability::Starting);
//! let supervised = Supervised {
//!     availability,
//!     control: Arc::new(Fixed),
//!     hold: Duration::from_secs(2),
//! };
//! tx.send_replace(Availability::Up);
//! assert!(supervised.availability.borrow().is_up());
//! ```

use std::sync::Arc;
use std::time::Duration;

use http::Method;
use palisade_core::{AppControl, Availability};
use tokio::sync::watch;

/// What the guard needs from `palisade run`: the app's availability, its controls (for the
/// admin API) and how long an idempotent request may wait for the app.
pub struct Supervised {
    /// The app's availability, published by the supervisor.
    pub availability: watch::Receiver<Availability>,
    /// Restart, stop and status, for `/v1/app`.
    pub control: Arc<dyn AppControl>,
    /// How long an idempotent request may wait for the app to come back before it gets `503`.
    pub hold: Duration,
}

/// What to do with a request, given the app's availability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// The app is up: proxy.
    Proceed,
    /// Wait (up to the hold) for the app, then decide again.
    Wait,
    /// Answer `503` now.
    Refuse,
}

/// The decision, without I/O.
///
/// A `Down` app whose `retry_after_secs` is longer than the hold is refused at once: the
/// supervisor does not expect it back in time (backoff, crash loop, stopped), and holding the
/// request would only tie up a connection.
pub(crate) fn gate(method: &Method, availability: Availability, hold: Duration) -> Gate {
    match availability {
        Availability::Up => Gate::Proceed,
        _ if hold.is_zero() || !method.is_idempotent() => Gate::Refuse,
        Availability::Down { retry_after_secs } if u64::from(retry_after_secs) > hold.as_secs() => {
            Gate::Refuse
        }
        Availability::Starting | Availability::Down { .. } => Gate::Wait,
    }
}

/// Waits up to `hold` for the app to be up; returns the availability it ended with (the last
/// one seen when the hold ran out or the supervisor went away).
pub(crate) async fn wait_up(mut rx: watch::Receiver<Availability>, hold: Duration) -> Availability {
    // `wait_for` looks at the current value first, so an `Up` published between the caller's
    // read and this call is not missed.
    let waited = tokio::time::timeout(hold, rx.wait_for(|a| a.is_up()))
        .await
        .map(|r| r.map(|a| *a));
    match waited {
        Ok(Ok(up)) => up,
        // Elapsed, or the supervisor dropped its sender: the last word it said stands.
        Ok(Err(_)) | Err(_) => *rx.borrow(),
    }
}

/// The proxy's side of [`Supervised`]: the availability and the hold.
pub(crate) struct AppGate {
    availability: watch::Receiver<Availability>,
    hold: Duration,
}

/// A request's one retry after a failed connect to the app (see [`AppGate::retry`]).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// No connect has failed yet.
    #[default]
    Unused,
    /// A connect failed and a retry was asked for: wait for the app before it.
    Pending,
    /// The retry happened; a second failure is final.
    Used,
}

impl AppGate {
    pub(crate) fn new(supervised: &Supervised) -> Self {
        AppGate {
            availability: supervised.availability.clone(),
            hold: supervised.hold,
        }
    }

    /// The availability right now.
    pub(crate) fn now(&self) -> Availability {
        *self.availability.borrow()
    }

    /// Admits a request to the app, holding an idempotent one while the app comes back.
    /// `Err` carries the availability to answer `503` with.
    pub(crate) async fn admit(&self, method: &Method) -> Result<(), Availability> {
        let now = self.now();
        match gate(method, now, self.hold) {
            Gate::Proceed => Ok(()),
            Gate::Refuse => Err(now),
            Gate::Wait => match wait_up(self.availability.clone(), self.hold).await {
                Availability::Up => Ok(()),
                other => Err(other),
            },
        }
    }

    /// After a failed connect: whether to try once more. The app may have died a moment before
    /// the supervisor noticed and will restart it; an idempotent request may wait for that
    /// (in [`before_connect`](Self::before_connect)). `body_replayable`: the retry buffer still
    /// holds the whole body read so far.
    pub(crate) fn retry(&self, method: &Method, body_replayable: bool, retry: &mut Retry) -> bool {
        if *retry != Retry::Unused
            || !body_replayable
            || !method.is_idempotent()
            || self.hold.is_zero()
        {
            return false;
        }
        *retry = Retry::Pending;
        true
    }

    /// Before connecting: a pending retry waits for the app first.
    pub(crate) async fn before_connect(&self, retry: &mut Retry) {
        if *retry == Retry::Pending {
            *retry = Retry::Used;
            let deadline = tokio::time::Instant::now() + self.hold;
            let mut rx = self.availability.clone();
            if rx.borrow_and_update().is_up() {
                // The connect failed while the app was said to be up: it most likely died a
                // moment ago. Wait for the supervisor to notice before waiting for it to be
                // back, or the retry would fail the same way at once.
                let _ = tokio::time::timeout(self.hold, rx.changed()).await;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            wait_up(rx, left).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOLD: Duration = Duration::from_secs(2);

    fn down(secs: u32) -> Availability {
        Availability::Down {
            retry_after_secs: secs,
        }
    }

    fn app_gate(initial: Availability) -> (watch::Sender<Availability>, AppGate) {
        let (tx, availability) = watch::channel(initial);
        (
            tx,
            AppGate {
                availability,
                hold: HOLD,
            },
        )
    }

    #[test]
    fn an_up_app_takes_every_method() {
        for m in [Method::GET, Method::POST, Method::PATCH, Method::CONNECT] {
            assert_eq!(gate(&m, Availability::Up, HOLD), Gate::Proceed, "{m}");
        }
    }

    #[test]
    fn only_idempotent_methods_wait() {
        for m in [
            Method::GET,
            Method::HEAD,
            Method::OPTIONS,
            Method::PUT,
            Method::DELETE,
            Method::TRACE,
        ] {
            assert_eq!(gate(&m, Availability::Starting, HOLD), Gate::Wait, "{m}");
            assert_eq!(gate(&m, down(1), HOLD), Gate::Wait, "{m}");
        }
        for m in [Method::POST, Method::PATCH, Method::CONNECT] {
            assert_eq!(gate(&m, Availability::Starting, HOLD), Gate::Refuse, "{m}");
        }
    }

    #[test]
    fn nobody_waits_for_an_app_not_due_back_within_the_hold() {
        assert_eq!(gate(&Method::GET, down(2), HOLD), Gate::Wait);
        assert_eq!(gate(&Method::GET, down(3), HOLD), Gate::Refuse);
        assert_eq!(
            gate(&Method::GET, Availability::Starting, Duration::ZERO),
            Gate::Refuse
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_app_coming_up_during_the_hold_lets_the_request_through() {
        let (tx, rx) = watch::channel(Availability::Starting);
        let waiting = tokio::spawn(wait_up(rx, HOLD));
        tokio::time::sleep(Duration::from_millis(500)).await;
        tx.send_replace(Availability::Up);
        assert_eq!(waiting.await.ok(), Some(Availability::Up));
    }

    #[tokio::test(start_paused = true)]
    async fn the_hold_running_out_returns_the_last_state() {
        let (tx, rx) = watch::channel(Availability::Starting);
        let started = tokio::time::Instant::now();
        let waiting = tokio::spawn(wait_up(rx, HOLD));
        tokio::time::sleep(Duration::from_millis(500)).await;
        tx.send_replace(down(1));
        assert_eq!(waiting.await.ok(), Some(down(1)));
        assert_eq!(started.elapsed(), HOLD);
    }

    #[tokio::test(start_paused = true)]
    async fn a_gone_supervisor_ends_the_wait_at_once() {
        let (tx, rx) = watch::channel(Availability::Starting);
        let started = tokio::time::Instant::now();
        drop(tx);
        assert_eq!(wait_up(rx, HOLD).await, Availability::Starting);
        assert!(started.elapsed() < HOLD);
    }

    #[tokio::test(start_paused = true)]
    async fn admit_holds_a_get_and_refuses_a_post_at_once() {
        let (tx, gate) = app_gate(Availability::Starting);
        let started = tokio::time::Instant::now();
        assert_eq!(gate.admit(&Method::POST).await, Err(Availability::Starting));
        assert_eq!(started.elapsed(), Duration::ZERO);

        let get = async { gate.admit(&Method::GET).await };
        let publish = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            tx.send_replace(Availability::Up);
        };
        let (admitted, ()) = tokio::join!(get, publish);
        assert_eq!(admitted, Ok(()));
        assert_eq!(gate.admit(&Method::POST).await, Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_connect_is_retried_once_after_waiting() {
        let (tx, gate) = app_gate(Availability::Up);
        let mut retry = Retry::default();
        assert!(!gate.retry(&Method::POST, true, &mut retry));
        assert!(!gate.retry(&Method::GET, false, &mut retry));
        assert!(gate.retry(&Method::GET, true, &mut retry));
        assert!(!gate.retry(&Method::GET, true, &mut retry), "only once");

        tx.send_replace(Availability::Starting);
        let started = tokio::time::Instant::now();
        let wait = async { gate.before_connect(&mut retry).await };
        let publish = async {
            tokio::time::sleep(Duration::from_millis(700)).await;
            tx.send_replace(Availability::Up);
        };
        tokio::join!(wait, publish);
        assert_eq!(started.elapsed(), Duration::from_millis(700));
        assert_eq!(retry, Retry::Used);
        assert!(!gate.retry(&Method::GET, true, &mut retry));

        // No pending retry: no wait.
        tx.send_replace(Availability::Starting);
        let started = tokio::time::Instant::now();
        gate.before_connect(&mut retry).await;
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_waits_for_the_supervisor_to_notice_a_crash_it_has_not_seen_yet() {
        // The connect failed while the app still counted as up.
        let (tx, gate) = app_gate(Availability::Up);
        let mut retry = Retry::default();
        assert!(gate.retry(&Method::GET, true, &mut retry));
        let started = tokio::time::Instant::now();
        let wait = async { gate.before_connect(&mut retry).await };
        let supervisor = async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            tx.send_replace(down(1));
            tokio::time::sleep(Duration::from_millis(300)).await;
            tx.send_replace(Availability::Starting);
            tokio::time::sleep(Duration::from_millis(200)).await;
            tx.send_replace(Availability::Up);
        };
        tokio::join!(wait, supervisor);
        assert_eq!(started.elapsed(), Duration::from_millis(530));
    }
}
