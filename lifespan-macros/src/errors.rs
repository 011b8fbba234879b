//! Collecting independent mistakes, so that one compile reports them all.

/// Every error found so far, combined in order.
#[derive(Default)]
pub(crate) struct Errors {
    combined: Option<syn::Error>,
}

impl Errors {
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.combined {
            Some(combined) => combined.combine(error),
            None => self.combined = Some(error),
        }
    }

    /// The value, or its default with the error kept: checking goes on, so that
    /// independent mistakes are reported together.
    pub(crate) fn or_default<T: Default>(&mut self, result: syn::Result<T>) -> T {
        result.unwrap_or_else(|error| {
            self.push(error);
            T::default()
        })
    }

    pub(crate) fn finish(self) -> Option<syn::Error> {
        self.combined
    }
}
