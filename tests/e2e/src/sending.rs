//! What the submission tests and the crash benchmark share: a TEST PKI
//! with a CRL server, private data and settings folders, letters signed by
//! the TEST doctor (a software key), and `inkan` run against them.

use crate::{fresh_dir, run_inkan};
use inkan_cades::{SignOptions, SoftwareSigner};
use std::path::{Path, PathBuf};

/// A path as a `&str` argument.
pub fn s(p: &Path) -> String {
    p.to_str().expect("utf-8 path").to_owned()
}

/// `system|value` of an HS038 letter's `Bundle.identifier`.
pub fn identifier_of(letter: &Path) -> String {
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(letter).expect("letter")).expect("JSON");
    format!(
        "{}|{}",
        v["identifier"]["system"].as_str().expect("system"),
        v["identifier"]["value"].as_str().expect("value")
    )
}

/// The folders and PKI of one test.
#[derive(Debug)]
pub struct SendEnv {
    /// The test's folder.
    pub dir: PathBuf,
    /// The TEST PKI.
    pub pki: inkan_testpki::TestPki,
    /// Where the PKI is written (`--trust test:DIR`).
    pub pki_dir: PathBuf,
    /// `INKAN_DATA_DIR`.
    pub data: PathBuf,
    /// `INKAN_CONFIG_DIR`.
    pub config: PathBuf,
    /// `INKAN_CRL_CACHE`.
    pub cache: PathBuf,
    _crl: inkan_testpki::CrlServer,
}

impl SendEnv {
    /// A fresh environment named `name`.
    pub fn new(name: &str) -> SendEnv {
        let dir = fresh_dir(name);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind CRL port");
        let port = listener.local_addr().expect("addr").port();
        let pki = inkan_testpki::generate(&inkan_testpki::PkiConfig::default().with_crl_port(port))
            .expect("test PKI");
        let pki_dir = dir.join("pki");
        pki.write_to(&pki_dir).expect("write PKI");
        let crl = inkan_testpki::CrlServer::start(listener, &pki).expect("CRL server");
        let env = SendEnv {
            data: dir.join("data"),
            config: dir.join("config"),
            cache: dir.join("crl-cache"),
            dir,
            pki,
            pki_dir,
            _crl: crl,
        };
        std::fs::create_dir_all(&env.config).expect("config dir");
        env
    }

    /// `test:DIR`.
    pub fn trust(&self) -> String {
        format!("test:{}", s(&self.pki_dir))
    }

    /// Runs `inkan` with this environment.
    pub fn inkan(&self, args: &[&str]) -> (i32, String, String) {
        self.inkan_with(&self.data, args)
    }

    /// Runs `inkan` with this environment and the data folder `data`.
    pub fn inkan_with(&self, data: &Path, args: &[&str]) -> (i32, String, String) {
        run_inkan(
            args,
            "",
            &[
                ("INKAN_DATA_DIR", data),
                ("INKAN_CONFIG_DIR", &self.config),
                ("INKAN_CRL_CACHE", &self.cache),
                // Retries half a second apart, not half a minute.
                ("INKAN_OUTBOX_RETRY_BASE_MS", Path::new("500")),
            ],
        )
    }

    /// A letter (document number `number`) in `format`, signed by the
    /// TEST doctor: `<name>` and `<name>.p7s` in the test folder.
    pub fn signed_letter(&self, name: &str, number: &str, format: &str) -> PathBuf {
        let form = self.dir.join(format!("{name}.form.json"));
        let (code, _, err) = self.inkan(&[
            "letter",
            "new",
            "--example",
            "--format",
            "form",
            "--out",
            &s(&form),
        ]);
        assert_eq!(code, 0, "{err}");
        let mut v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&form).expect("form")).expect("form JSON");
        v["document_number"] = serde_json::json!(number);
        std::fs::write(&form, serde_json::to_vec(&v).expect("json")).expect("write form");
        let out = self.dir.join(name);
        let (code, _, err) = self.inkan(&[
            "letter",
            "new",
            "--from",
            &s(&form),
            "--format",
            format,
            "--out",
            &s(&out),
        ]);
        assert_eq!(code, 0, "letter new: {err}");
        let id = self.pki.identity("doctor").expect("doctor");
        let mut signer = SoftwareSigner::new(id.cert_der.clone(), id.key.clone());
        let opts = SignOptions {
            extra_certificates: vec![self.pki.ca(id.issuer).cert_der.clone()],
            ..SignOptions::default()
        };
        let bytes = std::fs::read(&out).expect("letter");
        let sig = inkan_cades::sign(&bytes, &mut signer, &opts).expect("sign");
        let mut p = out.as_os_str().to_owned();
        p.push(".p7s");
        std::fs::write(PathBuf::from(p), sig).expect("write signature");
        out
    }

    /// `inkan outbox list --json`.
    pub fn items(&self) -> Vec<serde_json::Value> {
        let (code, out, err) = self.inkan(&["outbox", "list", "--json"]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<serde_json::Value>(&out)
            .expect("list JSON")
            .as_array()
            .expect("array")
            .clone()
    }
}
