//! Received packages attacked through their zip structure, checked by the
//! verifier (`Package::inspect_file`, entry by entry):
//! - a name listed twice in the central directory, a local entry the
//!   directory does not list, or a local header naming the file otherwise
//!   (what `unzip` or another reader would show or extract) is refused, never
//!   有効;
//! - reading entry by entry judges like reading the package whole (letter
//!   names in any case, `.json` attachments, tiny attachments, lying sizes
//!   and CRCs);
//! - a package of many `.json` entries stays small in memory (the letter is
//!   kept by its role in the manifest, everything else is only hashed);
//! - a FIFO or /dev/zero named `.zip` does not hang the verifier.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use inkan_cades::{SignOptions, SoftwareSigner};
use inkan_l10n::Localized;
use inkan_referral::package::{
    Attachment, OpenedPackage, Package, PackageError, MANIFEST_NAME, SIGNATURE_NAME,
};
use inkan_referral::ReferralLetter;
use inkan_testpki::{PkiConfig, TestPki};
use inkan_trust::TrustStore;
use inkan_validation::Indication;
use inkan_workflow::{verify_path, VerifyConfig, VerifyItem};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

// ---------------------------------------------------------------------------
// Fixture.

struct Fixture {
    pki: Arc<TestPki>,
    trust_dir: PathBuf,
    crl_cache: PathBuf,
}

fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let d = std::env::temp_dir().join(format!(
        "inkan-attack-pkg-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let pki = inkan_testpki::cached(&PkiConfig::default());
        let trust_dir = temp_dir("pki");
        pki.write_to(&trust_dir).unwrap();
        let crl_cache = temp_dir("crl");
        for crl in &pki.crls {
            let url = format!("{}{}", pki.crl_base_url, crl.name);
            std::fs::write(inkan_trust::crl::cache_path(&crl_cache, &url), &crl.der).unwrap();
        }
        Fixture {
            pki,
            trust_dir,
            crl_cache,
        }
    })
}

fn config() -> VerifyConfig {
    let f = fixture();
    VerifyConfig {
        tsa_trust: Vec::new(),
        trust: TrustStore::test_from_dir(&f.trust_dir).unwrap(),
        crl_cache: Some(f.crl_cache.clone()),
        offline: true,
    }
}

fn sign_manifest(manifest: &[u8]) -> Vec<u8> {
    let pki = &fixture().pki;
    let id = pki.identity("doctor").unwrap();
    let mut signer = SoftwareSigner::new(id.cert_der.clone(), id.key.clone());
    let opts = SignOptions {
        attached: false,
        signing_time: SystemTime::now(),
        extra_certificates: vec![pki.ca(id.issuer).cert_der.clone()],
    };
    inkan_cades::sign(manifest, &mut signer, &opts).unwrap()
}

const PDF_NAME: &str = "lab-results-2025-03-10.pdf";
const JPG_NAME: &str = "fundus-2024-12.jpg";

fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec()
}

fn jpeg() -> Vec<u8> {
    vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0, 0xFF, 0xD9,
    ]
}

fn evil_jpeg() -> Vec<u8> {
    vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'E', b'V', b'I', b'L', 0, 0xFF, 0xD9,
    ]
}

/// A signed package made like the app makes it (Package::create, open,
/// CAdES over the manifest, with_signature), the letter named `letter_name`.
fn signed_package_named(letter_name: &str, pdf: Vec<u8>, jpeg: Vec<u8>) -> Vec<u8> {
    let letter = inkan_referral::hs038::write(&ReferralLetter::example()).unwrap();
    let unsigned = Package::create(
        letter_name,
        &letter,
        &[
            Attachment {
                name: PDF_NAME.into(),
                bytes: pdf,
            },
            Attachment {
                name: JPG_NAME.into(),
                bytes: jpeg,
            },
        ],
    )
    .unwrap();
    let opened = Package::open(&unsigned).unwrap();
    let sig = sign_manifest(opened.manifest_bytes());
    opened.with_signature(&sig).unwrap()
}

fn signed_package() -> Vec<u8> {
    signed_package_named("referral-REF-2025-000123.json", pdf(), jpeg())
}

/// The entries of a zip, in order.
fn entries_of(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut a = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..a.len())
        .map(|i| {
            let mut f = a.by_index(i).unwrap();
            let name = f.name().unwrap().into_owned();
            let mut data = Vec::new();
            f.read_to_end(&mut data).unwrap();
            (name, data)
        })
        .collect()
}

fn get<'a>(entries: &'a [(String, Vec<u8>)], name: &str) -> &'a [u8] {
    &entries.iter().find(|(n, _)| n == name).unwrap().1
}

// ---------------------------------------------------------------------------
// A raw zip writer (stored entries), to build what ZipWriter refuses to.

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[derive(Clone)]
struct Raw {
    local_name: String,
    cd_name: String,
    data: Vec<u8>,
    in_cd: bool,
    flags: u16,
    crc: Option<u32>,
    cd_uncompressed: Option<u32>,
}

fn raw(name: &str, data: &[u8]) -> Raw {
    Raw {
        local_name: name.into(),
        cd_name: name.into(),
        data: data.to_vec(),
        in_cd: true,
        flags: 0,
        crc: None,
        cd_uncompressed: None,
    }
}

fn build_zip(prefix: &[u8], entries: &[Raw]) -> Vec<u8> {
    let mut out = prefix.to_vec();
    let mut cd = Vec::new();
    let mut count = 0u16;
    for e in entries {
        let offset = out.len() as u32;
        let crc = e.crc.unwrap_or_else(|| crc32(&e.data));
        let size = e.data.len() as u32;
        out.extend(0x0403_4b50u32.to_le_bytes());
        out.extend(20u16.to_le_bytes()); // version needed
        out.extend(e.flags.to_le_bytes());
        out.extend(0u16.to_le_bytes()); // stored
        out.extend(0u16.to_le_bytes()); // time
        out.extend(0x21u16.to_le_bytes()); // date 1980-01-01
        out.extend(crc.to_le_bytes());
        out.extend(size.to_le_bytes());
        out.extend(size.to_le_bytes());
        out.extend((e.local_name.len() as u16).to_le_bytes());
        out.extend(0u16.to_le_bytes());
        out.extend(e.local_name.as_bytes());
        out.extend(&e.data);
        if !e.in_cd {
            continue;
        }
        count += 1;
        cd.extend(0x0201_4b50u32.to_le_bytes());
        cd.extend(0x0314u16.to_le_bytes()); // made by unix, 2.0
        cd.extend(20u16.to_le_bytes());
        cd.extend(e.flags.to_le_bytes());
        cd.extend(0u16.to_le_bytes());
        cd.extend(0u16.to_le_bytes());
        cd.extend(0x21u16.to_le_bytes());
        cd.extend(crc.to_le_bytes());
        cd.extend(size.to_le_bytes());
        cd.extend(e.cd_uncompressed.unwrap_or(size).to_le_bytes());
        cd.extend((e.cd_name.len() as u16).to_le_bytes());
        cd.extend(0u16.to_le_bytes()); // extra
        cd.extend(0u16.to_le_bytes()); // comment
        cd.extend(0u16.to_le_bytes()); // disk
        cd.extend(0u16.to_le_bytes()); // internal attrs
        cd.extend((0o100644u32 << 16).to_le_bytes());
        cd.extend(offset.to_le_bytes());
        cd.extend(e.cd_name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend(&cd);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out.extend(count.to_le_bytes());
    out.extend(count.to_le_bytes());
    out.extend((cd.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

fn raws(entries: &[(String, Vec<u8>)]) -> Vec<Raw> {
    entries.iter().map(|(n, d)| raw(n, d)).collect()
}

// ---------------------------------------------------------------------------
// Verifying.

fn write_pkg(tag: &str, bytes: &[u8]) -> PathBuf {
    let dir = temp_dir(tag);
    let path = dir.join("package.zip");
    std::fs::write(&path, bytes).unwrap();
    path
}

fn verify_bytes(tag: &str, bytes: &[u8]) -> VerifyItem {
    // INKAN_ATTACK_DUMP=<dir>: keep a copy of each crafted package (to try
    // other zip readers on it).
    if let Some(d) = std::env::var_os("INKAN_ATTACK_DUMP") {
        let _ = std::fs::write(Path::new(&d).join(format!("{tag}.zip")), bytes);
    }
    let path = write_pkg(tag, bytes);
    let item = verify_path(&path, &config());
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
    item
}

fn indication(item: &VerifyItem) -> Option<Indication> {
    item.report.as_ref().map(|r| r.indication)
}

fn describe(item: &VerifyItem) -> String {
    match (&item.report, &item.error) {
        (Some(r), _) => format!(
            "{:?} {:?} signer={:?} summary={}",
            r.indication,
            r.sub_indication,
            r.signer.as_ref().map(|s| s.name.clone()),
            r.summary.en
        ),
        (None, Some(e)) => format!("error {}", e.code),
        (None, None) => "nothing".into(),
    }
}

fn codes(r: &Result<OpenedPackage, PackageError>) -> Vec<&'static str> {
    match r {
        Ok(o) => o.problems().iter().map(|p| p.code()).collect(),
        Err(e) => {
            let mut c: Vec<_> = e.problems().iter().map(|p| p.code()).collect();
            c.push(e.code());
            c
        }
    }
}

/// Package::open (whole bytes, as the window's import and the CLI use) and
/// Package::inspect_file (as the verifier uses) on the same bytes.
fn judged(tag: &str, bytes: &[u8]) -> (Vec<&'static str>, Vec<&'static str>) {
    let path = write_pkg(tag, bytes);
    let whole = Package::open(bytes);
    let inspected = Package::inspect_file(&path);
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
    (codes(&whole), codes(&inspected.opened))
}

// ---------------------------------------------------------------------------
// Sanity: the raw writer's rebuild of a genuine package passes.

#[test]
fn sanity_genuine_package_rebuilt_raw_passes() {
    let entries = entries_of(&signed_package());
    let bytes = build_zip(b"", &raws(&entries));
    let item = verify_bytes("sanity", &bytes);
    eprintln!("sanity: {}", describe(&item));
    assert_eq!(indication(&item), Some(Indication::TotalPassed), "{item:?}");
    assert_eq!(judged("sanity2", &bytes), (vec![], vec![]));
}

// ---------------------------------------------------------------------------
// Zip structure tricks.

/// Two central-directory entries named like the signed JPEG: the first a
/// different picture, the second the signed one. The module documentation
/// says duplicate names are refused; a reader that takes the first entry
/// (or extracts both) shows the unsigned picture.
#[test]
fn duplicate_central_directory_attachment_is_refused() {
    let entries = entries_of(&signed_package());
    let mut list = Vec::new();
    for (n, d) in &entries {
        if n == JPG_NAME {
            list.push(raw(JPG_NAME, &evil_jpeg()));
        }
        list.push(raw(n, d));
    }
    let bytes = build_zip(b"", &list);
    let (whole, inspected) = judged("dupjpg", &bytes);
    let item = verify_bytes("dupjpg", &bytes);
    eprintln!(
        "duplicate JPEG: open={whole:?} inspect={inspected:?} verify={}",
        describe(&item)
    );
    assert_ne!(indication(&item), Some(Indication::TotalPassed), "{item:?}");
}

/// Two `manifest.json` entries in the central directory: a forged one first,
/// the signed one second.
#[test]
fn duplicate_central_directory_manifest_is_refused() {
    let entries = entries_of(&signed_package());
    let forged = String::from_utf8(get(&entries, MANIFEST_NAME).to_vec())
        .unwrap()
        .replace("\"letter\"", "\"letter\" ");
    let mut list = vec![raw(MANIFEST_NAME, forged.as_bytes())];
    list.extend(raws(&entries));
    let bytes = build_zip(b"", &list);
    let (whole, inspected) = judged("dupmanifest", &bytes);
    let item = verify_bytes("dupmanifest", &bytes);
    eprintln!(
        "duplicate manifest: open={whole:?} inspect={inspected:?} verify={}",
        describe(&item)
    );
    assert_ne!(indication(&item), Some(Indication::TotalPassed), "{item:?}");
}

/// A local file header (with its data) that the central directory does not
/// list: a streaming extractor (one that walks local headers) sees a file
/// the signature does not cover.
#[test]
fn local_entry_missing_from_central_directory_is_refused() {
    let entries = entries_of(&signed_package());
    let mut list = raws(&entries);
    let mut hidden = raw("invoice-urgent.pdf", b"%PDF-1.4\n(pay here)\n%%EOF\n");
    hidden.in_cd = false;
    list.insert(2, hidden);
    let bytes = build_zip(b"", &list);
    let item = verify_bytes("hidden", &bytes);
    eprintln!("hidden local entry: {}", describe(&item));
    assert_ne!(indication(&item), Some(Indication::TotalPassed), "{item:?}");
}

/// The local header names the JPEG `../../evil.jpg` while the central
/// directory names it safely: the safe-name check only sees the central
/// directory's name.
#[test]
fn local_header_name_differing_from_central_directory_is_refused() {
    let entries = entries_of(&signed_package());
    let mut list = raws(&entries);
    for r in &mut list {
        if r.cd_name == JPG_NAME {
            r.local_name = "../../../../e.jpg".into();
        }
    }
    let bytes = build_zip(b"", &list);
    let item = verify_bytes("localname", &bytes);
    eprintln!("local name differs: {}", describe(&item));
    assert_ne!(indication(&item), Some(Indication::TotalPassed), "{item:?}");
}

/// Data before the zip (a self-extractor stub, an HTML page...). Reported
/// only: the signed files are intact.
#[test]
fn prepended_data_leaves_the_signed_files_intact() {
    let entries = entries_of(&signed_package());
    let bytes = build_zip(b"<html><script>alert(1)</script></html>\n", &raws(&entries));
    let item = verify_bytes("prefix", &bytes);
    eprintln!("prepended data: {}", describe(&item));
}

/// Names differing only by case: both in the zip, or only a case variant.
#[test]
fn case_variants_are_refused() {
    let entries = entries_of(&signed_package());
    let mut both = raws(&entries);
    both.push(raw("FUNDUS-2024-12.JPG", &evil_jpeg()));
    let item = verify_bytes("case1", &build_zip(b"", &both));
    eprintln!("case variant added: {}", describe(&item));
    assert_ne!(indication(&item), Some(Indication::TotalPassed), "{item:?}");

    let mut only: Vec<Raw> = raws(&entries);
    for r in &mut only {
        if r.cd_name == JPG_NAME {
            r.cd_name = "Fundus-2024-12.jpg".into();
            r.local_name = r.cd_name.clone();
        }
    }
    let item = verify_bytes("case2", &build_zip(b"", &only));
    eprintln!("case variant only: {}", describe(&item));
    assert_ne!(indication(&item), Some(Indication::TotalPassed), "{item:?}");

    let mut m2 = raws(&entries);
    m2.push(raw("MANIFEST.JSON", b"{}"));
    let item = verify_bytes("case3", &build_zip(b"", &m2));
    eprintln!("MANIFEST.JSON added: {}", describe(&item));
    assert_ne!(indication(&item), Some(Indication::TotalPassed), "{item:?}");

    let mut s2 = raws(&entries);
    for r in &mut s2 {
        if r.cd_name == SIGNATURE_NAME {
            r.cd_name = "Manifest.json.p7s".into();
            r.local_name = r.cd_name.clone();
        }
    }
    let item = verify_bytes("case4", &build_zip(b"", &s2));
    eprintln!("signature renamed by case: {}", describe(&item));
    assert_ne!(indication(&item), Some(Indication::TotalPassed), "{item:?}");
}

/// Lying central-directory sizes and CRCs: whole-bytes and entry-by-entry
/// reading judge alike, and nothing passes.
#[test]
fn lying_sizes_and_crcs_are_judged_alike_and_refused() {
    let entries = entries_of(&signed_package());
    type Variant<'a> = (&'a str, Box<dyn Fn(&mut Raw)>);
    let variants: Vec<Variant<'_>> = vec![
        ("crc", Box::new(|r: &mut Raw| r.crc = Some(0x1234_5678))),
        (
            "usize+",
            Box::new(|r: &mut Raw| r.cd_uncompressed = Some(r.data.len() as u32 + 100)),
        ),
        (
            "usize-",
            Box::new(|r: &mut Raw| r.cd_uncompressed = Some(r.data.len() as u32 - 3)),
        ),
        ("ddesc", Box::new(|r: &mut Raw| r.flags |= 0x0008)),
        ("encrypted", Box::new(|r: &mut Raw| r.flags |= 0x0001)),
    ];
    for (tag, f) in &variants {
        for target in [PDF_NAME, JPG_NAME, MANIFEST_NAME, SIGNATURE_NAME] {
            let mut list = raws(&entries);
            for r in &mut list {
                if r.cd_name == target {
                    f(r);
                }
            }
            let bytes = build_zip(b"", &list);
            let (whole, inspected) = judged(tag, &bytes);
            let item = verify_bytes(tag, &bytes);
            eprintln!(
                "{tag} on {target}: open={whole:?} inspect={inspected:?} verify={}",
                describe(&item)
            );
            assert_eq!(whole, inspected, "{tag} on {target}");
            // Lying sizes alone do not change the hashed bytes: only a bad
            // CRC or an encrypted entry must be refused.
            if matches!(*tag, "crc" | "encrypted") {
                assert_ne!(
                    indication(&item),
                    Some(Indication::TotalPassed),
                    "{tag} on {target}: {item:?}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Streaming vs kept: the letter's name decides, not its role.

/// A letter whose name does not end in lower-case `.xml`/`.json` is
/// streamed by inspect_file (its bytes dropped), so it can never be
/// detected: Package::open accepts, the verifier refuses.
#[test]
fn letter_with_upper_case_extension_is_judged_alike() {
    let mut differ = Vec::new();
    for name in [
        "referral-REF-2025-000123.JSON",
        "letter.Xml",
        "letter.pdf",
        "letter",
    ] {
        let bytes = signed_package_named(name, pdf(), jpeg());
        let (whole, inspected) = judged("upper", &bytes);
        let item = verify_bytes("upper", &bytes);
        eprintln!(
            "letter {name:?}: open={whole:?} inspect={inspected:?} verify={}",
            describe(&item)
        );
        if whole != inspected || indication(&item) != Some(Indication::TotalPassed) {
            differ.push(name);
        }
    }
    assert!(differ.is_empty(), "judged differently: {differ:?}");
}

/// Attachments shorter than the 16 bytes kept for sniffing.
#[test]
fn tiny_attachments_are_judged_alike() {
    for (p, j) in [
        (b"%PDF-".to_vec(), vec![0xFF, 0xD8, 0xFF]),
        (b"%PDF-1".to_vec(), vec![0xFF, 0xD8, 0xFF, 0x00]),
    ] {
        let bytes = signed_package_named("referral-REF-2025-000123.json", p, j);
        let (whole, inspected) = judged("tiny", &bytes);
        let item = verify_bytes("tiny", &bytes);
        eprintln!(
            "tiny: open={whole:?} inspect={inspected:?} verify={}",
            describe(&item)
        );
        assert_eq!(whole, inspected);
        assert_eq!(indication(&item), Some(Indication::TotalPassed));
    }
    // Tampered down to fewer bytes than a magic number.
    let entries = entries_of(&signed_package());
    let mut list = raws(&entries);
    for r in &mut list {
        if r.cd_name == PDF_NAME {
            r.data = b"%P".to_vec();
            r.local_name = r.cd_name.clone();
        }
    }
    let bytes = build_zip(b"", &list);
    let (whole, inspected) = judged("tiny2", &bytes);
    let item = verify_bytes("tiny2", &bytes);
    eprintln!(
        "tiny tampered: open={whole:?} inspect={inspected:?} verify={}",
        describe(&item)
    );
    assert_eq!(whole, inspected);
    assert_ne!(indication(&item), Some(Indication::TotalPassed));
}

/// Attachments named `.json` are kept in memory by inspect_file (and
/// limited to 10 MiB): a file listed as a `.json` attachment of the letter.
#[test]
fn attachment_named_json_is_judged_alike() {
    let entries = entries_of(&signed_package());
    let mut list = raws(&entries);
    list.push(raw("extra.json", b"{}"));
    let bytes = build_zip(b"", &list);
    let (whole, inspected) = judged("json", &bytes);
    let item = verify_bytes("json", &bytes);
    eprintln!(
        "extra .json: open={whole:?} inspect={inspected:?} verify={}",
        describe(&item)
    );
    assert_eq!(whole, inspected);
    assert_ne!(indication(&item), Some(Indication::TotalPassed));
}

// ---------------------------------------------------------------------------
// Early returns with `seen` filled: refused packages never pass.

#[test]
fn refused_packages_with_a_valid_signature_never_pass() {
    let entries = entries_of(&signed_package());
    let cases: Vec<(&str, Raw)> = vec![
        ("folder", raw("x/", b"")),
        ("unsafe", raw("../x.pdf", &pdf())),
        ("unsafe-unicode", raw("ｘ.pdf", &pdf())),
        ("reserved-variant", raw("manifest.JSON.p7s", b"0")),
        ("oversized-decl", {
            let mut r = raw("big.pdf", &pdf());
            r.cd_uncompressed = Some(u32::MAX);
            r
        }),
    ];
    for (tag, extra) in cases {
        let mut list = raws(&entries);
        list.push(extra);
        let bytes = build_zip(b"", &list);
        let item = verify_bytes(tag, &bytes);
        eprintln!("{tag}: {}", describe(&item));
        assert_ne!(indication(&item), Some(Indication::TotalPassed), "{tag}");
        if let Some(r) = &item.report {
            assert_eq!(r.indication, Indication::TotalFailed, "{tag}");
        }
    }
    // A JPEG replaced and an unsafe extra entry: the early return must not
    // hide the tampering behind a pass.
    let mut list = raws(&entries);
    for r in &mut list {
        if r.cd_name == JPG_NAME {
            r.data = evil_jpeg();
        }
    }
    list.push(raw("a/b", b""));
    let item = verify_bytes("both", &build_zip(b"", &list));
    eprintln!("tampered + folder: {}", describe(&item));
    assert_eq!(indication(&item), Some(Indication::TotalFailed));
}

// ---------------------------------------------------------------------------
// Hangs: special files named `.zip`.

fn verify_within(path: &Path, secs: u64) -> Option<VerifyItem> {
    let (tx, rx) = std::sync::mpsc::channel();
    let p = path.to_path_buf();
    let cfg = config();
    std::thread::spawn(move || {
        let _ = tx.send(verify_path(&p, &cfg));
    });
    rx.recv_timeout(Duration::from_secs(secs)).ok()
}

#[test]
fn dev_zero_named_zip_does_not_hang() {
    let dir = temp_dir("devzero");
    let link = dir.join("zero.zip");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let item = verify_within(&link, 20);
    eprintln!("/dev/zero: {:?}", item.as_ref().map(describe));
    assert!(item.is_some(), "verify_path on a /dev/zero link hangs");
    assert_ne!(
        indication(item.as_ref().unwrap()),
        Some(Indication::TotalPassed)
    );
}

#[test]
fn fifo_named_zip_does_not_hang() {
    let dir = temp_dir("fifo");
    let fifo = dir.join("pipe.zip");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("mkfifo unavailable");
        return;
    }
    let item = verify_within(&fifo, 10);
    eprintln!("fifo: {:?}", item.as_ref().map(describe));
    assert!(item.is_some(), "verify_path on a FIFO named .zip hangs");
}

// ---------------------------------------------------------------------------
// Memory: entries kept in memory because of their names.

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap()
}

const CHILD_ENV: &str = "INKAN_ATTACK_MEMORY_DIR";

fn write_bomb(path: &Path, ext: &str, entries: usize, each: usize) {
    use zip::write::SimpleFileOptions;
    let file = std::fs::File::create(path).unwrap();
    let mut w = zip::ZipWriter::new(file);
    let chunk = vec![b' '; 1 << 20];
    for i in 0..entries {
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(false);
        w.start_file(format!("a{i:02}.{ext}"), opts).unwrap();
        let mut left = each;
        while left > 0 {
            let n = left.min(chunk.len());
            w.write_all(&chunk[..n]).unwrap();
            left -= n;
        }
    }
    w.finish().unwrap();
}

/// Child-process half of the memory test (does nothing unless CHILD_ENV is set).
#[test]
fn make_the_json_bomb_in_a_child_process() {
    let Some(dir) = std::env::var_os(CHILD_ENV).map(PathBuf::from) else {
        return;
    };
    let limit = 10 * 1024 * 1024; // MAX_LETTER_BYTES
    let pdf_bomb = dir.join("pdf-bomb.zip");
    let json_bomb = dir.join("json-bomb.zip");
    write_bomb(&pdf_bomb, "pdf", 38, limit);
    write_bomb(&json_bomb, "json", 38, limit);
    println!(
        "sizes: pdf {} KB, json {} KB",
        std::fs::metadata(&pdf_bomb).unwrap().len() / 1024,
        std::fs::metadata(&json_bomb).unwrap().len() / 1024
    );
    let base = status_kb("VmHWM:");
    let r = Package::inspect_file(&pdf_bomb);
    let after_pdf = status_kb("VmHWM:");
    println!("pdf-named: {:?}", r.opened.as_ref().err().map(|e| e.code()));
    drop(r);
    let r = Package::inspect_file(&json_bomb);
    let after_json = status_kb("VmHWM:");
    println!(
        "json-named: {:?}",
        r.opened.as_ref().err().map(|e| e.code())
    );
    println!(
        "GROWTH pdf {} MB, json {} MB",
        (after_pdf - base) / 1024,
        (after_json - after_pdf) / 1024
    );
}

/// A ~400 KB package of 38 deflated 10 MiB entries named `*.json`: the
/// verifier keeps every one of them in memory (only entries whose name does
/// not end in `.xml`/`.json` are hashed as they are inflated).
#[test]
fn verifying_a_package_of_json_named_entries_stays_small_in_memory() {
    if std::env::var_os(CHILD_ENV).is_some() {
        return;
    }
    let dir = temp_dir("memory");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "make_the_json_bomb_in_a_child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    eprintln!("{stdout}");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout.lines().find(|l| l.starts_with("GROWTH")).unwrap();
    let nums: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(nums[0] < 16, "pdf-named bomb grew {} MB", nums[0]);
    assert!(
        nums[1] < 64,
        "json-named bomb grew the peak by {} MB",
        nums[1]
    );
}

// ---------------------------------------------------------------------------
// zip 9's own consistency check, on the same crafted packages: it flags
// each of them and accepts the genuine package.

#[test]
fn zip_header_consistency_flags_every_crafted_package_and_not_the_genuine_one() {
    let entries = entries_of(&signed_package());
    let check = |bytes: &[u8]| {
        let mut a = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        (
            a.has_duplicate_names(),
            a.validate_header_consistency().is_ok(),
        )
    };
    // Genuine: consistent.
    assert_eq!(check(&build_zip(b"", &raws(&entries))), (false, true));
    assert_eq!(check(&signed_package()), (false, true));
    // Duplicate JPEG.
    let mut dup = raws(&entries);
    dup.insert(3, raw(JPG_NAME, &evil_jpeg()));
    assert_eq!(check(&build_zip(b"", &dup)), (true, false));
    // Hidden local entry.
    let mut hidden = raws(&entries);
    let mut h = raw("invoice-urgent.pdf", b"%PDF-1.4\n%%EOF\n");
    h.in_cd = false;
    hidden.insert(2, h);
    assert_eq!(check(&build_zip(b"", &hidden)), (false, false));
    // Local name differs.
    let mut local = raws(&entries);
    for r in &mut local {
        if r.cd_name == JPG_NAME {
            r.local_name = "../../../../e.jpg".into();
        }
    }
    assert_eq!(check(&build_zip(b"", &local)), (false, false));
    // Prepended data is still accepted by the check.
    let prefixed = build_zip(b"<html></html>\n", &raws(&entries));
    eprintln!("prefixed: {:?}", check(&prefixed));
}
