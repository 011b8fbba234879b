//! [`Config`]: the settings every lifespan carries.

use std::time::Duration;

use crate::error::Name;

/// A lifespan's name and its per-half limits.
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) name: Name,
    pub(crate) startup_timeout: Option<Duration>,
    pub(crate) shutdown_timeout: Option<Duration>,
}

impl Config {
    pub(crate) fn new(name: Name) -> Self {
        Config {
            name,
            startup_timeout: None,
            shutdown_timeout: None,
        }
    }
}
