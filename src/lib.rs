pub use lifespan_runtime::*;
