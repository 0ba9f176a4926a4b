//! Messages in the language the client asks for (`Accept-Language`): a Spanish 422 has the same
//! type, codes and fields as the English one, only the words differ; English is the default and
//! the fallback.

use crate::support::*;

#[tokio::test]
async fn problems_answer_in_the_language_asked_for_with_the_same_codes() {
    let Some((store, _app, api)) =
        fixture("problems_answer_in_the_language_asked_for_with_the_same_codes").await
    else {
        return;
    };
    let body = json!({
        "name": " ",
        "id": "no spaces",
        "valid_from": future(5),
        "valid_thru": future(1),
    });
    let create = |language: Option<&'static str>| {
        let mut request = api.http.post(format!("{}/v1/customers", api.base));
        request = request
            .bearer_auth(api.token.as_deref().unwrap())
            .json(&body);
        if let Some(language) = language {
            request = request.header("accept-language", language);
        }
        api.send(request)
    };
    let english = create(None).await;
    let spanish = create(Some("es-MX,es;q=0.9,en;q=0.5")).await;
    let fallback = create(Some("fr-FR")).await;
    for reply in [&english, &spanish, &fallback] {
        assert_eq!(reply.status, 422, "{}", reply.text);
    }
    assert_eq!(english.header("content-language"), "en");
    assert_eq!(spanish.header("content-language"), "es");
    let (en, es) = (english.json(), spanish.json());
    assert_eq!(
        fallback.json()["errors"],
        en["errors"],
        "French falls back to English"
    );
    assert_eq!(es["type"], en["type"]);
    assert_eq!(es["status"], en["status"]);
    let rules = |problem: &serde_json::Value| -> Vec<(String, String)> {
        let errors = problem["errors"].as_array().unwrap().iter();
        errors
            .map(|e| (e["field"].to_string(), e["code"].to_string()))
            .collect()
    };
    assert_eq!(rules(&es), rules(&en));
    assert_eq!(rules(&en).len(), 3, "{en}");
    assert_eq!(en["title"], "Invalid input");
    assert_eq!(es["title"], "Datos no válidos");
    let messages = |p: &serde_json::Value| p["errors"].as_array().unwrap().clone();
    let es_messages = messages(&es);
    let name = es_messages.iter().find(|e| e["field"] == "name").unwrap();
    assert_eq!(name["message"], "name es obligatorio");
    for (e, s) in messages(&en).iter().zip(&es_messages) {
        assert_ne!(e["message"], s["message"], "translated: {e} / {s}");
    }

    // Not found, and a malformed body, in Spanish too.
    let mut request = api.http.get(format!("{}/v1/customers/nadie", api.base));
    request = request.bearer_auth(api.token.as_deref().unwrap());
    let missing = api
        .send(request.header("accept-language", "es"))
        .await
        .json();
    assert_eq!(missing["detail"], "el cliente nadie no existe");
    assert_eq!(missing["title"], "No encontrado");
    let mut request = api.http.post(format!("{}/v1/customers", api.base));
    request = request.bearer_auth(api.token.as_deref().unwrap());
    let request = request.header("content-type", "application/json").body("{");
    let malformed = api
        .send(request.header("accept-language", "es"))
        .await
        .json();
    assert_eq!(malformed["errors"][0]["code"], "malformed_json");
    let message = malformed["errors"][0]["message"].as_str().unwrap();
    assert!(message.starts_with("body: JSON mal formado"), "{message}");
    store.finish().await;
}
