//! Users: every rule, ETags and If-Match, duplicate e-mails, passwords never echoed.

use crate::support::*;

#[tokio::test]
async fn users_round_trip_with_every_rule() {
    let Some((store, _app, api)) = fixture("users_round_trip_with_every_rule").await else {
        return;
    };
    let new = json!({
        "first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.com",
        "company": "Engines", "valid_from": future(-1), "valid_thru": future(365),
        "active": true, "password": "first password"
    });
    let created = api.post("/v1/users", new.clone()).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let user = created.json();
    let id = user["id"].as_i64().unwrap();
    assert_eq!(created.header("location"), format!("/v1/users/{id}"));
    assert_eq!(created.header("etag"), "\"1\"");
    assert_eq!(user["name"], "Ada Lovelace");
    assert!(user.get("password").is_none());

    let got = api.get(&format!("/v1/users/{id}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("etag"), "\"1\"");
    assert_eq!(got.json(), user);

    // Every filter, alone, finds her (e-mail regardless of case), and a mismatch finds nothing.
    for query in [
        format!("id={id}"),
        "first_name=Ada".into(),
        "last_name=Lovelace".into(),
        "email=ada@example.COM".into(),
        "company=Engines".into(),
        format!("valid_on={}", urlencode(&future(10))),
        "first_name=Ada&last_name=Lovelace&company=Engines".into(),
    ] {
        let r = api.get(&format!("/v1/users?{query}")).await;
        assert_eq!(r.status, 200, "{query}: {}", r.text);
        let ids: Vec<i64> = r.json()["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_i64().unwrap())
            .collect();
        assert!(ids.contains(&id), "{query} finds her");
    }
    let none = api
        .get("/v1/users?first_name=Ada&company=Other")
        .await
        .json();
    assert_eq!(none["items"], json!([]));
    assert_eq!(none["next_cursor"], Value::Null);

    // Paging: a page of one at a time reaches every user exactly once.
    let total = api.get("/v1/users?limit=500").await.json()["items"]
        .as_array()
        .unwrap()
        .len();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/users?limit=1&cursor={c}"),
            None => "/v1/users?limit=1".into(),
        };
        let page = api.get(&path).await.json();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["id"].as_i64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), total);
    seen.dedup();
    assert_eq!(seen.len(), total);

    // Bad query parameters name themselves.
    api.get("/v1/users?limit=0").await.invalid(&["limit"]);
    api.get("/v1/users?limit=501").await.invalid(&["limit"]);
    api.get("/v1/users?limit=ten").await.invalid(&["limit"]);
    api.get("/v1/users?cursor=garbage!")
        .await
        .invalid(&["cursor"]);
    api.get("/v1/users?id=x&valid_on=yesterday")
        .await
        .invalid(&["id", "valid_on"]);
    api.get("/v1/users?firstName=Ada")
        .await
        .invalid(&["firstName"]);
    api.get("/v1/users/abc").await.invalid(&["id"]);

    // Every rule of a new user, all reported at once.
    let r = api.post("/v1/users", json!({})).await;
    r.invalid(&[
        "first_name",
        "last_name",
        "email",
        "valid_from",
        "valid_thru",
        "password",
    ]);
    let r = api
        .post(
            "/v1/users",
            json!({
                "first_name": "x".repeat(101), "last_name": " ", "email": "not-an-email",
                "company": "c".repeat(256), "valid_from": future(10), "valid_thru": future(1),
                "password": "short"
            }),
        )
        .await;
    r.invalid(&[
        "first_name",
        "last_name",
        "email",
        "company",
        "valid_thru",
        "password",
    ]);
    // Wrong types and malformed JSON name the field, or the body.
    api.post("/v1/users", json!({"first_name": 7}))
        .await
        .invalid(&["first_name"]);
    api.post("/v1/users", json!({"active": "yes"}))
        .await
        .invalid(&["active"]);
    api.post("/v1/users", json!({"valid_from": "tomorrow"}))
        .await
        .invalid(&["valid_from"]);
    api.post("/v1/users", json!([1, 2]))
        .await
        .invalid(&["body"]);
    api.raw(
        "POST",
        "/v1/users",
        "{\"first_name\": ",
        Some("application/json"),
    )
    .await
    .invalid(&["body"]);
    api.raw("POST", "/v1/users", "{} trailing", Some("application/json"))
        .await
        .invalid(&["body"]);
    api.raw(
        "POST",
        "/v1/users",
        "first_name=Ada",
        Some("application/x-www-form-urlencoded"),
    )
    .await
    .problem(415);
    api.raw("POST", "/v1/users", "{}", None).await.problem(415);

    // The e-mail is unique regardless of case.
    let mut twin = new.clone();
    twin["email"] = json!("ADA@example.com");
    let taken = api.post("/v1/users", twin).await.problem(409);
    // The taken value is named by field, so a form can mark it.
    assert_eq!(taken["type"], "urn:gotemp:problem:duplicate");
    assert_eq!(taken["errors"][0]["field"], "email", "{taken}");
    assert_eq!(taken["errors"][0]["code"], "duplicate");

    // Updates: If-Match with the current ETag, then a stale one (412), garbage (412), none.
    let path = format!("/v1/users/{id}");
    let r = api
        .put(
            &path,
            json!({"company": "", "password": "second password"}),
            Some("\"1\""),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.header("etag"), "\"2\"");
    assert_eq!(r.json()["company"], Value::Null, "empty clears");
    api.put(&path, json!({"last_name": "King"}), Some("\"1\""))
        .await
        .problem(412);
    api.put(&path, json!({"last_name": "King"}), Some("\"v-one\""))
        .await
        .problem(412);
    let r = api.put(&path, json!({"last_name": "King"}), None).await;
    assert_eq!(r.json()["name"], "Ada King");
    let taken = api
        .put(&path, json!({"email": "root@gotemp.example"}), None)
        .await
        .problem(409);
    assert!(
        taken["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("another user already has this e-mail")),
        "{taken}"
    );
    api.put(&path, json!({"first_name": ""}), None)
        .await
        .invalid(&["first_name"]);
    api.put(&path, json!({"password": "short"}), None)
        .await
        .invalid(&["password"]);
    // Long enough but guessable: a common password, a keyboard walk, her own name and e-mail.
    for weak in ["password123", "qwertyuiop", "ada-king", "ada@example.com"] {
        let r = api.put(&path, json!({"password": weak}), None).await;
        r.invalid(&["password"]);
        assert_eq!(r.json()["errors"][0]["code"], "weak_password", "{weak}");
    }

    api.put("/v1/users/999999", json!({"last_name": "X"}), None)
        .await
        .problem(404);
    // The new password works; the old one does not.
    let mut ada = api.with_token(None);
    ada.login("ada@example.com", "second password").await;
    assert_eq!(ada.get(&path).await.status, 200);
    api.with_token(None)
        .post(
            "/v1/auth/login",
            json!({"email": "ada@example.com", "password": "first password"}),
        )
        .await
        .problem(401);

    // Delete: stale If-Match is refused; an active user is not deleted (deactivate first);
    // the current version of the inactive user deletes, then it is gone.
    api.delete(&path, Some("\"1\"")).await.problem(412);
    let r = api.delete(&path, Some("\"3\"")).await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert!(
        r.text.contains("active: an active user cannot be deleted"),
        "{}",
        r.text
    );
    let r = api
        .put(&path, json!({"active": false}), Some("\"3\""))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = api.delete(&path, Some("\"4\"")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    api.get(&path).await.problem(404);
    api.delete(&path, None).await.problem(404);
    api.stop().await;
    store.finish().await;
}
