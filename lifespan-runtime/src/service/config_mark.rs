//! Reading main's own error for the [`ConfigError`] mark, whatever its type.
//!
//! The runtime sees main's output only as a generic `O`: an `anyhow::Error`, an
//! `eyre::Report` or an enum of the app's own are opaque to it. But
//! `#[lifespan::main]` knows the return type as written, so it reads the error there,
//! through the most specific of three ways in, chosen by autoref at compile time
//! (dtolnay's "autoref specialization"):
//!
//! 1. an error that is `AsRef<dyn Error + Send + Sync>` (`anyhow::Error`,
//!    `eyre::Report`, `Box<dyn Error + Send + Sync>`): its chain of sources;
//! 2. an error that is `std::error::Error` (`lifespan::Error`, a `thiserror` enum):
//!    its chain of sources;
//! 3. anything else: `None`, and the service goes by the last part that failed.
//!
//! The macro writes `(&&&Probe(&output)).config_mark()` with the three traits in scope,
//! and hands it to `run_with_mark`. Without it (`run`), main's error is left unread.

use std::error::Error as StdError;

use crate::config_error::ConfigError;

/// Main's output, to be read for the mark.
#[derive(Debug)]
pub struct Probe<'a, T>(pub &'a T);

/// The first way in: an error that lends its `dyn Error`.
pub trait ThroughAsRef {
    /// Whether main's own error carries the mark; `Some(false)` for `Ok`.
    fn config_mark(&self) -> Option<bool>;
}

impl<E> ThroughAsRef for &&Probe<'_, Result<(), E>>
where
    E: AsRef<dyn StdError + Send + Sync + 'static>,
{
    fn config_mark(&self) -> Option<bool> {
        Some(match self.0 {
            Ok(()) => false,
            Err(error) => ConfigError::marks(error.as_ref()),
        })
    }
}

/// The second way in: an error that is a `std::error::Error`.
pub trait ThroughError {
    /// Whether main's own error carries the mark; `Some(false)` for `Ok`.
    fn config_mark(&self) -> Option<bool>;
}

impl<E> ThroughError for &Probe<'_, Result<(), E>>
where
    E: StdError + 'static,
{
    fn config_mark(&self) -> Option<bool> {
        Some(match self.0 {
            Ok(()) => false,
            Err(error) => ConfigError::marks(error),
        })
    }
}

/// The last way in: none.
pub trait Opaque {
    /// `None`: the runtime cannot tell.
    fn config_mark(&self) -> Option<bool>;
}

impl<T> Opaque for Probe<'_, T> {
    fn config_mark(&self) -> Option<bool> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{BoxError, Error};

    #[derive(Debug)]
    enum AppError {
        Settings(ConfigError),
        Other,
    }

    impl std::fmt::Display for AppError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("app error")
        }
    }

    impl StdError for AppError {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            match self {
                AppError::Settings(error) => Some(error),
                AppError::Other => None,
            }
        }
    }

    /// An error that is neither `Error` nor `AsRef<dyn Error>`.
    #[derive(Debug)]
    struct Unreadable;

    // The borrows are the mechanism: each `&` is a step of the autoref.
    #[allow(clippy::needless_borrow)]
    #[test]
    fn each_kind_of_error_is_read_the_most_specific_way() {
        let marked = || ConfigError::new("PORT is not a number");
        let boxed: Result<(), BoxError> = Err(Box::new(marked()));
        assert_eq!((&&&Probe(&boxed)).config_mark(), Some(true));
        let plain: Result<(), BoxError> = Err("refused".into());
        assert_eq!((&&&Probe(&plain)).config_mark(), Some(false));
        let part: Result<(), Error> = Err(Error::failed(
            "settings".into(),
            crate::Origin::Startup,
            marked(),
        ));
        assert_eq!((&&&Probe(&part)).config_mark(), Some(true));
        let own = Err(AppError::Settings(marked()));
        assert_eq!((&&&Probe(&own)).config_mark(), Some(true));
        let other: Result<(), AppError> = Err(AppError::Other);
        assert_eq!((&&&Probe(&other)).config_mark(), Some(false));
        // A failure and its rollback's: several, the mark inside one of them.
        let several = Error::collect(
            &"settings".into(),
            crate::Origin::Startup,
            vec![
                Error::failed("settings".into(), crate::Origin::Startup, marked()),
                Error::failed("cache".into(), crate::Origin::Shutdown, "refused"),
            ],
        )
        .unwrap_err();
        assert_eq!(several.kind(), crate::ErrorKind::Several);
        let boxed_several: Result<(), BoxError> = Err(Box::new(several.clone()));
        assert_eq!((&&&Probe(&boxed_several)).config_mark(), Some(true));
        let several: Result<(), Error> = Err(several);
        assert_eq!((&&&Probe(&several)).config_mark(), Some(true));
        let fine: Result<(), AppError> = Ok(());
        assert_eq!((&&&Probe(&fine)).config_mark(), Some(false));
        let unreadable: Result<(), Unreadable> = Err(Unreadable);
        assert_eq!((&&&Probe(&unreadable)).config_mark(), None);
        assert_eq!((&&&Probe(&())).config_mark(), None);
    }
}
