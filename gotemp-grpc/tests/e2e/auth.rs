//! Bad tokens refused on every protected RPC; a service apart asks the user service.

use crate::protected::*;
use crate::support::*;

#[tokio::test]
async fn every_protected_rpc_refuses_bad_tokens() {
    let Some((store, app, running)) = fixture("every_protected_rpc_refuses_bad_tokens").await
    else {
        return;
    };
    let good = admin(&running.url).await;
    // A valid token works on every RPC (whatever the outcome, it is not UNAUTHENTICATED).
    for (rpc, outcome) in every_protected_rpc(&good).await {
        if let Err(status) = outcome {
            assert_ne!(
                status.code(),
                Code::Unauthenticated,
                "{rpc} with a valid token: {status:?}"
            );
        }
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
    let mut tampered = valid.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
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
        let mut client = GotempClient::connect(&running.url).await.unwrap();
        if let Some(token) = token {
            client.set_token(&token).unwrap();
        }
        for (rpc, outcome) in every_protected_rpc(&client).await {
            let status = outcome.expect_err(&format!("{rpc} accepted {case}"));
            assert_eq!(
                status.code(),
                Code::Unauthenticated,
                "{rpc} with {case}: {status:?}"
            );
        }
    }
    // Login itself needs no token, and a wrong password is UNAUTHENTICATED without detail.
    let anonymous = GotempClient::connect(&running.url).await.unwrap();
    let status = anonymous
        .users()
        .login(user::LoginRequest {
            email: "root@gotemp.example".into(),
            password: "wrong password".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    running.stop().await;
    store.finish().await;
}

/// The user service on its own (seeded as `config` says), and `apart` in another process-like
/// server that knows no signing secret and asks the user service to verify every token.
async fn split_deployment(
    store: &TestStore,
    config: &Config,
    apart: &[ServiceName],
) -> (Running, Running) {
    let users_app = gotemp_testing::wired(store.repos.clone(), tokens()).await;
    users_app.seed(config).await.unwrap();
    let local = Authenticator::new(Arc::new(LocalVerifier::new(users_app.users().clone())));
    let users = start(users_app, &[ServiceName::User], local).await;
    let other_secret = SecretString::from("a-different-secret-a-different-secret!!");
    let other_tokens = Arc::new(TokenService::new(TokenSettings::new(other_secret)).unwrap());
    let apart_app = gotemp_testing::wired(store.open_again().await, other_tokens).await;
    let channel = tonic::transport::Endpoint::from_shared(users.url.clone())
        .unwrap()
        .connect_lazy();
    let remote = Authenticator::new(Arc::new(RemoteVerifier::new(channel)));
    (users, start(apart_app, apart, remote).await)
}

#[tokio::test]
async fn a_service_deployed_apart_verifies_tokens_with_the_user_service() {
    let test = "a_service_deployed_apart_verifies_tokens_with_the_user_service";
    let Some(store) = testing::postgres_store(test).await else {
        return;
    };
    let (users, promotions) = split_deployment(
        &store,
        &config(),
        &[ServiceName::Promotion, ServiceName::Customer],
    )
    .await;

    let mut login = admin(&users.url).await;
    let token = login
        .users()
        .login(user::LoginRequest {
            email: config().auth.admin_email,
            password: "root password of the tests".into(),
        })
        .await
        .unwrap()
        .into_inner()
        .token;
    let mut client = GotempClient::connect(&promotions.url).await.unwrap();
    client.set_token(&token).unwrap();
    let promo = client
        .promotions()
        .create_promotion(promotion::CreatePromotionRequest {
            name: "Remote".into(),
            valid_from: future(0),
            valid_thru: future(5),
            customer_id: "ducksrus".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(promo.customer_name.as_deref(), Some("Ducks R Us"));
    let mut forged = token.clone();
    forged.push('x');
    client.set_token(&forged).unwrap();
    let refused = client
        .promotions()
        .get_promotion(promotion::GetPromotionRequest { id: promo.id })
        .await
        .unwrap_err();
    assert_ne!(refused.code(), Code::Ok);
    assert!(
        matches!(refused.code(), Code::Unauthenticated | Code::Unavailable),
        "an unknown token is never let through: {refused:?}"
    );
    login.clear_token();
    users.stop().await;
    promotions.stop().await;
    store.finish().await;
}

/// Services deployed apart from the user service learn of a revocation through it: a token
/// whose user got a new password is refused there within two seconds, and roles are the
/// user's current ones there too.
#[tokio::test]
async fn a_revocation_reaches_a_service_deployed_apart_within_two_seconds() {
    let test = "a_revocation_reaches_a_service_deployed_apart_within_two_seconds";
    let Some(store) = testing::postgres_store(test).await else {
        return;
    };
    let mut c = config();
    c.auth.demo_password = Some(SecretString::from("demo password of the tests"));
    let (users, promotions) = split_deployment(&store, &c, &[ServiceName::Promotion]).await;

    // Ann (editor) works through the service apart; then changes her password.
    let mut ann = GotempClient::connect(&users.url).await.unwrap();
    let old = ann
        .login("ann.smith@ducksrus.example", "demo password of the tests")
        .await
        .unwrap();
    let mut apart = GotempClient::connect(&promotions.url).await.unwrap();
    apart.set_token(&old.token).unwrap();
    let list = || promotion::ListPromotionsRequest::default();
    apart
        .promotions()
        .list_promotions(list())
        .await
        .expect("a valid token");
    let stale = apart
        .promotions()
        .delete_promotion(promotion::DeletePromotionRequest {
            id: 1,
            version: Some(999_999),
        })
        .await
        .unwrap_err();
    assert_eq!(
        stale.code(),
        Code::Aborted,
        "an editor may; the version is stale"
    );
    ann.users()
        .change_password(user::ChangePasswordRequest {
            current_password: "demo password of the tests".into(),
            new_password: "a brand new password".into(),
        })
        .await
        .unwrap();
    refused_within_two_seconds(&mut apart, "the password change").await;

    // Logging out ends the new token too, there as well.
    let new = ann
        .login("ann.smith@ducksrus.example", "a brand new password")
        .await
        .unwrap();
    apart.set_token(&new.token).unwrap();
    apart.promotions().list_promotions(list()).await.unwrap();
    ann.users().logout(user::LogoutRequest {}).await.unwrap();
    let own = ann.users().get_me(user::GetMeRequest {}).await.unwrap_err();
    assert_eq!(
        own.code(),
        Code::Unauthenticated,
        "at once where it was ended"
    );
    refused_within_two_seconds(&mut apart, "the log-out").await;
    users.stop().await;
    promotions.stop().await;
    store.finish().await;
}

/// Waits for `client`'s token to be refused by the promotion service it calls, and checks it
/// took at most two seconds after `what`.
async fn refused_within_two_seconds(client: &mut GotempClient, what: &str) {
    let since = std::time::Instant::now();
    let refused = loop {
        let list = promotion::ListPromotionsRequest::default();
        match client.promotions().list_promotions(list).await {
            Err(status) => break status,
            Ok(_) if since.elapsed() < std::time::Duration::from_secs(3) => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Ok(_) => panic!("the token still works 3 s after {what}"),
        }
    };
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    let after = since.elapsed();
    assert!(
        after <= std::time::Duration::from_millis(2000),
        "refused only after {after:?}"
    );
}

/// Wrong passwords over gRPC end in RESOURCE_EXHAUSTED with the time to wait, like HTTP's 429.
#[tokio::test]
async fn repeated_wrong_logins_are_resource_exhausted() {
    let test = "repeated_wrong_logins_are_resource_exhausted";
    let Some((store, _app, running)) = fixture(test).await else {
        return;
    };
    let mut client = GotempClient::connect(&running.url).await.unwrap();
    let mut last = None;
    for _ in 0..10 {
        let status = client
            .login(&config().auth.admin_email, "not the password")
            .await
            .unwrap_err();
        let code = status.code();
        last = Some(status);
        if code == Code::ResourceExhausted {
            break;
        }
        assert_eq!(code, Code::Unauthenticated);
    }
    let status = last.unwrap();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let retry = status.get_details_retry_info().expect("the time to wait");
    assert!(
        retry.retry_delay.is_some_and(|d| d.as_secs() >= 1),
        "{retry:?}"
    );
    running.stop().await;
    store.finish().await;
}

/// Register needs no token, and is UNIMPLEMENTED while registration is closed (the default).
#[tokio::test]
async fn register_is_unimplemented_while_registration_is_closed() {
    let test = "register_is_unimplemented_while_registration_is_closed";
    let Some((store, _app, running)) = fixture(test).await else {
        return;
    };
    let client = GotempClient::connect(&running.url).await.unwrap();
    let status = client
        .users()
        .register(user::RegisterRequest {
            first_name: "Sue".into(),
            last_name: "New".into(),
            email: "sue@new.example".into(),
            password: "first password".into(),
            organisation: None,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented, "{status:?}");
    running.stop().await;
    store.finish().await;
}
