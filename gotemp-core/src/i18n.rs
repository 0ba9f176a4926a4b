//! The languages gotemp speaks to people: English (the default and the fallback) and Spanish,
//! as the original did. Every message a person reads — validation failures, errors, the CLI's
//! and the server's start-up text — comes from one catalogue per language
//! (`gotemp-core/locales/<lang>.yml`, compiled in); error *codes* and field names stay
//! language-neutral so clients can branch on them.
//!
//! The language of a message is the one in force where it is made: a request's (the transports
//! run each request inside [`scope`], from `Accept-Language` or gRPC's `accept-language`), else
//! the process's ([`set_process_default`], from `GOTEMP_LANG`/`LANG` for command-line tools),
//! else English.

use std::fmt::Display;
use std::future::Future;
use std::sync::atomic::{AtomicU8, Ordering};

/// A language gotemp speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Locale {
    /// English: the default, and the fallback for any other language asked for.
    #[default]
    En,
    /// Spanish.
    Es,
}

/// Every language, in the order offered.
pub const LOCALES: [Locale; 2] = [Locale::En, Locale::Es];

impl Locale {
    /// The language tag (`en`, `es`), as catalogues and `Content-Language` name it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
        }
    }

    /// The language tag's own language, if gotemp speaks it (`es-MX` is Spanish).
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag
            .trim()
            .split(['-', '_', '.'])
            .next()?
            .to_ascii_lowercase();
        LOCALES.into_iter().find(|l| l.as_str() == primary)
    }

    /// The best language an `Accept-Language` value (HTTP header or gRPC metadata) asks for
    /// that gotemp speaks, by quality; English when none.
    pub fn from_accept_language(header: &str) -> Self {
        accept_language::parse(header)
            .iter()
            .find_map(|tag| Self::from_tag(tag))
            .unwrap_or_default()
    }

    /// The language of a command-line process: `GOTEMP_LANG`, else the POSIX `LC_ALL`,
    /// `LC_MESSAGES` and `LANG` (`es_ES.UTF-8` is Spanish); English when none is one gotemp speaks.
    pub fn from_env() -> Self {
        ["GOTEMP_LANG", "LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|var| std::env::var(var).ok())
            .find(|v| !v.trim().is_empty())
            .and_then(|v| Self::from_tag(&v))
            .unwrap_or_default()
    }
}

tokio::task_local! {
    /// The language of the request being served. A task-local on purpose: messages are made
    /// where the rule or error is (a validation rule deep in a service, axum's `IntoResponse`,
    /// tonic's `Status`), and those signatures take no request context; threading a locale
    /// through every rule and error constructor would put a presentation concern into each.
    /// The edges (gotemp-http's per-request layer, gotemp-grpc's service wrapper) set it, with
    /// [`scope`], for exactly the request's work.
    static REQUEST_LOCALE: Locale;
}

static PROCESS_DEFAULT: AtomicU8 = AtomicU8::new(0);

/// Sets the language of messages made outside any request (command-line tools, start-up text).
pub fn set_process_default(locale: Locale) {
    PROCESS_DEFAULT.store(locale as u8, Ordering::Relaxed);
}

/// Runs `work` with `locale` as the language of every message made in it.
pub async fn scope<F: Future>(locale: Locale, work: F) -> F::Output {
    REQUEST_LOCALE.scope(locale, work).await
}

/// Runs `work` (synchronous) with `locale` as the language of every message made in it.
pub fn sync_scope<R>(locale: Locale, work: impl FnOnce() -> R) -> R {
    REQUEST_LOCALE.sync_scope(locale, work)
}

/// The language in force here.
pub fn current() -> Locale {
    REQUEST_LOCALE.try_with(|l| *l).unwrap_or_else(|_| {
        match PROCESS_DEFAULT.load(Ordering::Relaxed) {
            1 => Locale::Es,
            _ => Locale::En,
        }
    })
}

/// The message `key` in the language in force, `%{name}` replaced by each argument. Use the
/// [`tr!`](crate::tr) macro.
pub fn text(key: &str, args: &[(&str, &dyn Display)]) -> String {
    text_in(current(), key, args)
}

/// The message `key` in `locale` (English when the catalogue lacks it).
pub fn text_in(locale: Locale, key: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut message = t!(key, locale = locale.as_str()).into_owned();
    for (name, value) in args {
        let placeholder = format!("%{{{name}}}");
        if message.contains(&placeholder) {
            message = message.replace(&placeholder, &value.to_string());
        }
    }
    message
}

/// The message `key` (no arguments) in the language in force, or `fallback` when no catalogue
/// has it (rust-i18n answers a missing key with the key itself).
pub fn text_or(key: &str, fallback: impl FnOnce() -> String) -> String {
    let found = text(key, &[]);
    match found.ends_with(key) {
        true => fallback(),
        false => found,
    }
}

/// What the language in force calls an object (`customer` → `el cliente`); the name itself
/// when the catalogue has none.
pub fn entity(name: &str) -> String {
    text_or(&format!("entity.{name}"), || name.to_owned())
}

/// "`entity` `id` not found", in the language in force.
pub fn not_found(entity: &str, id: &str) -> String {
    crate::tr!("error.not_found", entity = self::entity(entity), id = id)
}

/// A message from the catalogue in the language in force:
/// `tr!("field.too_long", field = name, max = 255)`.
#[macro_export]
macro_rules! tr {
    ($key:expr $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::i18n::text(
            $key,
            &[$((stringify!($name), &$value as &dyn ::std::fmt::Display)),*],
        )
    };
}

#[cfg(test)]
mod tests;
