//! The permission matrix over gRPC: every RPC of the served descriptor set but Login × every
//! built-in role (and a user with none), PERMISSION_DENIED exactly where the roles' table says.
//! An RPC the table or the call list does not know fails the test.

use crate::protected::every_protected_rpc;
use crate::support::*;
use gotemp::domain::Actor;
use gotemp::domain::entities::NewUser;
use gotemp::domain::policy::Roles;
use prost::Message as _;

const DEMO_PASSWORD: &str = "demo password of the tests";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Admin,
    Editor,
    Viewer,
    Auditor,
    Nobody,
}

/// The roles' table by RPC, written out independently of the code that enforces it; user ids
/// in the calls name another user than the caller.
fn allowed(who: Who, rpc: &str) -> bool {
    use Who::*;
    let method = rpc.rsplit('.').next().unwrap();
    let reads = ["Get", "List", "Count"];
    let read = reads.iter().any(|r| method.starts_with(r));
    match method {
        "GetMe" | "ChangePassword" | "ValidateToken" => true,
        "GetUser" | "ListUsers" => matches!(who, Admin | Auditor),
        "CreateUser" | "UpdateUser" | "DeleteUser" => who == Admin,
        "GetAuditRecord" | "ListAuditRecords" | "CountAuditRecords" => {
            matches!(who, Admin | Auditor)
        }
        "VerifyAuditChain" | "GetCheckpoint" | "GetCheckpointKeys" => {
            matches!(who, Admin | Auditor)
        }
        // Parked messages may hold anything a publisher sent: administrators only.
        "ListDeadLetters" | "ReplayDeadLetter" => who == Admin,
        _ if read => who != Nobody,
        _ => matches!(who, Admin | Editor),
    }
}

/// The method name of every RPC of the descriptor set but the two without a token (Login,
/// Register) and Logout (every role may, and it would end the caller's session: `auth.rs`
/// tests it), once per service that has it.
fn served_rpcs() -> Vec<String> {
    let set = prost_types::FileDescriptorSet::decode(gotemp_grpc::pb::FILE_DESCRIPTOR_SET).unwrap();
    // The tenant service is served in multi-tenant deployments only (tenants.rs checks it).
    let files = set
        .file
        .into_iter()
        .filter(|f| f.package() != "gotemp.tenant.v1");
    let services = files.flat_map(|f| f.service);
    let methods = services.flat_map(|s| s.method).map(|m| m.name().to_owned());
    methods
        .filter(|m| !["Login", "Register", "Logout"].contains(&m.as_str()))
        .collect()
}

#[tokio::test]
async fn every_rpc_allows_and_refuses_each_role_as_its_table_says() {
    let test = "every_rpc_allows_and_refuses_each_role_as_its_table_says";
    let Some(store) = testing::postgres_store(test).await else {
        return;
    };
    let app = gotemp_testing::wired(store.repos.clone(), tokens()).await;
    let mut c = config();
    c.auth.demo_password = Some(SecretString::from(DEMO_PASSWORD));
    app.seed(&c).await.unwrap();
    let nobody = NewUser {
        first_name: "No".into(),
        last_name: "Body".into(),
        email: "nobody@gotemp.example".into(),
        company: None,
        valid_from: Some(chrono::Utc::now() - chrono::Duration::days(1)),
        valid_thru: Some(chrono::Utc::now() + chrono::Duration::days(1)),
        active: true,
        roles: Some(Roles::NONE),
        password: SecretString::from(DEMO_PASSWORD),
    };
    app.users()
        .create(
            &Actor::system(gotemp::domain::values::TenantId::default_tenant()),
            nobody,
        )
        .await
        .unwrap();
    let auth = Authenticator::new(Arc::new(LocalVerifier::new(app.users().clone())));
    let running = start(app, &ServiceName::ALL, auth).await;

    let mut served = served_rpcs();
    served.sort();
    let mut checked = 0;
    for (who, email, password) in [
        (
            Who::Admin,
            "root@gotemp.example",
            "root password of the tests",
        ),
        (Who::Editor, "ann.smith@ducksrus.example", DEMO_PASSWORD),
        (Who::Viewer, "bob.jones@patoloco.example", DEMO_PASSWORD),
        (Who::Auditor, "erin.audit@gotemp.example", DEMO_PASSWORD),
        (Who::Nobody, "nobody@gotemp.example", DEMO_PASSWORD),
    ] {
        let mut client = GotempClient::connect(&running.url).await.unwrap();
        client.login(email, password).await.unwrap();
        let outcomes = every_protected_rpc(&client).await;
        let method = |rpc: &str| rpc.rsplit('.').next().unwrap().to_owned();
        let mut called: Vec<String> = outcomes.iter().map(|(n, _)| method(n)).collect();
        called.sort();
        assert_eq!(
            called, served,
            "every served RPC is called, and nothing else"
        );
        for (rpc, outcome) in outcomes {
            let code = outcome.err().map_or(Code::Ok, |s| s.code());
            if allowed(who, rpc) {
                assert!(
                    !matches!(code, Code::PermissionDenied | Code::Unauthenticated),
                    "{who:?} may call {rpc}: {code:?}"
                );
            } else {
                assert_eq!(code, Code::PermissionDenied, "{who:?} must not call {rpc}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 5 * 35, "only {checked} RPC × role cases");
    running.stop().await;
    store.finish().await;
}
