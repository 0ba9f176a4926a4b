//! The audit trail as evidence over HTTP: the chain verifies, checkpoints are signed and served
//! with their key, and bad parameters are named.

use crate::support::*;
use gotemp::domain::audit_chain::{Checkpoint, CheckpointKey, Verifier};

#[tokio::test]
async fn the_chain_verifies_and_its_checkpoints_are_signed() {
    let test = "the_chain_verifies_and_its_checkpoints_are_signed";
    let Some((store, app, api)) = fixture(test).await else {
        return;
    };
    let relay = app.start_audit_pipeline();
    for id in ["chained-1", "chained-2", "chained-3"] {
        let created = api
            .post("/v1/customers", json!({"name": "Chained", "id": id}))
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
    }
    app.wait_for_audit(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;

    let report = api.get("/v1/audit/verify").await;
    assert_eq!(report.status, 200, "{}", report.text);
    let report = report.json();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["broken"], Value::Null);
    let head = report["head_seq"].as_i64().unwrap();
    assert!(head >= 3, "{report}");
    assert_eq!(report["verified_from_seq"], 1);
    assert_eq!(report["verified_to_seq"], head);
    let record = api.get("/v1/audit?object_id=chained-3").await.json();
    let record = &record["items"][0];
    assert_eq!(record["hash"].as_str().unwrap().len(), 64, "{record}");
    assert!(record["seq"].as_i64().unwrap() >= 3);

    // Resumable in bounded steps.
    let step = api.get("/v1/audit/verify?from_seq=2&limit=1").await.json();
    assert_eq!(
        (step["ok"].clone(), step["verified_to_seq"].clone()),
        (json!(true), json!(2))
    );
    assert_eq!(step["next_from_seq"], 3);
    for (query, field) in [
        ("from_seq=0", "from_seq"),
        ("limit=0", "limit"),
        ("limit=100001", "limit"),
        ("limit=many", "limit"),
    ] {
        api.get(&format!("/v1/audit/verify?{query}"))
            .await
            .invalid(&[field]);
    }

    // No checkpoint before the audit process signs one.
    api.get("/v1/audit/checkpoints").await.problem(404);
    let key = CheckpointKey::generate();
    let audit = app.repositories().audit.clone();
    audit.register_key(&key.verifier()).await.unwrap();
    let signer = gotemp::events::Checkpointer::new(audit, key.clone(), Default::default());
    assert_eq!(signer.run_once().await.unwrap(), 1);

    let latest = api.get("/v1/audit/checkpoints").await.json();
    assert_eq!(latest["size"], head, "{latest}");
    let note = latest["note"].as_str().unwrap();
    assert!(note.starts_with("gotemp-audit/default\n"), "{note}");
    let opened = Checkpoint::open(note, &key.verifier()).expect("signed by the key");
    assert_eq!(opened.size, head);
    let by_size = api
        .get(&format!("/v1/audit/checkpoints?size={head}"))
        .await
        .json();
    assert_eq!(by_size["note"], latest["note"]);
    api.get(&format!("/v1/audit/checkpoints?size={}", head + 1))
        .await
        .problem(404);
    api.get("/v1/audit/checkpoints?size=0")
        .await
        .invalid(&["size"]);

    let keys = api.get("/v1/audit/checkpoints/key").await.json();
    let served = keys["current"]["verifier"].as_str().unwrap();
    assert_eq!(Verifier::parse(served).unwrap(), key.verifier());
    assert_eq!(keys["keys"].as_array().unwrap().len(), 1);

    let again = api.get("/v1/audit/verify").await.json();
    assert_eq!(again["ok"], true, "{again}");
    assert_eq!(again["checkpoints_verified"], 1, "{again}");
    assert_no_secrets(&latest.to_string());
    assert!(
        !keys.to_string().contains(&key.seed_text()),
        "the private key never leaves"
    );

    relay.shutdown().await;
    api.stop().await;
    store.finish().await;
}
