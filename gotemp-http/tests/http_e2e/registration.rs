//! Registration: a missing route until a deployment opens it.

use super::access::{as_user, seeded};
use crate::support::*;

#[tokio::test]
async fn registration_is_a_missing_route_until_it_is_opened() {
    let (store, api) = seeded().await;
    let stranger = json!({"first_name": "Sue", "last_name": "New",
        "email": "sue@new.example", "password": "first password"});
    let anonymous = api.with_token(None);
    let options = anonymous.get("/v1/auth/options").await.json();
    assert_eq!(options["registration"], "closed");
    anonymous
        .post("/v1/auth/register", stranger.clone())
        .await
        .problem(404);
    api.stop().await;

    let mut c = config();
    c.auth.registration = gotemp::Registration::Open;
    let app = Gotemp::builder()
        .config(&c)
        .repositories(store.repos.clone())
        .tokens(tokens())
        .build()
        .await
        .unwrap();
    let api = Api::start(app, HttpConfig::default()).await;
    let anonymous = api.with_token(None);
    assert_eq!(
        anonymous.get("/v1/auth/options").await.json()["registration"],
        "open"
    );
    assert_eq!(
        anonymous.get("/v1/auth/options").await.json()["registration_roles"],
        json!([])
    );
    let r = anonymous.post("/v1/auth/register", stranger.clone()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let user = r.json();
    assert_eq!(
        (user["roles"].clone(), user["active"].clone()),
        (json!([]), json!(true)),
        "a stranger gets no role unless the deployment says so"
    );
    let p = anonymous
        .post("/v1/auth/register", stranger)
        .await
        .problem(409);
    assert!(p["detail"].as_str().unwrap().starts_with("email:"), "{p}");
    let (sue, me) = as_user(&api, "sue@new.example", "first password").await;
    sue.get("/v1/customers").await.problem(403);
    sue.get("/v1/promotions").await.problem(403);
    assert_eq!(sue.get("/v1/users/me").await.json()["id"], me["id"]);
    api.stop().await;

    // A deployment that wants sign-ups to read says which roles they get.
    c.auth.registration_roles =
        gotemp_core::policy::Roles::of(&[gotemp_core::policy::Role::Viewer]);
    let app = Gotemp::builder()
        .config(&c)
        .repositories(store.repos.clone())
        .tokens(tokens())
        .build()
        .await
        .unwrap();
    let api = Api::start(app, HttpConfig::default()).await;
    let tom = json!({"first_name": "Tom", "last_name": "New",
        "email": "tom@new.example", "password": "first password"});
    let r = api.with_token(None).post("/v1/auth/register", tom).await;
    assert_eq!(r.json()["roles"], json!(["viewer"]), "{}", r.text);
    let (tom, _) = as_user(&api, "tom@new.example", "first password").await;
    assert_eq!(tom.get("/v1/customers").await.status, 200);
    tom.post("/v1/customers", json!({"name": "X"}))
        .await
        .problem(403);
    api.stop().await;
    store.finish().await;
}
