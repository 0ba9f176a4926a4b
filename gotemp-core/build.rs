//! The message catalogues are compiled in by `rust_i18n::i18n!`, which cargo cannot see reading
//! them: a changed catalogue must rebuild the crate.
fn main() {
    println!("cargo:rerun-if-changed=locales");
}
