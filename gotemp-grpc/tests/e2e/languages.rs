//! Messages in the language the caller asks for (`accept-language` metadata): a Spanish
//! INVALID_ARGUMENT names the same fields as the English one, in other words.

use crate::support::*;
use gotemp_core::i18n::Locale;
use gotemp_grpc::pb::customer::{CreateCustomerRequest, GetCustomerRequest};

#[tokio::test]
async fn statuses_answer_in_the_language_asked_for_with_the_same_fields() {
    let Some((store, _app, running)) =
        fixture("statuses_answer_in_the_language_asked_for_with_the_same_fields").await
    else {
        return;
    };
    let mut client = admin(&running.url).await;
    let invalid = CreateCustomerRequest {
        id: Some("no spaces".into()),
        name: " ".into(),
        ..Default::default()
    };
    let english = client.customers().create_customer(invalid.clone()).await;
    client.set_language(Locale::Es);
    let spanish = client.customers().create_customer(invalid).await;
    let (english, spanish) = (english.unwrap_err(), spanish.unwrap_err());
    assert_eq!(english.code(), tonic::Code::InvalidArgument);
    assert_eq!(spanish.code(), english.code());
    let violations = |status: &tonic::Status| -> Vec<(String, String)> {
        let details = status.get_details_bad_request().expect("field violations");
        (details.field_violations.into_iter())
            .map(|v| (v.field, v.description))
            .collect()
    };
    let (en, es) = (violations(&english), violations(&spanish));
    let fields = |v: &[(String, String)]| v.iter().map(|(f, _)| f.clone()).collect::<Vec<_>>();
    assert_eq!(fields(&es), fields(&en));
    assert_eq!(fields(&en), ["name", "id"]);
    assert!(
        spanish.message().starts_with("datos no válidos: "),
        "{}",
        spanish.message()
    );
    assert!(
        es.contains(&("name".into(), "name es obligatorio".into())),
        "{es:?}"
    );
    assert!(
        en.contains(&("name".into(), "name is required".into())),
        "{en:?}"
    );

    let request = GetCustomerRequest { id: "nadie".into() };
    let missing = client.customers().get_customer(request).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    assert_eq!(missing.message(), "el cliente nadie no existe");
    running.stop().await;
    store.finish().await;
}
