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

    /// Whether any error was found.
    pub(crate) fn any(&self) -> bool {
        self.combined.is_some()
    }

    pub(crate) fn finish(self) -> Option<syn::Error> {
        self.combined
    }
}
