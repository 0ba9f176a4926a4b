//! The docs show code that compiles and commands that exist: the complete application of
//! docs/embedding.md is the example `my_app` (built with every other target, and run by
//! scripts/docs-check), and its Cargo.toml names only crates and features that exist.

const EMBEDDING: &str = include_str!("../../docs/embedding.md");
const MY_APP: &str = include_str!("../../examples/my_app/main.rs");

/// The fenced block of `kind` whose first line is `marker`, without that line.
fn block<'a>(doc: &'a str, kind: &str, marker: &str) -> &'a str {
    let start = format!("```{kind}\n{marker}\n");
    let at = doc
        .find(&start)
        .unwrap_or_else(|| panic!("docs/embedding.md has no ```{kind} block starting {marker:?}"));
    let rest = &doc[at + start.len()..];
    &rest[..rest.find("```").expect("the block ends")]
}

#[test]
fn the_complete_application_of_the_embedding_guide_is_the_example_my_app() {
    let shown = block(EMBEDDING, "rust", "// docs/embedding.md: main.rs");
    let differs = (shown.lines().zip(MY_APP.lines()).enumerate())
        .find(|(_, (doc, file))| doc != file)
        .map(|(n, (doc, file))| format!("line {}: {doc:?} / {file:?}", n + 1));
    assert!(
        differs.is_none() && shown.lines().count() == MY_APP.lines().count(),
        "docs/embedding.md's main.rs and examples/my_app/main.rs must be the same text (after \
         cargo fmt): change both; first difference: {differs:?}"
    );
}

#[test]
fn the_embedding_guide_s_manifest_names_crates_and_features_that_exist() {
    let manifest = block(EMBEDDING, "toml", "# docs/embedding.md: Cargo.toml");
    let ours: toml::Table = include_str!("../../Cargo.toml").parse().unwrap();
    let features = ours["features"].as_table().unwrap();
    let theirs: toml::Table = manifest.parse().expect("the guide's Cargo.toml parses");
    let deps = theirs["dependencies"].as_table().unwrap();
    let gotemp = deps["gotemp"].as_table().expect("gotemp as a table");
    for feature in gotemp["features"].as_array().unwrap() {
        let feature = feature.as_str().unwrap();
        assert!(
            features.contains_key(feature),
            "gotemp has no feature {feature}"
        );
    }
    for (name, spec) in deps {
        if let Some(path) = spec.get("path").and_then(|p| p.as_str()) {
            // The guide's crate sits beside the checkout: ../gotemp is this directory.
            let here = path.replacen("../gotemp", env!("CARGO_MANIFEST_DIR"), 1);
            let manifest = std::path::Path::new(&here).join("Cargo.toml");
            let text = std::fs::read_to_string(&manifest)
                .unwrap_or_else(|e| panic!("{name}: {} ({e})", manifest.display()));
            assert!(
                text.contains(&format!("name = \"{name}\"")),
                "{name} at {here}"
            );
        }
    }
    // Every crate the application uses is one the guide's manifest lists.
    for used in ["async_trait", "axum", "tokio", "gotemp_http", "gotemp"] {
        let listed = used.replace('_', "-");
        assert!(
            deps.contains_key(&listed) && MY_APP.contains(&format!("{used}::")),
            "{listed}"
        );
    }
}
