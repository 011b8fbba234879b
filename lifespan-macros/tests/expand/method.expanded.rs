impl Service {
    /// `&self`, a lifetime, generics, `impl Trait` and a where clause are kept.
    #[allow(clippy::needless_lifetimes)]
    pub fn worker<'a, T>(
        &'a self,
        label: impl Into<String>,
        extra: T,
    ) -> impl ::lifespan::Lifespan<Value = String, Error = ::core::convert::Infallible>
    where
        T: std::fmt::Debug + Send + 'static,
    {
        let __lifespan = ::lifespan::__private::from_fn_typed::<
            String,
            (),
            _,
            _,
        >(
            "worker",
            move |__yielder| async move {
                #[allow(unused_imports)]
                use ::lifespan::Lifespan as _;
                let label = format!("{}{}{extra:?}", self.prefix, label.into());
                yield_app!(@ __lifespan __yielder, label, String);
            },
        );
        __lifespan
    }
}
