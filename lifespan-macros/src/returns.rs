//! What a `#[lifespan]` fn's return type says: what it yields and how it fails.

use syn::{GenericArgument, PathArguments, ReturnType, Type, parse_quote};

/// The declared return type, read as a lifespan.
#[allow(
    clippy::large_enum_variant,
    reason = "built once per macro call; boxing would only add noise"
)]
pub(crate) enum Returns {
    /// `Result<T, E>`, or an alias whose last segment is `Result` (`anyhow::Result<T>`).
    Fallible {
        /// `T`: what `yield_app!` hands over.
        value: Type,
        /// The body's output: the same path with `T` replaced by `()`.
        output: Type,
        /// `E` when written out; `None` for an alias, whose error is read through
        /// `ResultOutput`.
        error: Option<Type>,
    },
    /// Any other type `T`, or none (`()`): yields it, cannot fail.
    Infallible { value: Type },
}

impl Returns {
    pub(crate) fn of(output: &ReturnType) -> Returns {
        let ty = match output {
            ReturnType::Default => {
                return Returns::Infallible {
                    value: parse_quote!(()),
                };
            }
            ReturnType::Type(_, ty) => ty,
        };
        fallible(ty).unwrap_or_else(|| Returns::Infallible {
            value: (**ty).clone(),
        })
    }
}

fn fallible(ty: &Type) -> Option<Returns> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    let mut types = arguments.args.iter().filter_map(|argument| match argument {
        GenericArgument::Type(ty) => Some(ty.clone()),
        _ => None,
    });
    let value = types.next()?;
    let error = types.next();

    let mut output = path.clone();
    let last = output.path.segments.last_mut().expect("checked above");
    if let PathArguments::AngleBracketed(arguments) = &mut last.arguments {
        for argument in arguments.args.iter_mut() {
            if let GenericArgument::Type(first) = argument {
                *first = parse_quote!(());
                break;
            }
        }
    }
    Some(Returns::Fallible {
        value,
        output: Type::Path(output),
        error,
    })
}
