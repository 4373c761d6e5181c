//! Issue 13's acceptance, end to end: `inkan send` and `inkan outbox`
//! against a real FHIR server (helios-hfs on loopback), through a proxy
//! that loses answers and injects 4xx/5xx, and a server stopped mid-queue.
//! Letters are signed with the TEST PKI's doctor (a software key) and
//! verified by `inkan send` itself before they are queued.

use inkan_e2e::exclusive;
use inkan_e2e::fhir::{Fault, FaultProxy, FhirServer};
use inkan_e2e::sending::{identifier_of, s, SendEnv as Env};
use std::path::PathBuf;

#[test]
fn sending_a_letter_twice_gives_one_resource_and_two_receipts_that_name_it() {
    let _machine = exclusive();
    let env = Env::new("send-twice");
    let server = FhirServer::start(&env.dir.join("fhir"));
    let letter = env.signed_letter("letter.json", "SEND-TWICE-1", "hs038");
    let to = format!("fhir:{}", server.base());
    for round in 0..2 {
        let (code, out, err) = env.inkan(&[
            "send",
            &s(&letter),
            "--to",
            &to,
            "--trust",
            &env.trust(),
            "--json",
            "--lang",
            "en",
        ]);
        assert_eq!(code, 0, "round {round}: {out}{err}");
    }
    let items = env.items();
    assert_eq!(items.len(), 2, "{items:?}");
    let resources: Vec<&str> = items
        .iter()
        .map(|i| i["receipt"]["resource"].as_str().expect("resource"))
        .collect();
    assert_eq!(
        resources[0], resources[1],
        "both receipts name the same resource"
    );
    assert!(items
        .iter()
        .all(|i| i["state"] == "sent" && i["verdict"] == "TOTAL_PASSED (TEST)"));
    let outcomes: Vec<&str> = items
        .iter()
        .map(|i| i["receipt"]["outcome"].as_str().expect("outcome"))
        .collect();
    assert!(
        outcomes.contains(&"created") && outcomes.contains(&"existing"),
        "{outcomes:?}"
    );
    for i in &items {
        let r = &i["receipt"];
        assert!(
            r["location"]
                .as_str()
                .expect("location")
                .contains(resources[0]),
            "{r}"
        );
        assert!(
            r["version"].is_string()
                && r["server_time"].is_string()
                && r["response_sha256"].is_string(),
            "{r}"
        );
    }
    let found = server.search("Bundle", &identifier_of(&letter));
    assert_eq!(found.len(), 1, "one Bundle on the server");

    // What the server holds carries the exact signed bytes: the enveloped
    // signature verifies in Inkan and, its content taken out by openssl,
    // is the letter byte for byte.
    let data = found[0]["signature"]["data"]
        .as_str()
        .expect("Bundle.signature.data");
    use base64::Engine as _;
    let p7m = base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("base64");
    let p7m_path = env.dir.join("from-server.p7m");
    std::fs::write(&p7m_path, &p7m).expect("write");
    let (code, json, err) =
        env.inkan(&["verify", &s(&p7m_path), "--trust", &env.trust(), "--json"]);
    assert_eq!(code, 0, "{json}{err}");
    let content = env.dir.join("from-server.content");
    let o = std::process::Command::new("openssl")
        .args([
            "cms",
            "-verify",
            "-noverify",
            "-binary",
            "-inform",
            "DER",
            "-in",
        ])
        .arg(&p7m_path)
        .arg("-out")
        .arg(&content)
        .output()
        .expect("openssl");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(&content).expect("content"),
        std::fs::read(&letter).expect("letter")
    );

    // Each delivery is in the signing log.
    let (code, out, err) = env.inkan(&["audit", "export", "--json", "--dir", &s(&env.data)]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.matches("\"submitted\"").count(), 2, "{out}");
}

#[test]
fn with_every_first_response_dropped_20_documents_arrive_exactly_once() {
    let _machine = exclusive();
    let env = Env::new("send-drop");
    let server = FhirServer::start(&env.dir.join("fhir"));
    let proxy = FaultProxy::start(server.port, Fault::DropFirstResponse);
    let letters: Vec<PathBuf> = (0..20)
        .map(|i| env.signed_letter(&format!("l{i:02}.json"), &format!("DROP-{i:02}"), "hs038"))
        .collect();
    let mut args = vec!["send".to_owned()];
    args.extend(letters.iter().map(|l| s(l)));
    args.extend([
        "--to".into(),
        format!("fhir:{}", proxy.base()),
        "--trust".into(),
        env.trust(),
        "--no-deliver".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = env.inkan(&args);
    assert_eq!(code, 1, "queued, not yet delivered: {out}{err}");
    let (code, out, err) = env.inkan(&["outbox", "run", "--wait", "240", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let items = env.items();
    assert_eq!(items.len(), 20);
    for i in &items {
        assert_eq!(i["state"], "sent", "{i}");
        assert!(
            i["attempts"].as_i64().expect("attempts") >= 2,
            "every first answer was lost: {i}"
        );
    }
    for l in &letters {
        assert_eq!(
            server.search("Bundle", &identifier_of(l)).len(),
            1,
            "{}",
            l.display()
        );
    }
    assert_eq!(server.all("Bundle").len(), 20);
    assert!(
        proxy.faults.load(std::sync::atomic::Ordering::Relaxed) >= 40,
        "answers were really dropped"
    );
}

#[test]
fn mhd_puts_one_document_reference_list_and_binaries_and_a_replay_adds_none() {
    let _machine = exclusive();
    let env = Env::new("send-mhd");
    let server = FhirServer::start(&env.dir.join("fhir"));
    let letter = env.signed_letter("letter.xml", "MHD-1", "hs008");
    let proxy = FaultProxy::start(server.port, Fault::DropFirstResponse);
    let to = format!("fhir:{}?mode=mhd", proxy.base());
    let (code, out, err) = env.inkan(&["send", &s(&letter), "--to", &to, "--trust", &env.trust()]);
    assert_eq!(code, 1, "the first answer is lost: {out}{err}");
    let (code, out, err) = env.inkan(&["outbox", "run", "--wait", "60"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = env.inkan(&["send", &s(&letter), "--to", &to, "--trust", &env.trust()]);
    assert_eq!(code, 0, "a second submission: {out}{err}");

    let refs = server.all("DocumentReference");
    assert_eq!(refs.len(), 1, "{refs:?}");
    assert_eq!(server.all("List").len(), 1);
    assert_eq!(server.all("Patient").len(), 1);
    assert_eq!(
        server.all("Binary").len(),
        2,
        "the letter and its signature, once each"
    );
    let dr = &refs[0];
    assert_eq!(dr["type"]["coding"][0]["code"], "57133-1");
    assert_eq!(dr["status"], "current");
    assert!(dr["masterIdentifier"]["value"]
        .as_str()
        .expect("masterIdentifier")
        .starts_with("urn:oid:2.25."));
    assert!(dr["subject"]["reference"]
        .as_str()
        .expect("subject")
        .starts_with("Patient/"));
    let content = dr["content"].as_array().expect("content");
    assert_eq!(content.len(), 2);
    use base64::Engine as _;
    for (c, file) in content.iter().zip([letter.clone(), {
        let mut p = letter.as_os_str().to_owned();
        p.push(".p7s");
        PathBuf::from(p)
    }]) {
        let bytes = std::fs::read(&file).expect("file");
        let a = &c["attachment"];
        assert_eq!(a["size"].as_u64(), Some(bytes.len() as u64));
        // The Binary the attachment names holds exactly the file.
        let url = a["url"].as_str().expect("url");
        assert!(url.starts_with("Binary/"), "{url}");
        let bin = server.get_json(url);
        let data = base64::engine::general_purpose::STANDARD
            .decode(bin["data"].as_str().expect("Binary.data"))
            .expect("base64");
        assert_eq!(data, bytes, "{url}");
        let sha1 = base64::engine::general_purpose::STANDARD.encode(openssl_sha1(&bytes));
        assert_eq!(a["hash"].as_str(), Some(sha1.as_str()));
    }
}

/// SHA-1 by openssl (the harness has no SHA-1 crate of its own).
fn openssl_sha1(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut child = std::process::Command::new("openssl")
        .args(["dgst", "-sha1", "-binary"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("write");
    child.wait_with_output().expect("sha1").stdout
}

#[test]
fn a_server_stopped_mid_queue_gets_every_document_once_after_it_restarts() {
    let _machine = exclusive();
    let env = Env::new("send-restart");
    let mut server = FhirServer::start(&env.dir.join("fhir"));
    let letters: Vec<PathBuf> = (0..5)
        .map(|i| env.signed_letter(&format!("r{i}.json"), &format!("RESTART-{i}"), "hs038"))
        .collect();
    let to = format!("fhir:{}", server.base());
    // The first goes while the server is up, then it stops.
    let (code, out, err) = env.inkan(&[
        "send",
        &s(&letters[0]),
        "--to",
        &to,
        "--trust",
        &env.trust(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    server.stop();
    let mut args = vec!["send".to_owned()];
    args.extend(letters[1..].iter().map(|l| s(l)));
    args.extend([
        "--to".into(),
        to.clone(),
        "--trust".into(),
        env.trust(),
        "--lang".into(),
        "ja".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = env.inkan(&args);
    assert_eq!(code, 1, "waiting to retry: {out}{err}");
    assert!(
        out.contains("再試行待ち") && out.contains("接続できません"),
        "{out}"
    );
    let waiting: Vec<_> = env
        .items()
        .into_iter()
        .filter(|i| i["state"] == "retry_wait")
        .collect();
    assert_eq!(waiting.len(), 4);
    assert!(waiting
        .iter()
        .all(|i| i["last_error"]["code"] == "outbox.network" && i["next_utc"].is_string()));
    server.restart();
    let (code, out, err) = env.inkan(&["outbox", "run", "--wait", "60"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(env.items().iter().all(|i| i["state"] == "sent"));
    for l in &letters {
        assert_eq!(server.search("Bundle", &identifier_of(l)).len(), 1);
    }
}

#[test]
fn a_4xx_fails_for_good_with_the_servers_words_and_a_5xx_is_retried_to_success() {
    let _machine = exclusive();
    let env = Env::new("send-status");
    let server = FhirServer::start(&env.dir.join("fhir"));
    let letter = env.signed_letter("a.json", "STATUS-A", "hs038");

    let refusing = FaultProxy::start(server.port, Fault::AlwaysStatus(422));
    let (code, out, err) = env.inkan(&[
        "send",
        &s(&letter),
        "--to",
        &format!("fhir:{}", refusing.base()),
        "--trust",
        &env.trust(),
        "--lang",
        "en",
    ]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        out.contains("failed") && out.contains("injected fault 422") && out.contains("HTTP 422"),
        "{out}"
    );
    let item = &env.items()[0];
    assert_eq!(item["state"], "failed");
    assert_eq!(item["attempts"], 1, "a 4xx is not retried");
    assert!(
        item["last_error"]["ja"]
            .as_str()
            .expect("ja")
            .contains("受け付けませんでした"),
        "{item}"
    );
    let id = item["id"].as_i64().expect("id").to_string();
    let (code, _, _) = env.inkan(&["outbox", "retry", &id]);
    assert_eq!(code, 3, "retried on request, refused again");
    assert_eq!(env.items()[0]["attempts"], 2);

    // A wrong base URL on the real server: 404, also for good.
    let (code, out, _) = env.inkan(&[
        "send",
        &s(&letter),
        "--to",
        &format!("fhir:{}/no-such-base", server.base()),
        "--trust",
        &env.trust(),
        "--lang",
        "en",
    ]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("HTTP 404"), "{out}");

    // 503 with Retry-After, then the real answer.
    let busy = FaultProxy::start(server.port, Fault::FirstStatus(503));
    let b = env.signed_letter("b.json", "STATUS-B", "hs038");
    let (code, out, err) = env.inkan(&[
        "send",
        &s(&b),
        "--to",
        &format!("fhir:{}", busy.base()),
        "--trust",
        &env.trust(),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    let (code, out, err) = env.inkan(&["outbox", "run", "--wait", "60"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(server.search("Bundle", &identifier_of(&b)).len(), 1);
    assert!(
        server.search("Bundle", &identifier_of(&letter)).is_empty(),
        "nothing of the refused letter arrived"
    );
}

#[test]
fn a_document_that_does_not_verify_is_never_queued() {
    let _machine = exclusive();
    let env = Env::new("send-invalid");
    let letter = env.signed_letter("bad.json", "BAD-1", "hs038");
    let mut bytes = std::fs::read(&letter).expect("letter");
    let i = bytes.len() / 2;
    bytes[i] ^= 0x01;
    std::fs::write(&letter, bytes).expect("tamper");
    let (code, _, err) = env.inkan(&[
        "send",
        &s(&letter),
        "--to",
        "folder:/nonexistent-inkan-drop",
        "--trust",
        &env.trust(),
        "--lang",
        "en",
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("submit.not_valid") && err.contains("not sent"),
        "{err}"
    );
    assert!(env.items().is_empty());
    // An unsigned file neither.
    let plain = env.dir.join("plain.json");
    std::fs::write(&plain, b"{}").expect("write");
    let (code, _, err) = env.inkan(&[
        "send",
        &s(&plain),
        "--to",
        "folder:/x",
        "--trust",
        &env.trust(),
    ]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("workflow.no_signature"), "{err}");
    assert!(env.items().is_empty());
}
