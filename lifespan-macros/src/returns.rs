//! What a return type says, read from its tokens: what a `#[lifespan]` fn yields and how
//! it fails, and how a `#[lifespan::main]` exits.

use proc_macro2::Ident;
use syn::{GenericArgument, PathArguments, ReturnType, Type, TypePath, parse_quote};

/// The declared return type of a `#[lifespan]` fn.
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
        /// `E`, when the tokens say it: written out, or the error of a well-known alias.
        /// `None` for another alias, whose error is read through `ResultOutput`.
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
    let path = result_path(ty)?;
    let last = path.path.segments.last()?;
    let PathArguments::AngleBracketed(arguments) = &last.arguments else {
        return None;
    };
    let mut types = arguments.args.iter().filter_map(|argument| match argument {
        GenericArgument::Type(ty) => Some(ty.clone()),
        _ => None,
    });
    let value = types.next()?;
    let error = types.next().or_else(|| alias_error(path));

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

/// The path of `ty` if its last segment is `Result`.
fn result_path(ty: &Type) -> Option<&TypePath> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    (path.qself.is_none() && last.ident == "Result").then_some(path)
}

/// The error type of an alias whose path fixes it: `std::io::Result<T>` fails with
/// `std::io::Error`, `anyhow::Result<T>` with `anyhow::Error`. Written out, it is what
/// rustc shows in `impl Lifespan<Value = T, Error = ..>`, instead of a projection
/// through the hidden `ResultOutput`. An alias of any other path may fail with
/// anything, and keeps the projection.
fn alias_error(path: &TypePath) -> Option<Type> {
    let idents: Vec<String> = path
        .path
        .segments
        .iter()
        .map(|segment| segment.ident.to_string())
        .collect();
    let idents: Vec<&str> = idents.iter().map(String::as_str).collect();
    if !matches!(idents[..], ["std", "io", "Result"] | ["anyhow", "Result"]) {
        return None;
    }
    // The same path with `Error` for `Result<T>`, so that it resolves as the user's did.
    let mut error = path.clone();
    let last = error.path.segments.last_mut().expect("matched above");
    last.ident = Ident::new("Error", last.ident.span());
    last.arguments = PathArguments::None;
    Some(Type::Path(error))
}

/// What `#[lifespan::main]` returns, read from the tokens, so that a type it cannot
/// return gets one error, not several.
pub(crate) enum Exit {
    /// None, or `()`: the exit code says whether anything failed.
    Unit,
    /// A path ending in `ExitCode`: returned as it is, unless something failed.
    Code(Type),
    /// A path ending in `Result`: the type system checks its error takes a
    /// `lifespan::Error`, at the type as written.
    Result(Type),
    /// Anything else, which `main` cannot return.
    Other(Type),
}

impl Exit {
    pub(crate) fn of(output: &ReturnType) -> Exit {
        let ty = match output {
            ReturnType::Default => return Exit::Unit,
            ReturnType::Type(_, ty) => &**ty,
        };
        let mut inner = ty;
        while let Type::Paren(paren) = inner {
            inner = &paren.elem;
        }
        match inner {
            Type::Tuple(tuple) if tuple.elems.is_empty() => Exit::Unit,
            Type::Path(path) if path.qself.is_none() => {
                match path.path.segments.last().map(|last| last.ident.to_string()) {
                    Some(last) if last == "ExitCode" => Exit::Code(ty.clone()),
                    Some(last) if last == "Result" => Exit::Result(ty.clone()),
                    _ => Exit::Other(ty.clone()),
                }
            }
            _ => Exit::Other(ty.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `Exit::of` makes of `-> ty`, by name.
    fn exit(output: ReturnType) -> &'static str {
        match Exit::of(&output) {
            Exit::Unit => "unit",
            Exit::Code(_) => "code",
            Exit::Result(_) => "result",
            Exit::Other(_) => "other",
        }
    }

    #[test]
    fn main_exits_by_unit_exit_code_or_result_and_nothing_else() {
        assert_eq!(exit(parse_quote!()), "unit");
        assert_eq!(exit(parse_quote!(-> ())), "unit");
        assert_eq!(exit(parse_quote!(-> (()))), "unit");
        assert_eq!(exit(parse_quote!(-> (u8,))), "other");
        assert_eq!(exit(parse_quote!(-> std::process::ExitCode)), "code");
        assert_eq!(exit(parse_quote!(-> Result<(), Error>)), "result");
        assert_eq!(exit(parse_quote!(-> anyhow::Result<()>)), "result");
        assert_eq!(exit(parse_quote!(-> u32)), "other");
        assert_eq!(exit(parse_quote!(-> <T as Exit>::ExitCode)), "other");
        assert_eq!(exit(parse_quote!(-> &'static str)), "other");
    }
}
