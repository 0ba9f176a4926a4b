//! Every protected route refuses every kind of bad token.

use crate::support::*;

#[tokio::test]
async fn every_protected_route_refuses_bad_tokens() {
    let Some((store, app, api)) = fixture("every_protected_route_refuses_bad_tokens").await else {
        return;
    };
    for (method, path, body) in protected_routes() {
        let r = api.call(method, path, body, None).await;
        assert_ne!(
            r.status, 401,
            "{method} {path} with a valid token: {}",
            r.text
        );
    }
    let admin_id = app
        .users()
        .list(
            &gotemp::domain::Actor::system(gotemp::domain::values::TenantId::default_tenant()),
            &Default::default(),
            &Default::default(),
        )
        .await
        .unwrap()
        .items[0]
        .id;
    let valid = tokens()
        .issue(
            &gotemp::domain::values::TenantId::default_tenant(),
            admin_id,
            1,
            chrono::Utc::now(),
        )
        .unwrap()
        .token;
    let expired = tokens()
        .issue(
            &gotemp::domain::values::TenantId::default_tenant(),
            admin_id,
            1,
            chrono::Utc::now() - chrono::Duration::days(2),
        )
        .unwrap()
        .token;
    let (head, _) = valid.rsplit_once('.').unwrap();
    let tampered = format!("{head}.{}", "A".repeat(43));
    let cases: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("garbage", Some("not-a-token".into())),
        ("expired", Some(expired)),
        ("tampered signature", Some(tampered)),
        (
            "HS384 with the same secret",
            Some(resigned(&valid, "HS384")),
        ),
        (
            "HS512 with the same secret",
            Some(resigned(&valid, "HS512")),
        ),
        ("alg none", Some(resigned(&valid, "none"))),
    ];
    for (case, token) in cases {
        let client = api.with_token(token.as_deref());
        for (method, path, body) in protected_routes() {
            let r = client.call(method, path, body, None).await;
            assert_eq!(r.status, 401, "{method} {path} accepted {case}: {}", r.text);
            r.problem(401);
            assert!(r.header("www-authenticate").starts_with("Bearer"), "{case}");
        }
        // A token can be checked without holding one: the verdict is an answer, not an error.
        if let Some(token) = &token {
            let r = api
                .with_token(None)
                .post("/v1/auth/validate", json!({"token": token}))
                .await;
            assert_eq!(r.status, 200);
            assert_eq!(r.json()["valid"], false, "{case}");
        }
    }
    // "Bearer" with nothing after it, and another scheme, are refused too.
    for header in ["Bearer ", "Basic cm9vdDpyb290", "Bearer"] {
        let r = api
            .send(
                api.http
                    .get(format!("{}/v1/users", api.base))
                    .header("authorization", header),
            )
            .await;
        r.problem(401);
    }
    let r = api
        .with_token(None)
        .post("/v1/auth/validate", json!({"token": valid}))
        .await;
    assert_eq!(r.json()["valid"], true);
    assert_eq!(r.json()["user_id"], admin_id);
    // A wrong password and an unknown e-mail look the same.
    let anonymous = api.with_token(None);
    let wrong = anonymous
        .post(
            "/v1/auth/login",
            json!({"email": "root@gotemp.example", "password": "not it at all"}),
        )
        .await
        .problem(401);
    let unknown = anonymous
        .post(
            "/v1/auth/login",
            json!({"email": "nobody@gotemp.example", "password": "not it at all"}),
        )
        .await
        .problem(401);
    assert_eq!(wrong["detail"], unknown["detail"]);
    api.stop().await;
    store.finish().await;
}
