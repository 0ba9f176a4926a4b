//! docs/settings.md, made from the sections' own definitions: every field's name (its serde
//! name: the TOML key, and the `GOTEMP_*` variable in upper case) and its doc comment. A test
//! checks the committed page is what this makes, so the reference cannot fall behind the code.

/// The sections' source, whose doc comments are the settings' descriptions.
const SECTIONS: &str = concat!(include_str!("sections.rs"), "\n", include_str!("audit.rs"));

/// One setting as the reference shows it.
#[derive(Debug)]
pub(super) struct Setting {
    pub(super) section: String,
    pub(super) name: String,
    pub(super) doc: String,
}

/// Every field of every `*Config` struct in the sections' source, in order.
pub(super) fn settings() -> Vec<Setting> {
    let mut settings = Vec::new();
    let (mut section, mut doc, mut rename) = (None::<String>, Vec::<String>::new(), None);
    let mut skipped = false;
    let mut in_attribute = false;
    for line in SECTIONS.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("pub struct ") {
            let name = name.trim_end_matches(" {").trim_end_matches("Config");
            section = name
                .ends_with(|c: char| c.is_alphanumeric())
                .then(|| name.to_owned());
            doc.clear();
        } else if line == "}" {
            section = None;
        } else if let Some(text) = line.strip_prefix("///") {
            doc.push(text.trim().to_owned());
        } else if std::mem::take(&mut in_attribute) {
            // An attribute rustfmt spread over lines: its `rename = "…"` may be on any of them.
            if let Some(rest) = line.strip_prefix("rename = \"") {
                rename = rest.split('"').next().map(str::to_owned);
            }
            in_attribute = line != ")]";
        } else if line == "#[serde(" {
            in_attribute = true;
        } else if line == "#[serde(skip)]" {
            skipped = true;
        } else if line.starts_with("#[serde(") {
            rename = (line.split("rename = \"").nth(1))
                .and_then(|rest| rest.split('"').next())
                .map(str::to_owned);
        } else if let (Some(field), Some(section)) = (line.strip_prefix("pub "), &section) {
            let field = field.split(':').next().unwrap_or_default().trim();
            if std::mem::take(&mut skipped) {
                doc.clear();
                continue;
            }
            settings.push(Setting {
                section: section.clone(),
                name: rename.take().unwrap_or_else(|| field.to_owned()),
                doc: doc.join(" "),
            });
            doc.clear();
        } else if !line.starts_with("//") {
            doc.clear();
            rename = None;
        }
    }
    settings
}

/// The page: one table per section, then the variables that are not settings.
pub(super) fn page() -> String {
    let mut page = String::from(
        "# Settings\n\n\
         <!-- Made from src/config/sections.rs by `GOTEMP_WRITE_DOCS=1 cargo test -p gotemp --lib \
         reference`; edit the doc comments there, not this page. -->\n\n\
         Every setting is a key of the TOML file `--config` (or `GOTEMP_CONFIG`) names and a \
         `GOTEMP_*` variable, its name in upper case; the variable wins. A secret can also come \
         from a file: `GOTEMP_<NAME>_FILE` holds the path (for the settings marked *file*). An \
         unknown key or `GOTEMP_*` variable is refused at start, naming the closest setting. \
         Durations take seconds (`90`) or words (`1500ms`, `2m`, `12h`); lists take TOML arrays \
         or comma-separated text. How the pieces fit: [configuration.md](configuration.md).\n",
    );
    let mut section = String::new();
    for setting in settings() {
        if setting.section != section {
            section.clone_from(&setting.section);
            page.push_str(&format!(
                "\n## {section}\n\n| variable | key | what |\n|---|---|---|\n"
            ));
        }
        let file = match super::secrets::FILE_SETTINGS.contains(&setting.name.as_str()) {
            true => " (*file*)",
            false => "",
        };
        page.push_str(&format!(
            "| `GOTEMP_{}`{file} | `{}` | {} |\n",
            setting.name.to_ascii_uppercase(),
            setting.name,
            setting.doc.replace('|', "\\|"),
        ));
    }
    page.push_str(
        "\n## Read by gotemp's processes, not settings\n\n\
         | variable | what |\n|---|---|\n\
         | `GOTEMP_CONFIG` | the TOML settings file (the binaries' `--config`) |\n\
         | `GOTEMP_SEED` | apply the demo data at start (the binaries' `--seed`) |\n\
         | `GOTEMP_LANG` | the language of the command line's messages (`en`, `es`; else `LANG`) |\n\
         | `GOTEMP_LOG_FORMAT` | `text` (default) or `json`, one object per line |\n\
         | `GOTEMP_TRACE_FILTER` | what becomes a span of an exported trace |\n\
         | `GOTEMP_GRPC_URL`, `GOTEMP_LOGIN_URL` | where the demo clients call |\n\
         | `GOTEMP_API`, `GOTEMP_SERVER`, `GOTEMP_E2E_*` | the web UI's development and test servers |\n\
         | `GOTEMP_TEST_*`, `GOTEMP_BENCH_*`, `GOTEMP_CLUSTER_*`, `GOTEMP_SKIP_LOG` | tests, benchmarks and scripts |\n\
         | `GOTEMP_*_SERVICE_HOST`, `GOTEMP_*_PORT*` | made by Kubernetes for a Service whose name starts with `gotemp`; ignored |\n\
         \n`RUST_LOG` sets what is logged; `OTEL_EXPORTER_OTLP_ENDPOINT` (and the other standard \
         `OTEL_*` variables) turns trace export on.\n",
    );
    page
}
