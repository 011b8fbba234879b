//! [`Outcome`]: what a lifespan body, a task or a hook may return.

use std::convert::Infallible;

use crate::error::BoxError;

/// What a lifespan body, a spawned task or a shutdown hook may return: `()` when it
/// cannot fail, `Result<(), E>` when it can.
///
/// The error type only has to convert into a [`BoxError`], so `anyhow::Error`, any
/// `std::error::Error + Send + Sync + 'static`, and `String` all work.
///
/// # Examples
///
/// ```
/// use lifespan_runtime::Outcome;
///
/// assert!(().into_result().is_ok());
/// assert!(Err::<(), _>("disk full").into_result().is_err());
/// ```
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
