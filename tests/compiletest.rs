//! The compile-error catalogue of DESIGN.md section 4: each misuse in `tests/ui/` is
//! compared with its checked-in `.stderr`; each shape in `tests/ui/pass/` must compile.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
