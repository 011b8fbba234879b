//! What a [`Restart`] policy decides when an instance ends: end, wait and restart, or
//! give up. Plain arithmetic over the instants it is given.

use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use tokio::time::Instant;

use super::policy::{Restart, When};
use crate::error::GaveUp;

/// What follows the end of an instance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Next {
    /// The policy does not restart after this end.
    End,
    /// The `attempt`th restart (counting from 1 over the task's life), after `delay`.
    Restart { attempt: u32, delay: Duration },
    /// The restarts within the window have reached the limit.
    GiveUp(GaveUp),
}

/// A policy and the restarts made under it so far.
#[derive(Debug)]
pub(super) struct Backoff {
    policy: Restart,
    /// Restarts since an instance last stayed up for `reset_after`: the exponent.
    in_a_row: u32,
    /// When each restart within the current window was decided.
    recent: VecDeque<Instant>,
    /// Restarts over the task's life.
    total: u32,
}

impl Backoff {
    /// Whether the app is not ready while the part is down.
    pub(super) fn unready(&self) -> bool {
        self.policy.unready()
    }

    pub(super) fn new(policy: Restart) -> Backoff {
        Backoff {
            policy,
            in_a_row: 0,
            recent: VecDeque::new(),
            total: 0,
        }
    }

    /// An instance that began at `began` ended at `ended`, failed or not.
    pub(super) fn after(&mut self, began: Instant, ended: Instant, failed: bool) -> Next {
        let restarts = match self.policy.when {
            When::Never => false,
            When::OnFailure => failed,
            When::Always => true,
        };
        if !restarts {
            return Next::End;
        }
        if ended.saturating_duration_since(began) >= self.policy.reset() {
            self.in_a_row = 0;
        }
        let window = self.policy.window;
        while let Some(&first) = self.recent.front() {
            if ended.saturating_duration_since(first) < window {
                break;
            }
            self.recent.pop_front();
        }
        if let Some(limit) = self.policy.limit {
            if self.recent.len() >= limit as usize {
                return Next::GiveUp(GaveUp {
                    restarts: self.recent.len() as u32,
                    over: self.recent.front().map_or(Duration::ZERO, |&first| {
                        ended.saturating_duration_since(first)
                    }),
                    limit,
                    within: window,
                });
            }
        }
        self.in_a_row = self.in_a_row.saturating_add(1);
        self.total = self.total.saturating_add(1);
        self.recent.push_back(ended);
        Next::Restart {
            attempt: self.total,
            delay: jittered(self.policy.delay_before(self.in_a_row), self.policy.jitter),
        }
    }
}

/// `delay` less a random part of `fraction` of it.
fn jittered(delay: Duration, fraction: f64) -> Duration {
    if fraction == 0.0 {
        return delay;
    }
    delay.mul_f64(1.0 - fraction * unit_random())
}

/// A number in `[0, 1)`, from the random keys std seeds each `RandomState` with: enough
/// to spread restarts apart, with no generator to depend on.
fn unit_random() -> f64 {
    let bits = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn restarts(next: Next) -> (u32, Duration) {
        match next {
            Next::Restart { attempt, delay } => (attempt, delay),
            other => panic!("expected a restart, got {other:?}"),
        }
    }

    #[test]
    fn each_kind_restarts_after_the_ends_it_names() {
        let now = Instant::now();
        let mut never = Backoff::new(Restart::never());
        assert_eq!(never.after(now, now, true), Next::End);
        let mut on_failure = Backoff::new(Restart::on_failure());
        assert_eq!(on_failure.after(now, now, false), Next::End);
        restarts(on_failure.after(now, now, true));
        let mut always = Backoff::new(Restart::always());
        restarts(always.after(now, now, false));
        restarts(always.after(now, now, true));
    }

    #[test]
    fn delays_double_up_to_the_maximum() {
        let policy = Restart::on_failure().max_delay(500 * MS).unlimited();
        let mut backoff = Backoff::new(policy);
        let now = Instant::now();
        let delays: Vec<_> = (0..5)
            .map(|_| restarts(backoff.after(now, now, true)))
            .collect();
        let expected = [(1, 100), (2, 200), (3, 400), (4, 500), (5, 500)]
            .map(|(attempt, ms)| (attempt, ms * MS));
        assert_eq!(delays, expected);
    }

    #[test]
    fn an_instance_that_stayed_up_long_enough_starts_the_backoff_over() {
        let policy = Restart::on_failure()
            .reset_after(Duration::from_secs(5))
            .unlimited();
        let mut backoff = Backoff::new(policy);
        let start = Instant::now();
        restarts(backoff.after(start, start, true));
        assert_eq!(restarts(backoff.after(start, start, true)).1, 200 * MS);
        // Up for just under the reset: the backoff goes on growing.
        let ended = start + Duration::from_secs(5) - MS;
        assert_eq!(restarts(backoff.after(start, ended, true)).1, 400 * MS);
        // Up for exactly the reset: back to the first delay, the count goes on.
        let later = ended + Duration::from_secs(5);
        assert_eq!(restarts(backoff.after(ended, later, true)), (4, 100 * MS));
    }

    #[test]
    fn the_reset_defaults_to_twice_the_maximum_delay() {
        let policy = Restart::on_failure()
            .max_delay(Duration::from_secs(1))
            .unlimited();
        let mut backoff = Backoff::new(policy);
        let start = Instant::now();
        restarts(backoff.after(start, start, true));
        let almost = start + Duration::from_secs(2) - MS;
        assert_eq!(restarts(backoff.after(start, almost, true)).1, 200 * MS);
        let enough = almost + Duration::from_secs(2);
        assert_eq!(restarts(backoff.after(almost, enough, true)).1, 100 * MS);
    }

    #[test]
    fn past_the_limit_within_the_window_it_gives_up_and_says_how_far_it_got() {
        let policy = Restart::on_failure().limit(3, Duration::from_secs(10));
        let mut backoff = Backoff::new(policy);
        let start = Instant::now();
        for second in 0..3 {
            let at = start + Duration::from_secs(second);
            restarts(backoff.after(at, at, true));
        }
        let fourth = start + Duration::from_secs(4);
        let expected = GaveUp {
            restarts: 3,
            over: Duration::from_secs(4),
            limit: 3,
            within: Duration::from_secs(10),
        };
        assert_eq!(backoff.after(fourth, fourth, true), Next::GiveUp(expected));
    }

    #[test]
    fn restarts_older_than_the_window_no_longer_count() {
        let policy = Restart::on_failure().limit(2, Duration::from_secs(10));
        let mut backoff = Backoff::new(policy);
        let start = Instant::now();
        restarts(backoff.after(start, start, true));
        let second = start + Duration::from_secs(1);
        restarts(backoff.after(second, second, true));
        // Exactly one window after the first restart: it has left the window.
        let third = start + Duration::from_secs(10);
        assert_eq!(restarts(backoff.after(third, third, true)).0, 3);
        // The second and the third are still in it.
        let fourth = third + MS;
        assert!(matches!(
            backoff.after(fourth, fourth, true),
            Next::GiveUp(_)
        ));
    }

    #[test]
    fn a_zero_limit_gives_up_at_the_first_failure() {
        let mut backoff = Backoff::new(Restart::on_failure().limit(0, Duration::from_secs(1)));
        let now = Instant::now();
        let Next::GiveUp(gave_up) = backoff.after(now, now, true) else {
            panic!("a zero limit allows no restart");
        };
        assert_eq!((gave_up.restarts, gave_up.over), (0, Duration::ZERO));
    }

    #[test]
    fn jitter_draws_each_delay_below_the_documented_one() {
        let policy = Restart::on_failure()
            .delay(Duration::from_secs(1))
            .jitter(0.5)
            .unlimited();
        let mut backoff = Backoff::new(policy.reset_after(Duration::ZERO));
        let now = Instant::now();
        let delays: Vec<Duration> = (0..64)
            .map(|_| restarts(backoff.after(now, now, true)).1)
            .collect();
        assert!(
            delays
                .iter()
                .all(|&delay| delay > Duration::from_millis(500) && delay <= Duration::from_secs(1)),
            "{delays:?}"
        );
        let first = delays[0];
        assert!(
            delays.iter().any(|&delay| delay != first),
            "not drawn: {delays:?}"
        );
    }
}
