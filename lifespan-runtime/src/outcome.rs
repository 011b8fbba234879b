//! [`Outcome`]: what a lifespan body, a task or a hook may return.

use std::convert::Infallible;

use crate::error::BoxError;

/// What a lifespan body, a spawned task or a shutdown hook may return: `()` when it
/// cannot fail, `Result<(), E>` when it can, and `!` when it never returns (a task
/// that is `loop { .. }` to the end, a hook that panics).
///
/// The error type only has to convert into a [`BoxError`], so `anyhow::Error`, any
/// `std::error::Error + Send + Sync + 'static`, and `String` all work.
///
/// # Examples
///
/// ```
/// use lifespan::Outcome;
///
/// assert!(().into_result().is_ok());
/// assert!(Err::<(), _>("disk full").into_result().is_err());
///
/// // Under edition 2024 these blocks have type `!`; they are accepted too.
/// fn accepts<F: std::future::Future<Output: Outcome>>(_: F) {}
/// accepts(async { loop { tokio::task::yield_now().await } });
/// accepts(async { panic!("unreachable") });
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not what a lifespan body, task or hook may return",
    label = "return `()` or `Result<(), E>` here",
    note = "a lifespan body, a spawned task and a shutdown hook end in `()` or `Result<(), E>` where `E` converts into `lifespan::BoxError`"
)]
pub trait Outcome {
    /// The error of a failed run; [`Infallible`] for `()`.
    type Error: Into<BoxError>;

    /// `Ok(())` for success, the error otherwise.
    fn into_result(self) -> Result<(), Self::Error>;
}

impl Outcome for () {
    type Error = Infallible;

    fn into_result(self) -> Result<(), Infallible> {
        Ok(())
    }
}

impl<E: Into<BoxError>> Outcome for Result<(), E> {
    type Error = E;

    fn into_result(self) -> Result<(), E> {
        self
    }
}

/// Names `!` on stable Rust: `<fn() -> ! as FnOutput>::Output` is `!`.
pub trait FnOutput {
    /// The function's return type.
    type Output;
}

impl<T> FnOutput for fn() -> T {
    type Output = T;
}

/// The never type, `!`: the output of an async block that loops forever or panics.
type Never = <fn() -> ! as FnOutput>::Output;

impl Outcome for Never {
    type Error = Infallible;

    fn into_result(self) -> Result<(), Infallible> {
        self
    }
}
