//! [`ConfigError`]: the mark of a failure that restarting will not fix.

use std::fmt;

use crate::error::{BoxError, Error};

/// Marks an error as a configuration problem: a missing variable, a malformed URL, a
/// port that is not a number. Restarting the service will not fix it, so a
/// `#[lifespan::main]` service whose startup fails with it exits with code 78
/// (`EX_CONFIG` from `sysexits.h`) instead of 69, and a systemd unit can stop
/// restarting it with `RestartPreventExitStatus=78`.
///
/// It wraps the error as it is: its `Display` is the wrapped error's own; a report that
/// walks the chain of sources reads "a configuration problem" after it. The mark is
/// found anywhere in a failure's chain of sources, so it works through `?`, `anyhow`'s
/// context and [`lifespan::Error`](crate::Error) alike: see
/// [`Error::is_config`](crate::Error::is_config). Where `#[lifespan::main]` looks for it
/// is listed with the exit codes in the `lifespan` crate's documentation.
///
/// # Examples
///
/// ```
/// use lifespan::{from_fn, ConfigError, Lifespan};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let settings = from_fn("settings", |y| async move {
///     let port: u16 = "eighty".parse().map_err(ConfigError::new)?;
///     y.yield_app(port).await;
///     Ok::<(), ConfigError>(())
/// });
/// let error = settings.start().await.unwrap_err();
/// assert!(error.is_config());
/// assert_eq!(
///     error.to_string(),
///     "lifespan `settings` failed during startup: invalid digit found in string"
/// );
/// # });
/// ```
pub struct ConfigError(Mark);

/// The link of the chain of sources that carries the mark: found there even when the
/// `ConfigError` itself is hidden behind a wrapper (a bare `anyhow::Error` boxes its
/// error in a type of its own, whose `source()` is the `ConfigError`'s).
#[derive(Debug)]
struct Mark(BoxError);

impl fmt::Display for Mark {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a configuration problem")
    }
}

impl std::error::Error for Mark {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl ConfigError {
    /// Marks `error` as a configuration problem.
    ///
    /// ```
    /// # use lifespan::ConfigError;
    /// let error = ConfigError::new("DATABASE_URL is not set");
    /// assert_eq!(error.to_string(), "DATABASE_URL is not set");
    /// ```
    pub fn new(error: impl Into<BoxError>) -> ConfigError {
        ConfigError(Mark(error.into()))
    }

    /// The error it marks.
    ///
    /// ```
    /// # use lifespan::ConfigError;
    /// let error = ConfigError::new(std::io::Error::other("unreadable"));
    /// assert!(error.get_ref().downcast_ref::<std::io::Error>().is_some());
    /// ```
    pub fn get_ref(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0.0
    }

    /// The error it marks, unmarked.
    ///
    /// ```
    /// # use lifespan::ConfigError;
    /// let error = ConfigError::new("no such file").into_inner();
    /// assert_eq!(error.to_string(), "no such file");
    /// ```
    pub fn into_inner(self) -> BoxError {
        self.0.0
    }

    /// Whether `error`, or any error in its chain of sources, is marked. A link that is
    /// our own [`Error`] is read by [`Error::is_config`], which also looks into each of
    /// [`ErrorKind::Several`](crate::ErrorKind::Several)'s failures, where a chain of
    /// sources ends.
    pub(crate) fn marks(error: &(dyn std::error::Error + 'static)) -> bool {
        let mut next = Some(error);
        while let Some(error) = next {
            if error.is::<ConfigError>() || error.is::<Mark>() {
                return true;
            }
            if let Some(ours) = error.downcast_ref::<Error>() {
                return ours.is_config();
            }
            next = error.source();
        }
        false
    }
}

/// The mark, read from the runtime's own error: beside the type it looks for, so that
/// `error` stays a leaf that imports nothing.
impl Error {
    /// Whether the failure is marked as a configuration problem: its cause, or an error
    /// in the cause's chain of sources, is a [`ConfigError`](crate::ConfigError); for
    /// [`ErrorKind::Several`](crate::ErrorKind::Several), any of them. A `#[lifespan::main]` service whose startup
    /// fails with such an error exits with code 78.
    ///
    /// ```
    /// # use lifespan::{from_fn, ConfigError, Lifespan};
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// let pool = from_fn("pool", |y| async move {
    ///     Err::<(), _>("connection refused")?; // may pass: not a configuration problem
    ///     y.yield_app(()).await;
    ///     Ok::<(), lifespan::BoxError>(())
    /// });
    /// assert!(!pool.start().await.unwrap_err().is_config());
    /// # });
    /// ```
    pub fn is_config(&self) -> bool {
        let (source, several) = self.causes();
        source.is_some_and(ConfigError::marks) || several.iter().any(Error::is_config)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.0, f)
    }
}

/// `ConfigError("...")`: the mark, then the error's own `Debug`.
impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ConfigError").field(&self.0.0).finish()
    }
}

/// Its source is the mark, whose own source is the marked error's: a report that walks
/// the chain reads "…: a configuration problem: …", and the marked error's message once.
impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Context(ConfigError);

    impl fmt::Display for Context {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("while reading settings.toml")
        }
    }

    impl std::error::Error for Context {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    /// Several failures of one startup are marked when any of them is.
    #[test]
    fn several_failures_are_marked_when_one_is() {
        use crate::error::{Name, Origin};
        let name = |name: &'static str| Name::Borrowed(name);
        let plain = Error::failed(name("cache"), Origin::Startup, "refused");
        let marked = Error::failed(
            name("settings"),
            Origin::Startup,
            ConfigError::new("no PORT"),
        );
        assert!(!plain.is_config());
        assert!(marked.is_config());
        let several = Error::collect(&name("main"), Origin::Startup, vec![plain.clone(), marked])
            .unwrap_err();
        assert!(several.is_config());
        let unmarked =
            Error::collect(&name("main"), Origin::Startup, vec![plain.clone(), plain]).unwrap_err();
        assert!(!unmarked.is_config());
    }

    #[test]
    fn the_mark_is_found_anywhere_in_the_chain_and_nowhere_else() {
        let io = || std::io::Error::other("unreadable");
        assert!(ConfigError::marks(&ConfigError::new(io())));
        assert!(ConfigError::marks(&Context(ConfigError::new(io()))));
        assert!(!ConfigError::marks(&io()));
        // Its own message, then the mark, then the marked error's sources.
        let marked = ConfigError::new(Context(ConfigError::new(io())));
        assert_eq!(marked.to_string(), "while reading settings.toml");
        let chain: Vec<String> = std::iter::successors(
            Some(&marked as &(dyn std::error::Error + 'static)),
            |error| error.source(),
        )
        .map(ToString::to_string)
        .collect();
        assert_eq!(
            chain,
            [
                "while reading settings.toml",
                "a configuration problem",
                "unreadable",
                "a configuration problem",
            ]
        );
        // Found through a wrapper that hides the `ConfigError`'s type but not its source.
        struct Hidden(ConfigError);
        impl fmt::Debug for Hidden {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }
        impl fmt::Display for Hidden {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
        impl std::error::Error for Hidden {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                std::error::Error::source(&self.0)
            }
        }
        assert!(ConfigError::marks(&Hidden(ConfigError::new(io()))));
        assert_eq!(format!("{:?}", ConfigError::new("x")), "ConfigError(\"x\")");
    }
}
