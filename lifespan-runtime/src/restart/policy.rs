//! The restart policy a supervised task is spawned with.

use std::time::Duration;

/// When a supervised task is started again after it ends, how long it waits first, and
/// when it gives up: see [`Scope::spawn_supervised`](crate::Scope::spawn_supervised).
///
/// The three kinds are Erlang/OTP's restart types and systemd's `Restart=`:
///
/// | kind | after an error or a panic | after a clean return |
/// |---|---|---|
/// | [`never`](Restart::never) | ends: fails as [`spawn`](crate::Scope::spawn) does | ends |
/// | [`on_failure`](Restart::on_failure) | restarts | ends for good |
/// | [`always`](Restart::always) | restarts | restarts |
///
/// # Backoff
///
/// The first restart waits [`delay`](Restart::delay) (100 ms by default, systemd's
/// `RestartSec=`), and each restart after it twice as long as the one before, up to
/// [`max_delay`](Restart::max_delay) (30 s): restart *n* waits
/// `min(delay × 2ⁿ⁻¹, max_delay)`. Plain doubling rather than systemd's
/// `RestartSteps=` curve, because it is what `tokio-retry`, `backoff` and Kubernetes'
/// CrashLoopBackOff do, and what a reader guesses. With [`jitter`](Restart::jitter),
/// each wait is drawn from `[d × (1 − fraction), d]` instead, so that many instances
/// that failed together do not all come back in the same instant; never longer than
/// the documented delay.
///
/// An instance that stays up for [`reset_after`](Restart::reset_after) (by default
/// twice `max_delay`, the ratio Kubernetes uses) has recovered: the next restart waits
/// `delay` again.
///
/// # Intensity
///
/// At most [`limit`](Restart::limit) restarts within a window (by default 5 within
/// 10 s, systemd's `StartLimitBurst=` and `StartLimitIntervalSec=`). An instance that
/// ends when the restarts in the last window have reached the limit is not restarted:
/// its failure escalates exactly as it would without a policy (a task spawned with
/// [`spawn`](crate::Scope::spawn) requests shutdown of the app), and the error says how
/// many restarts were tried over how long ([`Error::gave_up`](crate::Error::gave_up)).
/// Past the limit a clean return ends the task cleanly, as it would without a policy.
///
/// The limit counts restarts of one task. Supervised tasks that spawn supervised tasks
/// multiply their counts, as OTP's nested supervisors do: give the inner ones the
/// smaller limit.
///
/// # Shutdown
///
/// Nothing restarts once the app's shutdown has been requested or the task's own turn
/// to stop has come (which [`Scope::request_local_shutdown`](crate::Scope::request_local_shutdown)
/// above it also brings: a stop that was asked for is never restarted). A task waiting
/// out its backoff then ends at once, cleanly: the failure it was waiting to recover
/// from was logged when it happened.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use lifespan::Restart;
///
/// let consumer = Restart::on_failure()
///     .delay(Duration::from_millis(200))
///     .max_delay(Duration::from_secs(10))
///     .jitter(0.2)
///     .limit(10, Duration::from_secs(60));
/// assert_eq!(consumer.delay_before(1), Duration::from_millis(200));
/// assert_eq!(consumer.delay_before(3), Duration::from_millis(800));
/// assert_eq!(consumer.delay_before(10), Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Restart {
    pub(super) when: When,
    pub(super) delay: Duration,
    pub(super) max_delay: Duration,
    pub(super) jitter: f64,
    /// Restarts allowed within `window`; `None` for no limit.
    pub(super) limit: Option<u32>,
    pub(super) window: Duration,
    /// `None`: twice `max_delay`.
    pub(super) reset_after: Option<Duration>,
    /// The app is not ready while the part is down.
    pub(super) unready: bool,
}

/// Which ends of an instance are followed by a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum When {
    Never,
    OnFailure,
    Always,
}

impl Restart {
    const fn new(when: When) -> Restart {
        Restart {
            when,
            delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(30),
            jitter: 0.0,
            limit: Some(5),
            window: Duration::from_secs(10),
            reset_after: None,
            unready: false,
        }
    }

    /// Never restart: the task runs once, as with [`spawn`](crate::Scope::spawn).
    ///
    /// ```
    /// # use lifespan::Restart;
    /// assert_ne!(Restart::never(), Restart::on_failure());
    /// ```
    pub const fn never() -> Restart {
        Restart::new(When::Never)
    }

    /// Restart after an error or a panic; a clean return ends the task for good. For
    /// work that can finish: a consumer that returns once its queue is closed.
    ///
    /// ```
    /// # use lifespan::Restart;
    /// let policy = Restart::on_failure();
    /// assert_eq!(policy.delay_before(1), std::time::Duration::from_millis(100));
    /// ```
    pub const fn on_failure() -> Restart {
        Restart::new(When::OnFailure)
    }

    /// Restart after any end, a clean return too: for a loop meant to run for the
    /// service's whole life, whose return is itself a fault.
    ///
    /// ```
    /// # use lifespan::Restart;
    /// let policy = Restart::always();
    /// assert_ne!(policy, Restart::on_failure());
    /// ```
    pub const fn always() -> Restart {
        Restart::new(When::Always)
    }

    /// The wait before the first restart, and the base of the doubling; 100 ms by
    /// default. Zero restarts at once, every time: with [`always`](Restart::always) and
    /// no limit, around a future that returns at once, that is a busy loop (only
    /// tokio's cooperative budget lets other tasks run), so keep a delay there.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use lifespan::Restart;
    /// let policy = Restart::on_failure().delay(Duration::from_secs(1));
    /// assert_eq!(policy.delay_before(2), Duration::from_secs(2));
    /// ```
    #[must_use]
    pub fn delay(mut self, initial: Duration) -> Restart {
        self.delay = initial;
        self
    }

    /// The longest wait between restarts; 30 s by default.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use lifespan::Restart;
    /// let policy = Restart::on_failure().max_delay(Duration::from_millis(250));
    /// assert_eq!(policy.delay_before(3), Duration::from_millis(250));
    /// ```
    #[must_use]
    pub fn max_delay(mut self, max: Duration) -> Restart {
        self.max_delay = max;
        self
    }

    /// Draws each wait from `[d × (1 − fraction), d]` instead of waiting `d`; 0 (no
    /// jitter) by default.
    ///
    /// # Panics
    ///
    /// If `fraction` is not between 0.0 and 1.0.
    ///
    /// ```
    /// # use lifespan::Restart;
    /// let policy = Restart::on_failure().jitter(0.5);
    /// # assert_ne!(policy, Restart::on_failure());
    /// ```
    #[must_use]
    #[track_caller]
    pub fn jitter(mut self, fraction: f64) -> Restart {
        assert!(
            (0.0..=1.0).contains(&fraction),
            "Restart::jitter takes the fraction of each delay to draw at random, between \
             0.0 and 1.0; got {fraction}"
        );
        self.jitter = fraction;
        self
    }

    /// At most `restarts` restarts within any `within`; past it the task gives up. 5
    /// within 10 s by default.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use lifespan::Restart;
    /// let policy = Restart::always().limit(3, Duration::from_secs(60));
    /// # assert_ne!(policy, Restart::always());
    /// ```
    #[must_use]
    pub fn limit(mut self, restarts: u32, within: Duration) -> Restart {
        self.limit = Some(restarts);
        self.window = within;
        self
    }

    /// No intensity limit: the task is restarted for as long as the service runs, with
    /// the backoff between restarts. For work whose outage the service can live with.
    ///
    /// ```
    /// # use lifespan::Restart;
    /// let policy = Restart::on_failure().unlimited();
    /// # assert_ne!(policy, Restart::on_failure());
    /// ```
    #[must_use]
    pub fn unlimited(mut self) -> Restart {
        self.limit = None;
        self
    }

    /// How long an instance must stay up for the backoff to start over from
    /// [`delay`](Restart::delay); twice [`max_delay`](Restart::max_delay) by default.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use lifespan::Restart;
    /// let policy = Restart::on_failure().reset_after(Duration::from_secs(5));
    /// # assert_ne!(policy, Restart::on_failure());
    /// ```
    #[must_use]
    pub fn reset_after(mut self, up: Duration) -> Restart {
        self.reset_after = Some(up);
        self
    }

    /// Turns the app's readiness off while the part is down: from a failure until the
    /// restarted instance runs (for a task, while it waits out its backoff). Off by
    /// default, as most parts that restart are not what the service's traffic needs;
    /// turn it on for one that is, so that `/readyz` sends traffic elsewhere meanwhile.
    /// See [`Scope::is_ready`](crate::Scope::is_ready).
    ///
    /// ```
    /// # use lifespan::Restart;
    /// let database = Restart::on_failure().unready_while_down();
    /// # assert_ne!(database, Restart::on_failure());
    /// ```
    #[must_use]
    pub fn unready_while_down(mut self) -> Restart {
        self.unready = true;
        self
    }

    /// The wait before the `n`th restart in a row (from 1), without jitter:
    /// `min(delay × 2ⁿ⁻¹, max_delay)`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use lifespan::Restart;
    /// let policy = Restart::on_failure();
    /// let waits: Vec<_> = (1..=4).map(|n| policy.delay_before(n)).collect();
    /// assert_eq!(waits, [100, 200, 400, 800].map(Duration::from_millis));
    /// ```
    pub fn delay_before(&self, n: u32) -> Duration {
        let factor = 1u32 << n.saturating_sub(1).min(31);
        self.delay
            .checked_mul(factor)
            .map_or(self.max_delay, |delay| delay.min(self.max_delay))
    }

    /// Whether the app is not ready while the part is down.
    pub(super) fn unready(&self) -> bool {
        self.unready
    }

    /// How long an instance must stay up for the backoff to start over.
    pub(super) fn reset(&self) -> Duration {
        self.reset_after
            .unwrap_or_else(|| self.max_delay.saturating_mul(2))
    }
}

impl Default for Restart {
    /// [`Restart::never`]: a task runs once unless told otherwise.
    fn default() -> Restart {
        Restart::never()
    }
}
