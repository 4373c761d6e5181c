//! Submission to shared folders, end to end without a network: letters
//! signed by the TEST PKI's doctor, queued through the verifier, delivered
//! as plain files, an IHE XDM zip (its METADATA.XML checked against the
//! attribute table of IHE ITI TF-3) or the SS-MIX2 拡張ストレージ layout.

mod common;
use common::{fixture, temp_dir};
use inkan_cades::SoftwareSigner;
use inkan_outbox::backoff::Backoff;
use inkan_outbox::{Outbox, RunOptions, State};
use inkan_referral::ReferralLetter;
use inkan_trust::TrustStore;
use inkan_workflow::submit::{deliver_due, queue_files};
use inkan_workflow::{sign_letter_with, LetterFormat, LetterJob, VerifyConfig};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn config(crls: bool) -> VerifyConfig {
    let f = fixture();
    VerifyConfig {
        tsa_trust: Vec::new(),
        trust: TrustStore::test_from_dir(&f.trust_dir).expect("test trust"),
        crl_cache: crls.then(|| f.crl_cache.clone()),
        offline: true,
    }
}

/// A signed letter (document number `number`) in `out`.
fn signed(out: &Path, number: &str, format: LetterFormat, attachments: Vec<PathBuf>) -> PathBuf {
    signed_by("doctor", out, number, format, attachments)
}

fn signed_by(
    who: &str,
    out: &Path,
    number: &str,
    format: LetterFormat,
    attachments: Vec<PathBuf>,
) -> PathBuf {
    let pki = &fixture().pki;
    let id = pki.identity(who).expect("identity");
    let mut signer = SoftwareSigner::new(id.cert_der.clone(), id.key.clone());
    let mut letter = ReferralLetter::example();
    if attachments.is_empty() {
        letter.attachments.clear();
    }
    letter.document_number = number.into();
    let job = LetterJob {
        letter,
        format,
        attachments,
        out_dir: out.to_path_buf(),
    };
    sign_letter_with(
        &job,
        &mut signer,
        &[pki.ca(id.issuer).cert_der.clone()],
        None,
    )
    .expect("signed")
    .letter_path
}

fn quick() -> RunOptions {
    RunOptions {
        backoff: Backoff {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(100),
        },
        wait: None,
    }
}

struct Case {
    data: PathBuf,
    drop: PathBuf,
    letters: PathBuf,
}

fn case(tag: &str) -> Case {
    let root = temp_dir(tag);
    let c = Case {
        data: root.join("data"),
        drop: root.join("drop"),
        letters: root.join("letters"),
    };
    for d in [&c.drop, &c.letters] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    c
}

fn send(c: &Case, letter: &Path, to: &str) -> i64 {
    let q = queue_files(
        &[letter.to_path_buf()],
        to,
        false,
        &config(true),
        &c.data,
        None,
    )
    .expect("queue");
    assert!(q[0].error.is_none(), "{:?}", q[0].error);
    assert_eq!(q[0].verdict.as_deref(), Some("TOTAL_PASSED (TEST)"));
    q[0].item.as_ref().expect("item").id
}

fn zip_entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("zip");
    (0..z.len())
        .map(|i| {
            let mut e = z.by_index(i).expect("entry");
            let mut b = Vec::new();
            e.read_to_end(&mut b).expect("read");
            (e.name().expect("name").into_owned(), b)
        })
        .collect()
}

/// One element of METADATA.XML, flattened: its name, attributes, and the
/// path of its ancestors.
#[derive(Debug, Clone)]
struct El {
    name: String,
    attrs: Vec<(String, String)>,
    parents: Vec<usize>,
    text: String,
}

fn parse_xml(xml: &str) -> Vec<El> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(xml);
    r.config_mut().check_end_names = true;
    let mut out: Vec<El> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let local = |n: &str| n.rsplit(':').next().unwrap_or(n).to_owned();
    loop {
        let ev = r.read_event().expect("well-formed XML");
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = local(e.name().as_ref());
                let attrs = e
                    .attributes()
                    .map(|a| {
                        let a = a.expect("attribute");
                        let v = a
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .expect("value")
                            .into_owned();
                        (local(a.key.as_ref()), v)
                    })
                    .collect();
                out.push(El {
                    name,
                    attrs,
                    parents: stack.clone(),
                    text: String::new(),
                });
                if matches!(ev, Event::Start(_)) {
                    stack.push(out.len() - 1);
                }
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Text(t) => {
                if let Some(&i) = stack.last() {
                    out[i].text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(g) => {
                let c = match g.as_ref() {
                    "lt" => '<',
                    "gt" => '>',
                    "amp" => '&',
                    "apos" => '\'',
                    "quot" => '"',
                    other => panic!("entity {other}"),
                };
                if let Some(&i) = stack.last() {
                    out[i].text.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    out
}

impl El {
    fn attr(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }
}

/// The children of element `i` named `name`.
fn children<'a>(els: &'a [El], i: usize, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
    els.iter()
        .filter(move |e| e.parents.last() == Some(&i) && e.name == name)
}

/// The values of slot `slot` on element `i`.
fn slot(els: &[El], i: usize, slot_name: &str) -> Vec<String> {
    let Some(s) = els.iter().position(|e| {
        e.parents.last() == Some(&i) && e.name == "Slot" && e.attr("name") == Some(slot_name)
    }) else {
        return Vec::new();
    };
    els.iter()
        .filter(|e| e.name == "Value" && e.parents.contains(&s))
        .map(|e| e.text.clone())
        .collect()
}

/// IHE ITI TF-3 Table 4.3.1-3, the XDS (ITI-41) column, plus what XDM
/// (ITI-32) adds (hash, size, URI): (attribute, how it is carried).
const DOCUMENT_ENTRY_REQUIRED: &[(&str, &str)] = &[
    (
        "classCode",
        "classification urn:uuid:41a5887f-8865-4c09-adf7-e362475b143a",
    ),
    (
        "confidentialityCode",
        "classification urn:uuid:f4f85eac-e6cb-4883-b524-f2705394840f",
    ),
    (
        "formatCode",
        "classification urn:uuid:a09d5840-386c-46f2-b5ad-9c3699a4309d",
    ),
    (
        "healthcareFacilityTypeCode",
        "classification urn:uuid:f33fb8ac-18af-42cc-ae0e-ed0b0bdb91e1",
    ),
    (
        "practiceSettingCode",
        "classification urn:uuid:cccf5598-8b07-4b77-a05e-ae952c785ead",
    ),
    (
        "typeCode",
        "classification urn:uuid:f0306f51-975f-434e-a61c-c59651d33983",
    ),
    (
        "author",
        "classification urn:uuid:93606bcf-9494-43ec-9b4e-a7748d1a838d",
    ),
    (
        "patientId",
        "external urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427",
    ),
    (
        "uniqueId",
        "external urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab",
    ),
    ("creationTime", "slot creationTime"),
    ("languageCode", "slot languageCode"),
    ("sourcePatientId", "slot sourcePatientId"),
    ("sourcePatientInfo", "slot sourcePatientInfo"),
    ("hash", "slot hash"),
    ("size", "slot size"),
    ("URI", "slot URI"),
    ("mimeType", "attribute mimeType"),
    ("objectType", "attribute objectType"),
    ("entryUUID", "attribute id"),
    ("title", "name"),
];

const SUBMISSION_SET_REQUIRED: &[(&str, &str)] = &[
    (
        "author",
        "classification urn:uuid:a7058bb9-b4e4-4307-ba5b-e3f0ab85e12d",
    ),
    (
        "contentTypeCode",
        "classification urn:uuid:aa543740-bdda-424e-8c96-df4873be8500",
    ),
    (
        "patientId",
        "external urn:uuid:6b5aea1a-874d-4603-a4bc-96a0a7b38446",
    ),
    (
        "sourceId",
        "external urn:uuid:554ac39e-e3fe-47fe-b233-965d2a147832",
    ),
    (
        "uniqueId",
        "external urn:uuid:96fdda7c-d067-4183-912e-bf5ee74998a8",
    ),
    ("submissionTime", "slot submissionTime"),
    ("intendedRecipient", "slot intendedRecipient"),
    ("entryUUID", "attribute id"),
];

/// Checks `rule` on element `i`; returns a description of what is wrong.
fn holds(els: &[El], i: usize, rule: &str) -> Result<(), String> {
    let (kind, arg) = rule.split_once(' ').unwrap_or((rule, ""));
    match kind {
        "classification" => {
            let c = children(els, i, "Classification")
                .find(|c| c.attr("classificationScheme") == Some(arg))
                .ok_or("missing")?;
            let ci = els.iter().position(|e| std::ptr::eq(e, c)).ok_or("?")?;
            let is_author = arg.ends_with("a7748d1a838d") || arg.ends_with("e3f0ab85e12d");
            if is_author {
                if slot(els, ci, "authorPerson").is_empty()
                    || slot(els, ci, "authorInstitution").is_empty()
                {
                    return Err("author without authorPerson/authorInstitution".into());
                }
            } else {
                if c.attr("nodeRepresentation").is_none_or(str::is_empty) {
                    return Err("empty code".into());
                }
                if slot(els, ci, "codingScheme").len() != 1 {
                    return Err("no codingScheme".into());
                }
                if children(els, ci, "Name").next().is_none() {
                    return Err("no display name".into());
                }
            }
            if c.attr("classifiedObject") != els[i].attr("id") {
                return Err("classifies another object".into());
            }
            Ok(())
        }
        "external" => {
            let x = children(els, i, "ExternalIdentifier")
                .find(|c| c.attr("identificationScheme") == Some(arg))
                .ok_or("missing")?;
            if x.attr("value").is_none_or(str::is_empty)
                || x.attr("registryObject") != els[i].attr("id")
            {
                return Err("empty value or wrong registryObject".into());
            }
            Ok(())
        }
        "slot" => {
            let v = slot(els, i, arg);
            if v.is_empty() || v.iter().any(|s| s.trim().is_empty()) {
                return Err("missing or empty".into());
            }
            Ok(())
        }
        "attribute" => match els[i].attr(arg) {
            Some(v) if !v.is_empty() => Ok(()),
            _ => Err("missing".into()),
        },
        "name" => children(els, i, "Name")
            .next()
            .map(|_| ())
            .ok_or_else(|| "missing".into()),
        _ => Err(format!("unknown rule {rule}")),
    }
}

fn sha1_hex(bytes: &[u8]) -> String {
    let mut child = std::process::Command::new("openssl")
        .args(["dgst", "-sha1", "-r"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("write");
    let out = child.wait_with_output().expect("openssl dgst");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn xdm_metadata_carries_every_attribute_iti_tf3_requires() {
    let c = case("xdm");
    let letter = signed(&c.letters, "XDM-1", LetterFormat::Hs008, vec![]);
    let id = send(
        &c,
        &letter,
        &format!("folder:{}?layout=xdm", c.drop.display()),
    );
    let s = deliver_due(&c.data, None, &quick()).expect("run");
    assert_eq!(s.sent, vec![id]);
    let zips: Vec<PathBuf> = std::fs::read_dir(&c.drop)
        .expect("ls")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(zips.len(), 1, "{zips:?}");
    assert!(zips[0].extension().is_some_and(|e| e == "zip"));
    let entries = zip_entries(&std::fs::read(&zips[0]).expect("zip"));
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    for required in ["INDEX.HTM", "README.TXT", "IHE_XDM/SUBSET01/METADATA.XML"] {
        assert!(names.contains(&required), "{names:?}");
    }
    let file = |n: &str| entries.iter().find(|(m, _)| m == n).map(|(_, b)| b.clone());
    let xml =
        String::from_utf8(file("IHE_XDM/SUBSET01/METADATA.XML").expect("metadata")).expect("utf-8");
    let els = parse_xml(&xml);
    assert_eq!(els[0].name, "SubmitObjectsRequest");
    let entries_idx: Vec<usize> = (0..els.len())
        .filter(|&i| els[i].name == "ExtrinsicObject")
        .collect();
    assert_eq!(entries_idx.len(), 2, "the letter and its signature");
    for &i in &entries_idx {
        for (attr, rule) in DOCUMENT_ENTRY_REQUIRED {
            if let Err(why) = holds(&els, i, rule) {
                panic!(
                    "DocumentEntry {}: {attr} ({rule}): {why}",
                    els[i].attr("id").unwrap_or("?")
                );
            }
        }
        assert_eq!(
            els[i].attr("objectType"),
            Some("urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1")
        );
        assert!(els[i]
            .attr("id")
            .is_some_and(|v| v.starts_with("urn:uuid:")));
        // hash, size and URI describe the file in the subset.
        let uri = &slot(&els, i, "URI")[0];
        let bytes =
            file(&format!("IHE_XDM/SUBSET01/{uri}")).expect("the URI names a file of the subset");
        assert_eq!(slot(&els, i, "size")[0], bytes.len().to_string());
        assert_eq!(slot(&els, i, "hash")[0], sha1_hex(&bytes));
        assert_eq!(slot(&els, i, "languageCode")[0], "ja-JP");
        assert!(slot(&els, i, "sourcePatientId")[0].contains("^^^&1.2.392.100495.20.3.51.1"));
        let unique = children(&els, i, "ExternalIdentifier")
            .find(|x| {
                x.attr("identificationScheme")
                    == Some("urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab")
            })
            .and_then(|x| x.attr("value"))
            .expect("uniqueId");
        assert!(
            unique.starts_with("2.25.") && unique[5..].chars().all(|c| c.is_ascii_digit()),
            "{unique}"
        );
    }
    // The letter itself is exactly what was signed.
    assert_eq!(
        file("IHE_XDM/SUBSET01/DOC0001.XML").expect("doc"),
        std::fs::read(&letter).expect("letter")
    );
    let ss: Vec<usize> = (0..els.len())
        .filter(|&i| els[i].name == "RegistryPackage")
        .collect();
    assert_eq!(ss.len(), 1);
    for (attr, rule) in SUBMISSION_SET_REQUIRED {
        if let Err(why) = holds(&els, ss[0], rule) {
            panic!("SubmissionSet: {attr} ({rule}): {why}");
        }
    }
    let ss_id = els[ss[0]].attr("id").expect("id");
    assert!(
        els.iter().any(|e| e.name == "Classification"
            && e.attr("classifiedObject") == Some(ss_id)
            && e.attr("classificationNode")
                == Some("urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd")),
        "the package is classified as a SubmissionSet"
    );
    for &i in &entries_idx {
        let target = els[i].attr("id");
        let a = (0..els.len())
            .find(|&k| {
                els[k].name == "Association"
                    && els[k].attr("targetObject") == target
                    && els[k].attr("sourceObject") == Some(ss_id)
            })
            .expect("a HasMember association per entry");
        assert_eq!(
            els[a].attr("associationType"),
            Some("urn:oasis:names:tc:ebxml-regrep:AssociationType:HasMember")
        );
        assert_eq!(
            slot(&els, a, "SubmissionSetStatus"),
            vec!["Original".to_owned()]
        );
    }
    // Every id is unique.
    let mut ids: Vec<&str> = els.iter().filter_map(|e| e.attr("id")).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "ids repeat");
}

#[test]
fn ssmix2_layout_matches_the_documented_path_pattern() {
    let c = case("ssmix2");
    let letter = signed(&c.letters, "SSMIX-1", LetterFormat::Hs038, vec![]);
    let letter_model = inkan_referral::read(&std::fs::read(&letter).expect("read"))
        .expect("letter")
        .letter;
    let pid = letter_model.patient.id.clone();
    let date: String = letter_model
        .created
        .chars()
        .take(10)
        .filter(char::is_ascii_digit)
        .collect();
    send(
        &c,
        &letter,
        &format!("folder:{}?layout=ssmix2", c.drop.display()),
    );
    let s = deliver_due(&c.data, None, &quick()).expect("run");
    assert_eq!(s.sent.len(), 1);
    // <root>/<ID 1-3>/<ID 4-6>/<ID>/<診療日>/<データ種別>/<コンテンツフォルダ>/<files>
    let padded = format!("{pid:0>6}");
    let data_type = "^診療情報提供書^^57133-1^紹介状^LN";
    let day = c
        .drop
        .join(&padded[..3])
        .join(&padded[3..6])
        .join(&pid)
        .join(&date)
        .join(data_type);
    let content: Vec<PathBuf> = std::fs::read_dir(&day)
        .unwrap_or_else(|e| panic!("{}: {e}", day.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(content.len(), 1, "{content:?}");
    let folder = content[0]
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    // <患者ID>_<診療日>_<データ種別>_<特定キー>_<発生日時>_<診療科コード>_<コンディションフラグ>
    let rest = folder
        .strip_prefix(&format!("{pid}_{date}_{data_type}_"))
        .unwrap_or_else(|| panic!("{folder}"));
    let parts: Vec<&str> = rest.rsplitn(4, '_').collect();
    assert_eq!(parts.len(), 4, "{folder}");
    let (flag, dept, occurred, key) = (parts[0], parts[1], parts[2], parts[3]);
    assert_eq!(flag, "1", "condition flag: valid");
    assert_eq!(dept, "-");
    assert!(
        occurred.len() == 17 && occurred.chars().all(|c| c.is_ascii_digit()),
        "{occurred}"
    );
    assert!(
        !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'),
        "{key}"
    );
    let mut files: Vec<String> = std::fs::read_dir(&content[0])
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let name = letter
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert_eq!(
        files,
        vec![name.clone(), format!("{name}.p7s")],
        "the letter and its signature, no .p7m"
    );
    assert_eq!(
        std::fs::read(content[0].join(&name)).expect("letter"),
        std::fs::read(&letter).expect("orig")
    );
}

#[test]
fn plain_folder_holds_the_files_and_a_manifest_and_a_second_submission_is_no_duplicate() {
    let c = case("plain");
    let src = c.letters.join("attachments");
    std::fs::create_dir_all(&src).expect("mkdir");
    let a = src.join("lab-results-2025-03-10.pdf");
    let b = src.join("fundus-2024-12.jpg");
    std::fs::write(&a, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").expect("pdf");
    std::fs::write(
        &b,
        [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 0xFF, 0xD9,
        ],
    )
    .expect("jpeg");
    let package = signed(&c.letters, "PLAIN-1", LetterFormat::Hs038, vec![a, b]);
    let to = format!("folder:{}", c.drop.display());
    let first = send(&c, &package, &to);
    let second = send(&c, &package, &to);
    let s = deliver_due(&c.data, None, &quick()).expect("run");
    assert_eq!(s.sent, vec![first, second]);
    let outbox = Outbox::open_in(&c.data).expect("outbox");
    let r1 = outbox.get(first).expect("first").receipt.expect("receipt");
    let r2 = outbox
        .get(second)
        .expect("second")
        .receipt
        .expect("receipt");
    assert_eq!(
        (r1.outcome.as_str(), r2.outcome.as_str()),
        ("created", "existing")
    );
    assert_eq!(r1.path, r2.path);
    let folders: Vec<PathBuf> = std::fs::read_dir(&c.drop)
        .expect("ls")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(folders.len(), 1, "{folders:?}");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folders[0].join("manifest.json")).expect("manifest"))
            .expect("json");
    let pkg_name = package
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    assert_eq!(manifest["files"][0]["name"], pkg_name.as_str());
    assert_eq!(manifest["files"][0]["role"], "package");
    let bytes = std::fs::read(folders[0].join(&pkg_name)).expect("package");
    assert_eq!(bytes, std::fs::read(&package).expect("orig"));
    assert_eq!(manifest["verdict"], "TOTAL_PASSED (TEST)");
    assert_eq!(manifest["document_type"]["code"], "57133-1");
    assert!(manifest["identifier"]["value"]
        .as_str()
        .expect("id")
        .contains("PLAIN-1"));
}

#[test]
fn the_receivers_result_file_is_the_receipt_when_one_is_awaited() {
    let c = case("result");
    let ok = signed(&c.letters, "RESULT-OK", LetterFormat::Hs008, vec![]);
    let ng = signed(&c.letters, "RESULT-NG", LetterFormat::Hs038, vec![]);
    let to = format!("folder:{}?layout=xdm&result=1", c.drop.display());
    let a = send(&c, &ok, &to);
    let b = send(&c, &ng, &to);
    let s = deliver_due(&c.data, None, &quick()).expect("run");
    assert_eq!(s.retry, vec![a, b], "placed, waiting for the receiver");
    let outbox = Outbox::open_in(&c.data).expect("outbox");
    let waiting = outbox.get(a).expect("a");
    assert_eq!(waiting.state, State::RetryWait);
    assert_eq!(
        waiting.last_error.as_ref().expect("why").code,
        "outbox.awaiting_result"
    );
    let zips: Vec<PathBuf> = {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&c.drop)
            .expect("ls")
            .flatten()
            .map(|e| e.path())
            .collect();
        v.sort();
        v
    };
    assert_eq!(zips.len(), 2);
    let zip_of = |n: &str| {
        zips.iter()
            .find(|p| p.to_string_lossy().contains(n))
            .expect("zip")
            .clone()
    };
    let result_of = |z: &Path| PathBuf::from(format!("{}.result", z.display()));
    std::fs::write(result_of(&zip_of("RESULT-OK")), "OK 受領しました\n").expect("result");
    std::fs::write(
        result_of(&zip_of("RESULT-NG")),
        "{\"status\":\"error\",\"message\":\"患者IDが一致しません\"}",
    )
    .expect("result");
    std::thread::sleep(Duration::from_millis(1100));
    let s = deliver_due(&c.data, None, &quick()).expect("run");
    assert_eq!((s.sent.clone(), s.failed.clone()), (vec![a], vec![b]));
    let sent = outbox.get(a).expect("a");
    let receipt = sent.receipt.expect("receipt");
    assert!(receipt
        .result_file
        .expect("result file")
        .ends_with(".zip.result"));
    assert_eq!(receipt.response_sha256.expect("hash").len(), 64);
    let failed = outbox.get(b).expect("b");
    let why = failed.last_error.expect("why");
    assert_eq!(why.code, "outbox.refused");
    assert!(why.ja.contains("患者IDが一致しません"), "{}", why.ja);
    // Not rewritten while waiting: one zip each.
    assert_eq!(
        std::fs::read_dir(&c.drop)
            .expect("ls")
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "zip"))
            .count(),
        2
    );
}

#[test]
fn an_indeterminate_signature_is_queued_only_by_explicit_choice() {
    let c = case("indeterminate");
    let letter = signed(&c.letters, "INDET-1", LetterFormat::Hs008, vec![]);
    let to = format!("folder:{}", c.drop.display());
    // No CRLs and offline: revocation cannot be decided.
    let q = queue_files(
        std::slice::from_ref(&letter),
        &to,
        false,
        &config(false),
        &c.data,
        None,
    )
    .expect("queue");
    let e = q[0].error.as_ref().expect("refused");
    assert_eq!(e.code, "submit.indeterminate");
    assert!(e.ja.contains("判定不能"), "{}", e.ja);
    assert!(Outbox::open_in(&c.data)
        .expect("outbox")
        .list()
        .expect("list")
        .is_empty());
    let q = queue_files(&[letter], &to, true, &config(false), &c.data, None).expect("queue");
    assert_eq!(q[0].verdict.as_deref(), Some("INDETERMINATE (TEST)"));
    let item = q[0].item.as_ref().expect("queued");
    assert_eq!(
        item.verdict, "INDETERMINATE (TEST)",
        "the item records its verdict"
    );
}

#[test]
fn what_is_sent_is_what_was_verified_even_if_the_file_changes_afterwards() {
    let c = case("frozen");
    let letter = signed(&c.letters, "FROZEN-1", LetterFormat::Hs008, vec![]);
    let original = std::fs::read(&letter).expect("letter");
    send(&c, &letter, &format!("folder:{}", c.drop.display()));
    std::fs::write(&letter, b"<changed/>").expect("change");
    deliver_due(&c.data, None, &quick()).expect("run");
    let folder = std::fs::read_dir(&c.drop)
        .expect("ls")
        .flatten()
        .next()
        .expect("delivered")
        .path();
    let name = letter.file_name().expect("name");
    assert_eq!(std::fs::read(folder.join(name)).expect("sent"), original);
}

#[test]
fn a_revoked_signer_is_not_queued_even_when_indeterminate_is_allowed() {
    let c = case("revoked");
    let letter = signed_by(
        "revoked",
        &c.letters,
        "REVOKED-1",
        LetterFormat::Hs008,
        vec![],
    );
    let to = format!("folder:{}", c.drop.display());
    let q = queue_files(
        std::slice::from_ref(&letter),
        &to,
        true,
        &config(true),
        &c.data,
        None,
    )
    .expect("queue");
    let e = q[0].error.as_ref().expect("refused");
    assert!(e.code.starts_with("submit."), "{}", e.code);
    assert!(q[0].item.is_none());
    assert!(Outbox::open_in(&c.data)
        .expect("outbox")
        .list()
        .expect("list")
        .is_empty());
}
