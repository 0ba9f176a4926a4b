//! Self-service, the guard rails around users, and revocation: what a user may do to itself,
//! what nobody may do to the last administrator, and how fast a token stops working.

use crate::support::*;

pub(crate) const DEMO_PASSWORD: &str = "first password";

/// A seeded API on SQLite whose demo users can log in.
pub(crate) async fn seeded() -> (TestStore, Api) {
    let store = testing::sqlite_store().await;
    let app = gotemp_testing::wired(store.repos.clone(), tokens()).await;
    let mut c = config();
    c.auth.demo_password = Some(SecretString::from(DEMO_PASSWORD));
    app.seed(&c).await.unwrap();
    let mut api = Api::start(app, HttpConfig::default()).await;
    api.login("root@gotemp.example", ADMIN_PASSWORD).await;
    (store, api)
}

pub(crate) async fn as_user(api: &Api, email: &str, password: &str) -> (Api, Value) {
    let mut caller = api.with_token(None);
    let body = caller.login(email, password).await;
    (caller, body["user"].clone())
}

#[tokio::test]
async fn a_user_reads_and_changes_itself_but_never_its_rights() {
    let (store, api) = seeded().await;
    let (bob, me) = as_user(&api, "bob.jones@patoloco.example", DEMO_PASSWORD).await;
    assert_eq!(me["roles"], json!(["viewer"]));
    let path = format!("/v1/users/{}", me["id"]);

    let r = bob.get("/v1/users/me").await;
    assert_eq!(
        (r.status.as_u16(), r.json()["email"].clone()),
        (200, me["email"].clone())
    );
    // The profile form may send its company back unchanged.
    let company = me["company"].clone();
    let r = bob
        .put(
            &path,
            json!({"last_name": "Jones-Diaz", "company": company}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["name"], "Bob Jones-Diaz");
    assert_eq!(r.json()["company"], company);
    for (field, value) in [
        ("company", json!("Canard Oui Oui")),
        ("roles", json!(["admin"])),
        ("active", json!(false)),
        ("valid_thru", json!(future(9000))),
        ("email", json!("bob@elsewhere.example")),
        ("password", json!("a new password")),
    ] {
        let p = bob
            .put(&path, json!({ field: value }), None)
            .await
            .problem(403);
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.starts_with(&format!("{field}:")), "{detail}");
    }
    assert_eq!(
        bob.get("/v1/users/me").await.json()["roles"],
        json!(["viewer"])
    );
    // Another user is not its to read or change.
    bob.get("/v1/users/1").await.problem(403);
    bob.put("/v1/users/1", json!({"last_name": "X"}), None)
        .await
        .problem(403);
    api.stop().await;
    store.finish().await;
}

/// A stolen administrator's token must not take the account for good: changing one's own
/// password or e-mail needs the current password, whoever one is.
#[tokio::test]
async fn an_administrator_changing_its_own_password_or_email_gives_the_current_one() {
    let (store, api) = seeded().await;
    let me = api.get("/v1/users/me").await.json();
    let path = format!("/v1/users/{}", me["id"]);
    for change in [
        json!({"password": "a brand new password"}),
        json!({"email": "root@elsewhere.example"}),
    ] {
        let r = api.put(&path, change.clone(), None).await;
        r.invalid(&["current_password"]);
        let mut wrong = change.clone();
        wrong["current_password"] = json!("not the password");
        api.put(&path, wrong, None)
            .await
            .invalid(&["current_password"]);
    }
    // The e-mail it has, sent back with the form, is no change.
    let same = api
        .put(
            &path,
            json!({"email": me["email"], "last_name": "Root"}),
            None,
        )
        .await;
    assert_eq!(same.status, 200, "{}", same.text);
    let right = json!({"password": "a brand new password", "current_password": ADMIN_PASSWORD});
    let r = api.put(&path, right, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    api.get("/v1/users/me").await.problem(401);
    let (admin, _) = as_user(&api, "root@gotemp.example", "a brand new password").await;
    // Another user's password is an administrator's to reset without it.
    let bob = admin
        .get("/v1/users?email=bob.jones@patoloco.example")
        .await
        .json()["items"][0]["id"]
        .clone();
    let r = admin
        .put(
            &format!("/v1/users/{bob}"),
            json!({"password": "reset by the admin"}),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    api.stop().await;
    store.finish().await;
}

#[tokio::test]
async fn logout_ends_the_token_at_once_and_every_other_session_of_the_user() {
    let (store, api) = seeded().await;
    let email = "ann.smith@ducksrus.example";
    let (ann, _) = as_user(&api, email, DEMO_PASSWORD).await;
    let (phone, _) = as_user(&api, email, DEMO_PASSWORD).await;
    let r = ann.call("POST", "/v1/auth/logout", None, None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(r.header("cache-control"), "no-store");
    ann.get("/v1/users/me").await.problem(401);
    phone.get("/v1/users/me").await.problem(401);
    ann.call("POST", "/v1/auth/logout", None, None)
        .await
        .problem(401);
    api.with_token(None)
        .call("POST", "/v1/auth/logout", None, None)
        .await
        .problem(401);
    let (again, _) = as_user(&api, email, DEMO_PASSWORD).await;
    assert_eq!(again.get("/v1/users/me").await.status, 200);
    api.stop().await;
    store.finish().await;
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_every_older_token() {
    let (store, api) = seeded().await;
    let email = "ann.smith@ducksrus.example";
    let (ann, _) = as_user(&api, email, DEMO_PASSWORD).await;
    let (other_session, _) = as_user(&api, email, DEMO_PASSWORD).await;

    let wrong = json!({"current_password": "not it", "new_password": "second password"});
    let p = ann.post("/v1/auth/password", wrong).await.problem(401);
    assert_eq!(
        p["detail"], "invalid e-mail or password",
        "said like a failed login"
    );
    let short = json!({"current_password": DEMO_PASSWORD, "new_password": "short"});
    ann.post("/v1/auth/password", short)
        .await
        .invalid(&["new_password"]);
    assert_eq!(
        ann.get("/v1/users/me").await.status,
        200,
        "nothing changed yet"
    );

    let right = json!({"current_password": DEMO_PASSWORD, "new_password": "second password"});
    let r = ann.post("/v1/auth/password", right).await;
    assert_eq!(r.status, 204, "{}", r.text);
    ann.get("/v1/users/me").await.problem(401);
    other_session.get("/v1/customers").await.problem(401);
    let (again, _) = as_user(&api, email, "second password").await;
    assert_eq!(again.get("/v1/users/me").await.status, 200);
    api.with_token(None)
        .post(
            "/v1/auth/login",
            json!({"email": email, "password": DEMO_PASSWORD}),
        )
        .await
        .problem(401);
    api.stop().await;
    store.finish().await;
}

#[tokio::test]
async fn tokens_stop_working_at_once_when_rights_change_or_the_user_goes() {
    let (store, api) = seeded().await;
    let (ann, me) = as_user(&api, "ann.smith@ducksrus.example", DEMO_PASSWORD).await;
    let (erin, erin_me) = as_user(&api, "erin.audit@gotemp.example", DEMO_PASSWORD).await;
    let (bob, bob_me) = as_user(&api, "bob.jones@patoloco.example", DEMO_PASSWORD).await;
    assert_eq!(ann.get("/v1/customers").await.status, 200);

    // Other roles: the old token is refused; a new login has the new rights.
    let ann_path = format!("/v1/users/{}", me["id"]);
    let r = api.put(&ann_path, json!({"roles": ["viewer"]}), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    ann.get("/v1/customers").await.problem(401);
    let (ann, _) = as_user(&api, "ann.smith@ducksrus.example", DEMO_PASSWORD).await;
    ann.post("/v1/customers", json!({"name": "X"}))
        .await
        .problem(403);

    // A change that takes no right nor the password leaves tokens alone.
    let erin_path = format!("/v1/users/{}", erin_me["id"]);
    let r = api
        .put(&erin_path, json!({"company": "Audit Ltd"}), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(erin.get("/v1/audit").await.status, 200);

    // Deactivated, then deleted: refused from the moment of the change.
    let bob_path = format!("/v1/users/{}", bob_me["id"]);
    let r = api.put(&bob_path, json!({"active": false}), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    bob.get("/v1/users/me").await.problem(401);
    let r = api.delete(&bob_path, None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    bob.get("/v1/users/me").await.problem(401);
    api.stop().await;
    store.finish().await;
}

#[tokio::test]
async fn the_last_active_admin_stays_and_active_users_are_not_deleted() {
    let (store, api) = seeded().await;
    let me = api.get("/v1/users/me").await.json();
    let path = format!("/v1/users/{}", me["id"]);
    let p = api
        .put(&path, json!({"roles": ["viewer"]}), None)
        .await
        .problem(409);
    assert!(p["detail"].as_str().unwrap().starts_with("roles:"), "{p}");
    let p = api
        .put(&path, json!({"active": false}), None)
        .await
        .problem(409);
    assert!(p["detail"].as_str().unwrap().starts_with("active:"), "{p}");
    let p = api.delete(&path, None).await.problem(409);
    assert!(p["detail"].as_str().unwrap().starts_with("active:"), "{p}");
    assert_eq!(
        api.get("/v1/users/me").await.json()["roles"],
        json!(["admin"])
    );

    // With a second active admin, the first may step down.
    let second = json!({
        "first_name": "Second", "last_name": "Admin", "email": "second@gotemp.example",
        "valid_from": future(-1), "valid_thru": future(365), "active": true,
        "roles": ["admin"], "password": "first password",
    });
    let r = api.post("/v1/users", second).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = api.put(&path, json!({"roles": ["auditor"]}), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    api.stop().await;
    store.finish().await;
}

#[tokio::test]
async fn roles_are_checked_and_default_to_viewer() {
    let (store, api) = seeded().await;
    let user = |email: &str, roles: Option<Value>| {
        let mut body = json!({
            "first_name": "R", "last_name": "R", "email": email,
            "valid_from": future(-1), "valid_thru": future(365), "active": true,
            "password": "first password",
        });
        if let Some(roles) = roles {
            body["roles"] = roles;
        }
        body
    };
    let r = api.post("/v1/users", user("plain@x.example", None)).await;
    assert_eq!(r.json()["roles"], json!(["viewer"]));
    let r = api
        .post("/v1/users", user("bad@x.example", Some(json!(["root"]))))
        .await;
    let p = r.problem(422);
    assert!(
        p["errors"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("roles"),
        "{p}"
    );
    api.stop().await;
    store.finish().await;
}

#[tokio::test]
async fn logins_failures_and_lockouts_are_in_the_audit_trail() {
    let store = testing::sqlite_store().await;
    let app = gotemp_testing::wired(store.repos.clone(), tokens()).await;
    let mut c = config();
    c.auth.demo_password = Some(SecretString::from(DEMO_PASSWORD));
    app.seed(&c).await.unwrap();
    let pipeline = app.start_audit_pipeline();
    let mut api = Api::start(app.clone(), HttpConfig::default()).await;
    let anonymous = api.with_token(None);
    let wrong = json!({"email": "bob.jones@patoloco.example", "password": "not his"});
    let mut locked = false;
    for _ in 0..20 {
        locked = anonymous.post("/v1/auth/login", wrong.clone()).await.status == 429;
        if locked {
            break;
        }
    }
    assert!(locked, "twenty wrong passwords and no lock-out");
    api.login("root@gotemp.example", ADMIN_PASSWORD).await;
    app.wait_for_audit(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    let trail = api
        .get("/v1/audit?action_type=access&limit=100")
        .await
        .json();
    let seen: Vec<String> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["action_func"].as_str().unwrap(),
                r["object_id"].as_str().unwrap()
            )
        })
        .collect();
    let bob = api
        .get("/v1/users?email=bob.jones@patoloco.example")
        .await
        .json()["items"][0]["id"]
        .clone();
    assert!(seen.contains(&format!("lockout {bob}")), "{seen:?}");
    assert!(seen.contains(&format!("login_failed {bob}")), "{seen:?}");
    assert!(seen.iter().any(|s| s.starts_with("login ")), "{seen:?}");
    assert!(
        !trail.to_string().contains("not his"),
        "no password in the trail"
    );
    pipeline.shutdown().await;
    api.stop().await;
    store.finish().await;
}
