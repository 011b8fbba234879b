impl Service {
    /// `&self`, a lifetime, generics, `impl Trait` and a where clause are kept.
    #[lifespan]
    #[allow(clippy::needless_lifetimes)]
    pub async fn worker<'a, T>(&'a self, label: impl Into<String>, extra: T) -> String
    where
        T: std::fmt::Debug + Send + 'static,
    {
        let label = format!("{}{}{extra:?}", self.prefix, label.into());
        yield_app!(label);
    }
}
