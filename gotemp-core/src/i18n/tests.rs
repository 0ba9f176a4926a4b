use super::*;
use std::collections::{BTreeMap, BTreeSet};

/// Every key of a catalogue, flattened (`field.required`), with its text.
fn catalogue(lang: &str) -> BTreeMap<String, String> {
    fn flatten(prefix: &str, value: &serde_yaml::Value, out: &mut BTreeMap<String, String>) {
        match value {
            serde_yaml::Value::Mapping(map) => {
                for (k, v) in map {
                    let k = k.as_str().expect("string keys");
                    let key = match prefix {
                        "" => k.to_owned(),
                        _ => format!("{prefix}.{k}"),
                    };
                    flatten(&key, v, out);
                }
            }
            serde_yaml::Value::String(s) => {
                out.insert(prefix.to_owned(), s.clone());
            }
            other => panic!("{prefix} is not text: {other:?}"),
        }
    }
    let path = format!("{}/locales/{lang}.yml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("the catalogue");
    let value: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    let mut out = BTreeMap::new();
    flatten("", &value, &mut out);
    out
}

fn placeholders(text: &str) -> BTreeSet<&str> {
    text.split("%{")
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

#[test]
fn every_message_exists_in_every_language_with_the_same_placeholders() {
    let english = catalogue("en");
    assert!(english.len() > 50, "the English catalogue has the messages");
    for locale in LOCALES {
        let other = catalogue(locale.as_str());
        let missing: Vec<_> = english.keys().filter(|k| !other.contains_key(*k)).collect();
        let extra: Vec<_> = other.keys().filter(|k| !english.contains_key(*k)).collect();
        assert!(missing.is_empty(), "{locale:?} lacks {missing:?}");
        assert!(
            extra.is_empty(),
            "{locale:?} has keys English lacks: {extra:?}"
        );
        for (key, text) in &english {
            assert_eq!(
                placeholders(text),
                placeholders(&other[key]),
                "{locale:?}: {key} names other arguments"
            );
        }
    }
}

#[test]
fn every_key_the_code_uses_is_in_the_catalogue() {
    // The keys in tr!/text calls of every crate of the workspace.
    let english = catalogue("en");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut unknown = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !["target", "node_modules", "web", ".git", "data"].contains(&name.as_str()) {
                    stack.push(path);
                }
            } else if name.ends_with(".rs") && name != "i18n_tests.rs" {
                let source = std::fs::read_to_string(&path).unwrap();
                let mut calls = source.split("tr!(\"");
                let mut before = calls.next().unwrap_or_default();
                for call in calls {
                    // `tr!`, not `include_str!` or another macro ending the same way.
                    let macro_name_ends =
                        before.ends_with(|c: char| c.is_alphanumeric() || c == '_');
                    before = call;
                    if macro_name_ends {
                        continue;
                    }
                    let key = call.split('"').next().unwrap();
                    if !english.contains_key(key) {
                        unknown.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
    }
    assert!(unknown.is_empty(), "keys missing from en.yml: {unknown:#?}");
}

#[test]
fn the_language_follows_accept_language_and_falls_back_to_english() {
    assert_eq!(
        Locale::from_accept_language("es-MX,es;q=0.9,en;q=0.5"),
        Locale::Es
    );
    assert_eq!(Locale::from_accept_language("fr-FR, es;q=0.4"), Locale::Es);
    assert_eq!(
        Locale::from_accept_language("en;q=0.2, es;q=0.8"),
        Locale::Es
    );
    assert_eq!(Locale::from_accept_language("de"), Locale::En);
    assert_eq!(Locale::from_accept_language(""), Locale::En);
    assert_eq!(Locale::from_tag("es_ES.UTF-8"), Some(Locale::Es));
}

#[tokio::test]
async fn a_scope_sets_the_language_of_the_messages_made_in_it() {
    let english = crate::tr!("field.required", field = "name");
    assert_eq!(english, "name is required");
    let spanish = scope(Locale::Es, async {
        crate::tr!("field.required", field = "name")
    })
    .await;
    assert_eq!(spanish, "name es obligatorio");
    assert_eq!(crate::tr!("field.required", field = "name"), english);
}
