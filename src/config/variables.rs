//! `GOTEMP_*` variables that are not settings: the ones gotemp's processes, tools and
//! Kubernetes set, which are accepted, and any other, which is refused at start as a typo.

use super::{ConfigError, secrets};

/// `GOTEMP_*` variables that are not settings but are read by gotemp's processes and tools
/// (lower case, without the prefix): the configuration file, logging, language, seeding, the
/// demo clients, and the web UI's test and development servers.
const PROCESS_VARIABLES: [&str; 10] = [
    "config",
    "lang",
    "log_format",
    "trace_filter",
    "seed",
    "grpc_url",
    "login_url",
    "api",
    "server",
    "skip_log",
];

/// Prefixes of `GOTEMP_*` variables that belong to gotemp's tests, benchmarks and scripts.
const TOOL_PREFIXES: [&str; 11] = [
    "test_",
    "bench_",
    "e2e_",
    "cluster_",
    "flood_",
    "cargo_",
    "faults_",
    "soak_",
    "schemathesis_",
    "write_docs",
    "venv",
];

/// Whether `name` (lower case, without `GOTEMP_`) is a variable something reads: a setting, a
/// secret's `_FILE`, a process's or a tool's own, or one Kubernetes makes for a Service whose
/// name starts with `gotemp` (`GOTEMP_HTTP_SERVICE_HOST`, `GOTEMP_PORT_8080_TCP_ADDR`, …), which
/// a pod gets whether it wants them or not.
pub(super) fn is_read(name: &str, known: &[&str]) -> bool {
    let service_link = name.ends_with("service_host")
        || name.contains("service_port")
        || name == "port"
        || name.ends_with("_port")
        || name.starts_with("port_")
        || name.contains("_port_");
    known.contains(&name)
        || PROCESS_VARIABLES.contains(&name)
        || (name.strip_suffix("_file"))
            .is_some_and(|secret| secrets::FILE_SETTINGS.contains(&secret))
        || TOOL_PREFIXES.iter().any(|prefix| name.starts_with(prefix))
        || service_link
}

/// Refuses a `GOTEMP_*` variable that nothing reads, naming it and the closest setting.
pub(super) fn unknown_variables(
    env: &figment::providers::Env,
    known: &[&str],
) -> Result<(), ConfigError> {
    let mut unknown: Vec<String> = (env.iter())
        .map(|(name, _)| name.as_str().to_ascii_lowercase())
        .filter(|name| !is_read(name, known))
        .collect();
    unknown.sort_unstable();
    let Some(first) = unknown.first() else {
        return Ok(());
    };
    let named: Vec<String> = (unknown.iter())
        .map(|name| format!("GOTEMP_{}", name.to_ascii_uppercase()))
        .collect();
    let hint = did_you_mean(first, known)
        .map(|name| format!(" (did you mean GOTEMP_{}?)", name.to_ascii_uppercase()))
        .unwrap_or_default();
    Err(ConfigError::new(format!(
        "unknown variable {}{hint}: no setting has that name (docs/settings.md lists them; \
         unset it or fix its name)",
        named.join(", ")
    )))
}

/// The setting whose name is closest to `given`, when one is close enough to be what was meant.
pub(super) fn did_you_mean<'a>(given: &str, known: &[&'a str]) -> Option<&'a str> {
    (known.iter())
        .map(|name| (strsim::jaro_winkler(given, name), *name))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, name)| name)
}
