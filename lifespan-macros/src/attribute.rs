//! Which of the three attributes is expanding, and how its messages name it.

/// `#[lifespan]`, `#[lifespan::main]` or `#[lifespan::test]`: one pipeline expands all
/// three, and asks this where they differ in words.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Attribute {
    Lifespan,
    Main,
    Test,
}

impl Attribute {
    /// The attribute as written on the fn.
    pub(crate) fn written(self) -> &'static str {
        match self {
            Attribute::Lifespan => "#[lifespan]",
            Attribute::Main => "#[lifespan::main]",
            Attribute::Test => "#[lifespan::test]",
        }
    }

    /// How messages name the fn it is on: "a lifespan cannot be a `const fn`".
    pub(crate) fn subject(self) -> &'static str {
        match self {
            Attribute::Lifespan => "a lifespan",
            Attribute::Main => "`main`",
            Attribute::Test => "a test",
        }
    }

    /// The error next to anything that is not an fn.
    pub(crate) fn goes_on(self) -> &'static str {
        match self {
            Attribute::Lifespan => {
                "#[lifespan] goes on an `async fn` whose body has one `yield_app!(value)`"
            }
            Attribute::Main => {
                "#[lifespan::main] goes on `async fn main()` whose body has one `yield_app!()`"
            }
            Attribute::Test => "#[lifespan::test] goes on an `async fn` with no parameters",
        }
    }

    /// The arguments it takes.
    pub(crate) fn keys(self) -> &'static [&'static str] {
        match self {
            Attribute::Lifespan => &[
                "name",
                "startup_timeout",
                "shutdown_timeout",
                "restart",
                "crate",
            ],
            Attribute::Main => &[
                "flavor",
                "worker_threads",
                "startup_timeout",
                "shutdown_timeout",
                "second_signal_timeout",
                "crate",
            ],
            Attribute::Test => &["shutdown_timeout", "crate"],
        }
    }
}
