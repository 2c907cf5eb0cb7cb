//! When to restart, and after how long: the pure part of supervision (no clock, no
//! randomness of its own: both are passed in, so every decision is testable).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// Which exits are followed by a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RestartMode {
    /// After every exit, clean ones included.
    Always,
    /// After a non-zero exit code or a signal nobody asked for.
    #[default]
    OnFailure,
    /// Never: `palisade run` ends when the app does.
    Never,
}

/// The restart policy's knobs, with forever/pm2-like meanings and better defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RestartPolicy {
    /// Which exits restart.
    pub mode: RestartMode,
    /// The first delay, and the floor with jitter applied.
    pub min_delay: Duration,
    /// The ceiling; a crash loop retries at this pace.
    pub max_delay: Duration,
    /// A run lasting this long was stable: the next failure starts the backoff over.
    pub min_uptime: Duration,
    /// More failures than this within `window` is a crash loop.
    pub max_restarts: u32,
    /// The window `max_restarts` counts over.
    pub window: Duration,
    /// Stop for good on a crash loop (systemd's and pm2's behaviour) instead of retrying at
    /// the ceiling delay.
    pub give_up: bool,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            mode: RestartMode::OnFailure,
            min_delay: Duration::from_millis(50),
            max_delay: Duration::from_secs(30),
            min_uptime: Duration::from_secs(5),
            max_restarts: 10,
            window: Duration::from_secs(60),
            give_up: false,
        }
    }
}

/// Why a run ended, as the supervisor classifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    /// It exited on its own with code 0.
    CleanExit,
    /// It exited on its own with another code, or a signal nobody sent killed it.
    Crashed,
    /// The health check failed too many times in a row; the supervisor stopped it.
    Unhealthy,
    /// Its memory went over the limit; the supervisor stopped it.
    Memory,
    /// A watched file changed; the supervisor stopped it.
    FileChange,
    /// Someone asked for a restart (`palisade restart`).
    RestartRequested,
    /// Someone asked for a stop (signal, `palisade stop`).
    StopRequested,
}

impl EndReason {
    /// The reason's name in events and `palisade status`.
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::CleanExit => "exited",
            EndReason::Crashed => "crashed",
            EndReason::Unhealthy => "unhealthy",
            EndReason::Memory => "memory",
            EndReason::FileChange => "file_change",
            EndReason::RestartRequested => "restart_requested",
            EndReason::StopRequested => "stopped",
        }
    }

    /// Failures count toward backoff and crash loops; deliberate restarts do not.
    fn is_failure(self) -> bool {
        matches!(
            self,
            EndReason::Crashed | EndReason::Unhealthy | EndReason::Memory
        )
    }
}

/// What to do after a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Start again after `delay`.
    Restart {
        /// How long to wait first.
        delay: Duration,
        /// This failure made the recent ones a crash loop (reported once per loop).
        crash_loop_began: bool,
        /// Failures within the window, this one included.
        recent_failures: u32,
    },
    /// Don't start again.
    Stop {
        /// The stop is a crash loop giving up (`give_up = true`).
        gave_up: bool,
    },
}

/// The policy with its memory of recent failures.
#[derive(Debug, Clone)]
pub struct Backoff {
    policy: RestartPolicy,
    /// Consecutive unstable failures: the exponent.
    attempt: u32,
    failures: VecDeque<Instant>,
    in_loop: bool,
}

impl Backoff {
    /// A policy with no history.
    pub fn new(policy: RestartPolicy) -> Self {
        Backoff {
            policy,
            attempt: 0,
            failures: VecDeque::new(),
            in_loop: false,
        }
    }

    /// The policy.
    pub fn policy(&self) -> &RestartPolicy {
        &self.policy
    }

    /// True while failures come faster than the policy allows.
    pub fn in_crash_loop(&self) -> bool {
        self.in_loop
    }

    /// Decides after a run that lasted `uptime` ended at `now` for `reason`. `jitter` is a
    /// uniform draw from [0, 1): delays vary by ±25% so that many guards restarting the
    /// same failing app don't stampede its dependencies in step.
    pub fn decide(
        &mut self,
        reason: EndReason,
        uptime: Duration,
        now: Instant,
        jitter: f64,
    ) -> Decision {
        if reason == EndReason::StopRequested {
            return Decision::Stop { gave_up: false };
        }
        let restart = match self.policy.mode {
            RestartMode::Always => true,
            RestartMode::OnFailure => reason != EndReason::CleanExit,
            RestartMode::Never => {
                matches!(reason, EndReason::RestartRequested | EndReason::FileChange)
            }
        };
        if !restart {
            return Decision::Stop { gave_up: false };
        }
        if uptime >= self.policy.min_uptime {
            // A stable run: whatever came before is forgiven. Only unstable runs count toward
            // a crash loop (as in pm2), or an app that crashes once a minute after running
            // fine would be taken for a loop on its eleventh crash.
            self.attempt = 0;
            self.in_loop = false;
            self.failures.clear();
        }
        if !reason.is_failure() && reason != EndReason::CleanExit {
            // Asked for, or a file changed: start at once.
            return Decision::Restart {
                delay: Duration::ZERO,
                crash_loop_began: false,
                recent_failures: self.recent(now),
            };
        }

        self.failures.push_back(now);
        let recent = self.recent(now);
        let mut crash_loop_began = false;
        if recent > self.policy.max_restarts && !self.in_loop {
            self.in_loop = true;
            crash_loop_began = true;
        }
        if self.in_loop && self.policy.give_up {
            return Decision::Stop { gave_up: true };
        }
        let delay = if self.in_loop {
            self.policy.max_delay
        } else {
            self.delay_for(self.attempt, jitter)
        };
        self.attempt = self.attempt.saturating_add(1);
        Decision::Restart {
            delay,
            crash_loop_began,
            recent_failures: recent,
        }
    }

    /// Failures within the window ending at `now` (older ones are forgotten).
    fn recent(&mut self, now: Instant) -> u32 {
        while let Some(&first) = self.failures.front() {
            if now.saturating_duration_since(first) > self.policy.window {
                self.failures.pop_front();
            } else {
                break;
            }
        }
        // Bounded: one entry per failure in the window, and failures are at least
        // min_delay apart once the loop is detected.
        self.failures.len().try_into().unwrap_or(u32::MAX)
    }

    fn delay_for(&self, attempt: u32, jitter: f64) -> Duration {
        let min = self.policy.min_delay;
        let max = self.policy.max_delay.max(min);
        let base = min
            .checked_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX))
            .unwrap_or(max)
            .min(max);
        let factor = 0.75 + 0.5 * jitter.clamp(0.0, 1.0);
        base.mul_f64(factor).clamp(min, max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RestartPolicy {
        RestartPolicy {
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(10),
            min_uptime: Duration::from_secs(5),
            max_restarts: 3,
            window: Duration::from_secs(60),
            ..RestartPolicy::default()
        }
    }

    fn delay(d: Decision) -> Duration {
        match d {
            Decision::Restart { delay, .. } => delay,
            Decision::Stop { .. } => panic!("expected a restart, got {d:?}"),
        }
    }

    #[test]
    fn backoff_doubles_and_resets_after_a_stable_run() {
        let mut b = Backoff::new(RestartPolicy {
            max_restarts: 100,
            ..policy()
        });
        let t = Instant::now();
        let short = Duration::from_millis(10);
        let d: Vec<_> = (0..5)
            .map(|i| delay(b.decide(EndReason::Crashed, short, t + Duration::from_secs(i), 0.5)))
            .collect();
        assert_eq!(
            d,
            [100, 200, 400, 800, 1600]
                .map(Duration::from_millis)
                .to_vec()
        );
        let stable = b.decide(
            EndReason::Crashed,
            Duration::from_secs(6),
            t + Duration::from_secs(10),
            0.5,
        );
        assert_eq!(delay(stable), Duration::from_millis(100));
    }

    #[test]
    fn jitter_stays_between_min_and_max() {
        let mut b = Backoff::new(RestartPolicy {
            max_restarts: 1000,
            ..policy()
        });
        let t = Instant::now();
        for i in 0..40 {
            let j = f64::from(i % 10) / 10.0;
            let d = delay(b.decide(EndReason::Crashed, Duration::ZERO, t, j));
            assert!(d >= Duration::from_millis(100) && d <= Duration::from_secs(10));
        }
        assert_eq!(
            delay(b.decide(EndReason::Crashed, Duration::ZERO, t, 0.99)),
            Duration::from_secs(10)
        );
    }

    #[test]
    fn a_crash_loop_is_reported_once_then_retries_at_the_ceiling() {
        let mut b = Backoff::new(policy());
        let t = Instant::now();
        let mut began = Vec::new();
        let mut delays = Vec::new();
        for i in 0..6 {
            match b.decide(
                EndReason::Crashed,
                Duration::ZERO,
                t + Duration::from_secs(i),
                0.5,
            ) {
                Decision::Restart {
                    delay,
                    crash_loop_began,
                    ..
                } => {
                    began.push(crash_loop_began);
                    delays.push(delay);
                }
                d => panic!("{d:?}"),
            }
        }
        assert_eq!(began, [false, false, false, true, false, false]);
        assert!(b.in_crash_loop());
        assert_eq!(delays[3..], [Duration::from_secs(10); 3]);
        // A stable run ends the loop.
        let after = b.decide(
            EndReason::Crashed,
            Duration::from_secs(30),
            t + Duration::from_secs(200),
            0.5,
        );
        assert_eq!(delay(after), Duration::from_millis(100));
        assert!(!b.in_crash_loop());
    }

    #[test]
    fn crashes_after_stable_runs_are_never_a_loop() {
        let mut b = Backoff::new(policy());
        let t = Instant::now();
        for i in 0..30 {
            let d = b.decide(
                EndReason::Crashed,
                Duration::from_secs(6),
                t + Duration::from_secs(7 * i),
                0.5,
            );
            assert_eq!(
                d,
                Decision::Restart {
                    delay: Duration::from_millis(100),
                    crash_loop_began: false,
                    recent_failures: 1
                },
                "crash {i}"
            );
        }
        assert!(!b.in_crash_loop());
    }

    #[test]
    fn give_up_stops_on_a_crash_loop() {
        let mut b = Backoff::new(RestartPolicy {
            give_up: true,
            ..policy()
        });
        let t = Instant::now();
        for _ in 0..3 {
            assert!(matches!(
                b.decide(EndReason::Crashed, Duration::ZERO, t, 0.0),
                Decision::Restart { .. }
            ));
        }
        assert_eq!(
            b.decide(EndReason::Crashed, Duration::ZERO, t, 0.0),
            Decision::Stop { gave_up: true }
        );
    }

    #[test]
    fn failures_outside_the_window_are_forgotten() {
        let mut b = Backoff::new(policy());
        let t = Instant::now();
        for i in 0..10u64 {
            let d = b.decide(
                EndReason::Crashed,
                Duration::ZERO,
                t + Duration::from_secs(61 * i),
                0.5,
            );
            assert!(
                matches!(
                    d,
                    Decision::Restart {
                        crash_loop_began: false,
                        recent_failures: 1,
                        ..
                    }
                ),
                "{d:?}"
            );
        }
    }

    #[test]
    fn modes_decide_which_exits_restart() {
        let t = Instant::now();
        let up = Duration::from_secs(100);
        let on_failure = |r| Backoff::new(policy()).decide(r, up, t, 0.5);
        assert_eq!(
            on_failure(EndReason::CleanExit),
            Decision::Stop { gave_up: false }
        );
        assert!(matches!(
            on_failure(EndReason::Crashed),
            Decision::Restart { .. }
        ));
        assert!(matches!(
            on_failure(EndReason::Memory),
            Decision::Restart { .. }
        ));
        assert_eq!(
            on_failure(EndReason::StopRequested),
            Decision::Stop { gave_up: false }
        );

        let always = Backoff::new(RestartPolicy {
            mode: RestartMode::Always,
            ..policy()
        })
        .decide(EndReason::CleanExit, up, t, 0.5);
        assert!(matches!(always, Decision::Restart { .. }));

        let mut never = Backoff::new(RestartPolicy {
            mode: RestartMode::Never,
            ..policy()
        });
        assert_eq!(
            never.decide(EndReason::Crashed, up, t, 0.5),
            Decision::Stop { gave_up: false }
        );
        assert!(matches!(
            never.decide(EndReason::RestartRequested, up, t, 0.5),
            Decision::Restart {
                delay: Duration::ZERO,
                ..
            }
        ));
    }

    #[test]
    fn deliberate_restarts_are_immediate_and_not_failures() {
        let mut b = Backoff::new(policy());
        let t = Instant::now();
        for _ in 0..20 {
            assert!(matches!(
                b.decide(EndReason::FileChange, Duration::ZERO, t, 0.5),
                Decision::Restart {
                    delay: Duration::ZERO,
                    crash_loop_began: false,
                    ..
                }
            ));
        }
        assert!(!b.in_crash_loop());
    }
}
