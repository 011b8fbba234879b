//! What `#[lifespan::main]` may return, and how each becomes the process's exit.

use std::process::ExitCode;

use crate::error::Error;

/// A return type of a `#[lifespan::main]` body: `()`, [`ExitCode`], or
/// `Result<(), E>` where `E: From<lifespan::Error>`.
///
/// A failure anywhere (the body's own error, a failed or panicked part, a timeout in
/// teardown) makes the exit non-zero. The body's own error wins; the others are printed
/// to stderr before it.
///
/// # Examples
///
/// ```
/// use std::process::ExitCode;
/// use lifespan::MainOutput;
///
/// fn can_end_main<O: MainOutput>() {}
/// can_end_main::<()>();
/// can_end_main::<ExitCode>();
/// can_end_main::<Result<(), lifespan::Error>>();
/// can_end_main::<Result<(), Box<dyn std::error::Error + Send + Sync>>>();
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from #[lifespan::main]",
    label = "return `()`, `ExitCode` or `Result<(), E>` where `E: From<lifespan::Error>`"
)]
pub trait MainOutput: Sized {
    /// What the generated `fn main` returns: `ExitCode` for `()` and `ExitCode`, the
    /// same `Result<(), E>` otherwise, so that `E` is reported as Rust reports it.
    type Exit: std::process::Termination;

    /// Whether the body itself failed; its startup half then counts as failed too.
    #[doc(hidden)]
    fn is_failure(&self) -> bool;

    /// How the summary's last line says the body failed.
    #[doc(hidden)]
    fn failure(&self) -> &'static str {
        "main returned an error"
    }

    /// The body's failure in full, for the log when it does not decide the exit.
    #[doc(hidden)]
    fn detail(&self) -> String {
        self.failure().to_owned()
    }

    /// The exit, given the body's output (none if it panicked, timed out or never ran)
    /// and every other failure.
    #[doc(hidden)]
    fn exit(output: Option<Self>, failure: Option<Error>) -> Self::Exit;
}

impl MainOutput for () {
    type Exit = ExitCode;

    fn is_failure(&self) -> bool {
        false
    }

    fn exit(_: Option<()>, failure: Option<Error>) -> ExitCode {
        report(failure)
    }
}

impl MainOutput for ExitCode {
    type Exit = ExitCode;

    /// Any code but success: the summary then says the run failed, as the exit will.
    fn is_failure(&self) -> bool {
        *self != ExitCode::SUCCESS
    }

    fn failure(&self) -> &'static str {
        "main returned a failing exit code"
    }

    fn exit(output: Option<ExitCode>, failure: Option<Error>) -> ExitCode {
        match (output, failure) {
            (Some(code), None) => code,
            (_, failure) => report(failure),
        }
    }
}

impl<E> MainOutput for Result<(), E>
where
    E: From<Error> + std::fmt::Debug,
{
    type Exit = Result<(), E>;

    fn is_failure(&self) -> bool {
        self.is_err()
    }

    fn detail(&self) -> String {
        match self {
            Ok(()) => String::new(),
            Err(error) => format!("{error:?}"),
        }
    }

    fn exit(output: Option<Self>, failure: Option<Error>) -> Result<(), E> {
        match (output, failure) {
            (Some(Err(error)), others) => {
                if let Some(others) = others {
                    eprintln!("Error: {others}");
                }
                Err(error)
            }
            (_, Some(failure)) => Err(E::from(failure)),
            (_, None) => Ok(()),
        }
    }
}

/// `ExitCode::SUCCESS`, or the failure on stderr as Rust's own `main` prints an error,
/// and `ExitCode::FAILURE`.
fn report(failure: Option<Error>) -> ExitCode {
    match failure {
        None => ExitCode::SUCCESS,
        Some(failure) => {
            eprintln!("Error: {failure}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What decides main's exit and the summary's verdict: only a failing code or an
    /// error is a failure of the body, and each says so in its own words.
    #[test]
    fn only_a_failing_code_or_an_error_is_the_body_s_failure() {
        assert!(!().is_failure());
        assert!(!ExitCode::SUCCESS.is_failure());
        assert!(ExitCode::from(3).is_failure());
        assert!(!Ok::<(), Error>(()).is_failure());
        let error = Err::<(), Error>(Error::returned_before_yield("main".into()));
        assert!(error.is_failure());
        assert_eq!(error.failure(), "main returned an error");
        assert_eq!(
            ExitCode::from(3).failure(),
            "main returned a failing exit code"
        );
    }
}
