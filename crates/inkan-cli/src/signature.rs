//! `inkan sign`, `inkan verify`, `inkan cert`, `inkan path-validate`.

use crate::card::read_pin;
use crate::output::{print_json, Failure};
use inkan_card::{CardSigner, LastTry, PcscCard};
use inkan_l10n::{Lang, Message};
use inkan_trust::{RevocationConfig, TrustStore, ValidationProfile};
use inkan_validation::{DocumentPolicy, Indication, Options};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Exit codes of `verify` and `path-validate`: the worst verdict.
pub const EXIT_PASSED: u8 = 0;
/// At least one INDETERMINATE, none TOTAL_FAILED.
pub const EXIT_INDETERMINATE: u8 = 1;
/// At least one TOTAL_FAILED.
pub const EXIT_FAILED: u8 = 3;
/// An input could not be read at all.
pub const EXIT_INPUT: u8 = 4;

fn msg(code: &str, ja: String, en: String) -> Failure {
    Failure::new(Message {
        code: code.into(),
        ja,
        en,
    })
}

/// The largest signature file `inkan verify` reads: an attached signature
/// holds its document, which [`inkan_cades::MAX_ATTACHED_BYTES`] bounds
/// when Inkan signs; room is left for certificates, CRLs and time-stamps.
const MAX_SIGNATURE_FILE_BYTES: u64 = inkan_cades::MAX_ATTACHED_BYTES + (16 << 20);

/// Reads a signature file, refusing one larger than
/// [`MAX_SIGNATURE_FILE_BYTES`] before reading it.
fn read_signature(path: &Path) -> Result<Vec<u8>, Failure> {
    let size = readable(path)?.len();
    if size > MAX_SIGNATURE_FILE_BYTES {
        return Err(msg(
            "cli.signature_too_large",
            format!(
                "{} は {size} バイトあり、署名ファイルの上限 {MAX_SIGNATURE_FILE_BYTES} バイトを超えています。文書を埋め込んだ（attached）署名と思われます。分離（detached）署名で送ってもらってください",
                path.display()
            ),
            format!(
                "{} is {size} bytes, more than the {MAX_SIGNATURE_FILE_BYTES} bytes a signature file may have: it probably holds its document (attached); ask for a detached signature",
                path.display()
            ),
        )
        .with_exit_code(EXIT_INPUT));
    }
    read(path)
}

/// Checks that `path` opens, with the same error as [`read`]: for a
/// document that is then hashed from its file, chunk by chunk.
fn readable(path: &Path) -> Result<std::fs::Metadata, Failure> {
    // Metadata first: opening a FIFO would block until a writer comes.
    std::fs::metadata(path)
        .and_then(|m| {
            if m.is_file() {
                Ok(())
            } else {
                Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "not a regular file",
                ))
            }
        })
        .and_then(|()| std::fs::File::open(path))
        .and_then(|f| f.metadata())
        .map_err(|e| {
            msg(
                "io.read",
                format!("{} を読み取れません: {e}", path.display()),
                format!("Cannot read {}: {e}", path.display()),
            )
            .with_exit_code(EXIT_INPUT)
        })
}

fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| {
        msg(
            "io.read",
            format!("{} を読み取れません: {e}", path.display()),
            format!("Cannot read {}: {e}", path.display()),
        )
        .with_exit_code(EXIT_INPUT)
    })
}

/// Parses `--at`: RFC 3339, or a date (00:00 JST).
pub fn parse_time(s: &str) -> Result<SystemTime, Failure> {
    inkan_testpki::parse_rfc3339(s).map_err(|e| {
        msg(
            "cli.time",
            format!("時刻の形式が正しくありません（RFC 3339、例 2026-11-24T10:00:00+09:00）: {e}"),
            format!("Invalid time (RFC 3339, e.g. 2026-11-24T10:00:00+09:00): {e}"),
        )
    })
}

/// `inkan sign FILE`.
#[allow(clippy::too_many_arguments)]
/// A signature level of `inkan sign` / `inkan augment` (ETSI EN 319 122-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Level {
    /// B-B: the signature alone.
    #[value(name = "b", alias = "B")]
    B,
    /// B-T: with a signature time-stamp from a TSA.
    #[value(name = "t", alias = "T")]
    T,
    /// B-LT: T, plus the certificates and CRLs that validate the signer and
    /// the time-stamp, in the signature.
    #[value(name = "lt", alias = "LT")]
    Lt,
    /// B-LTA: LT, plus an archive time-stamp (ATSv3) over all of it.
    #[value(name = "lta", alias = "LTA")]
    Lta,
}

/// The long-term form: EN 319 122-1 baseline, or the JIS X 5092 /
/// ISO 14533-1 forms (ES-X-Long, ES-A) where a recipient requires them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Form {
    /// B-LT / B-LTA: validation data in SignedData.
    #[value(name = "en")]
    En,
    /// ES-X-Long / ES-A: validation data as references and values attributes.
    #[value(name = "jp")]
    Jp,
}

/// Raises `sig` to `level`: T adds signature time-stamps where missing, LT
/// then adds the validation data, LTA then an archive time-stamp.
fn raise(
    sig: &[u8],
    content: Option<inkan_cades::Content<'_>>,
    level: Level,
    form: Form,
    tsa: Option<&inkan_tsp::TsaConfig>,
    tsa_trust: &[PathBuf],
    trust: &TrustStore,
) -> Result<(Vec<u8>, Vec<inkan_validation::timestamps::TimestampReport>), Failure> {
    use inkan_l10n::Localized;
    let as_failure = |e: inkan_validation::timestamps::TimestampError| {
        let t = e.text();
        msg(e.code(), t.ja, t.en)
    };
    if level == Level::B {
        return Ok((sig.to_vec(), Vec::new()));
    }
    let cfg = tsa.ok_or_else(|| {
        msg(
            "cli.no_tsa",
            "タイムスタンプ局が設定されていません（--tsa URL、または設定の tsa.json）".into(),
            "no time-stamp authority is configured (--tsa URL, or tsa.json in the settings)".into(),
        )
    })?;
    let (mut current, mut reports) = timestamp(sig, cfg, tsa_trust)?;
    if matches!(level, Level::Lt | Level::Lta) {
        let anchors = tsa_trust_anchors(tsa_trust)?;
        let revocation = RevocationConfig {
            cache_dir: crl_cache_dir(),
            ..RevocationConfig::default()
        };
        current = inkan_validation::timestamps::add_validation_data_as(
            &current,
            content,
            trust,
            &anchors,
            &revocation,
            match form {
                Form::En => inkan_validation::timestamps::LongTermForm::Baseline,
                Form::Jp => inkan_validation::timestamps::LongTermForm::EsXLong,
            },
        )
        .map_err(as_failure)?;
        if level == Level::Lta {
            let (c, mut r) = inkan_validation::timestamps::add_archive_timestamps(
                &current,
                content,
                cfg,
                &anchors,
                &revocation,
            )
            .map_err(as_failure)?;
            current = c;
            reports.append(&mut r);
        }
    }
    Ok((current, reports))
}

/// The options of `inkan sign`.
pub struct SignArgs<'a> {
    /// `--attached`.
    pub attached: bool,
    /// `--out`.
    pub out: Option<PathBuf>,
    /// `--pin-stdin`.
    pub pin_stdin: bool,
    /// `--reader`.
    pub reader: Option<&'a str>,
    /// `--confirm-last-try`.
    pub confirm_last_try: bool,
    /// `--force`.
    pub force: bool,
    /// `--level`.
    pub level: Option<Level>,
    /// `--tsa`.
    pub tsa: Option<&'a str>,
    /// `--tsa-trust`.
    pub tsa_trust: &'a [PathBuf],
    /// `--trust` (for the LT validation data).
    pub trust: &'a str,
    /// `--form`.
    pub form: Form,
}

/// The TSA: `--tsa URL`, else `tsa.json` in the settings.
fn tsa_config(url: Option<&str>) -> Result<Option<inkan_tsp::TsaConfig>, Failure> {
    inkan_workflow::settings::tsa_config(url).map_err(|e| {
        use inkan_l10n::Localized;
        let t = e.text();
        msg(e.code(), t.ja, t.en)
    })
}

/// Adds signature time-stamps to `sig` (see
/// [`inkan_validation::timestamps::add_signature_timestamps`]).
fn timestamp(
    sig: &[u8],
    cfg: &inkan_tsp::TsaConfig,
    tsa_trust: &[PathBuf],
) -> Result<(Vec<u8>, Vec<inkan_validation::timestamps::TimestampReport>), Failure> {
    use inkan_l10n::Localized;
    let anchors = tsa_trust_anchors(tsa_trust)?;
    let revocation = RevocationConfig {
        cache_dir: crl_cache_dir(),
        ..RevocationConfig::default()
    };
    inkan_validation::timestamps::add_signature_timestamps(sig, cfg, &anchors, &revocation).map_err(
        |e| {
            let t = e.text();
            msg(e.code(), t.ja, t.en)
        },
    )
}

fn print_timestamps(lang: Lang, reports: &[inkan_validation::timestamps::TimestampReport]) {
    for r in reports {
        let when = r.gen_time.as_deref().unwrap_or("-");
        let tsa = r.tsa.as_deref().unwrap_or("-");
        match lang {
            Lang::Ja => println!("タイムスタンプ: {when}（{tsa}）"),
            Lang::En => println!("Time-stamp: {when} ({tsa})"),
        }
    }
}

/// `inkan sign FILE …`.
pub fn sign(file: &Path, args: SignArgs<'_>, lang: Lang) -> Result<(), Failure> {
    let SignArgs {
        attached,
        out,
        pin_stdin,
        reader,
        confirm_last_try,
        force,
        level,
        tsa,
        tsa_trust,
        trust: trust_spec,
        form,
    } = args;
    let tsa = tsa_config(tsa)?;
    let level = match (level, &tsa) {
        (Some(l), _) => l,
        (None, Some(_)) => Level::T,
        (None, None) => {
            match lang {
                Lang::Ja => eprintln!("警告: タイムスタンプ局が設定されていないため、タイムスタンプなし（レベル B）で署名します。署名時刻の証明がなく、証明書の期限後は検証できなくなります（docs/timestamps.md）"),
                Lang::En => eprintln!("warning: no time-stamp authority is configured, so the signature gets no time-stamp (level B): nothing proves when it was made, and it cannot be verified after the certificate expires (docs/timestamps.md)"),
            }
            Level::B
        }
    };
    let tsa = match (level, tsa) {
        (Level::T | Level::Lt | Level::Lta, None) => {
            return Err(msg(
                "cli.no_tsa",
                "レベル T にはタイムスタンプ局が必要です（--tsa URL、または設定の tsa.json）"
                    .into(),
                "level T needs a time-stamp authority (--tsa URL, or tsa.json in the settings)"
                    .into(),
            ))
        }
        (_, t) => t,
    };
    // The document is hashed from its file, chunk by chunk: its size does
    // not matter, except for an attached signature, which holds it whole.
    let size = readable(file)?.len();
    if attached && size > inkan_cades::MAX_ATTACHED_BYTES {
        use inkan_l10n::Localized;
        let e = inkan_cades::CadesError::AttachedTooLarge {
            size,
            limit: inkan_cades::MAX_ATTACHED_BYTES,
        };
        let t = e.text();
        return Err(msg(e.code(), t.ja, t.en).with_exit_code(EXIT_INPUT));
    }
    // A detached document is read once, before the card: what is signed
    // and what the time-stamps cover are the same bytes.
    let digests;
    let content = if attached {
        inkan_cades::Content::File(file)
    } else {
        digests = inkan_cades::content::Digests::of_file(file, &[inkan_cades::oids::SHA256])
            .map_err(|e| {
                use inkan_l10n::Localized;
                let t = e.text();
                msg(e.code(), t.ja, t.en).with_exit_code(EXIT_INPUT)
            })?;
        inkan_cades::Content::Digested(&digests)
    };
    let out = out.unwrap_or_else(|| {
        let mut p = file.as_os_str().to_owned();
        p.push(if attached { ".p7m" } else { ".p7s" });
        PathBuf::from(p)
    });
    if out.exists() && !force {
        return Err(msg(
            "cli.exists",
            format!(
                "{} は既に存在します（上書きするには --force）",
                out.display()
            ),
            format!(
                "{} already exists (use --force to replace it)",
                out.display()
            ),
        ));
    }
    let mut card = PcscCard::new(reader)?;
    let status = card.pin_status()?;
    eprintln!("{}", crate::card::tries_text(lang, status));
    let pin = read_pin(pin_stdin, lang)?;
    let last = if confirm_last_try {
        LastTry::Confirmed
    } else {
        LastTry::NotConfirmed
    };
    let mut signer = CardSigner::new(&mut card, pin, last)?;
    // Shared with the app: the card's error (wrong PIN, removed card) comes back as is.
    let sig = inkan_workflow::sign_content_with_card(content, &mut signer, attached)?;
    // The PIN is spent: whatever the TSA does, the signature is kept.
    let trust = trust_store(trust_spec)?;
    let (sig, stamped) = match raise(
        &sig,
        Some(content),
        level,
        form,
        tsa.as_ref(),
        tsa_trust,
        &trust,
    ) {
        Ok((s, r)) => (s, Ok(r)),
        Err(e) => (sig, Err(e)),
    };
    inkan_referral::write_atomic(&out, &sig).map_err(|e| {
        msg(
            "io.write",
            format!("{} に書き込めません: {e}", out.display()),
            format!("Cannot write {}: {e}", out.display()),
        )
    })?;
    {
        use sha2::Digest as _;
        let cert = signer.certificate();
        inkan_workflow::audit::record(&inkan_workflow::audit::NewAudit {
            action: inkan_workflow::audit::AuditAction::Signed,
            doc_sha256: inkan_workflow::audit::sha256_file(file).unwrap_or_default(),
            doc_name: inkan_workflow::audit::file_name(file),
            signer_fingerprint: Some(hex::encode(sha2::Sha256::digest(cert))),
            signer_holder: inkan_card::holder::summarize(cert)
                .ok()
                .map(|h| h.name_kanji.unwrap_or(h.name)),
            verdict: Some("SIGNED".into()),
        });
    }
    match lang {
        Lang::Ja => println!(
            "署名しました: {}（APDU {} 回）",
            out.display(),
            signer.apdus()
        ),
        Lang::En => println!("Signed: {} ({} APDUs)", out.display(), signer.apdus()),
    }
    match stamped {
        Ok(reports) => {
            print_timestamps(lang, &reports);
            Ok(())
        }
        Err(e) => {
            match lang {
                Lang::Ja => eprintln!("署名は保存しましたが、レベル {level:?} にできませんでした。後で inkan augment {} --level {level:?} で拡張できます", out.display()),
                Lang::En => eprintln!("The signature is saved, but it could not be raised to level {level:?}. Raise it later with: inkan augment {} --level {level:?}", out.display()),
            }
            Err(e)
        }
    }
}

/// `inkan augment SIG --level T …`: adds what the level needs, checks that
/// the result still verifies as before, and replaces the file atomically.
#[allow(clippy::too_many_arguments)]
pub fn augment(
    sig_path: &Path,
    level: Level,
    content: Option<&Path>,
    tsa: Option<&str>,
    tsa_trust: &[PathBuf],
    trust: &str,
    form: Form,
    out: Option<&Path>,
    lang: Lang,
) -> Result<(), Failure> {
    let sig = read(sig_path)?;
    if let Some(c) = content {
        readable(c)?;
    }
    // The document is read once: every check and every new time-stamp sees
    // the same bytes.
    let once = content
        .map(|c| inkan_validation::read_content_once(&sig, c))
        .transpose()
        .map_err(|e| {
            use inkan_l10n::Localized;
            let t = e.text();
            msg(e.code(), t.ja, t.en).with_exit_code(EXIT_INPUT)
        })?;
    let content = once.as_ref().map(|o| o.content());
    // The signature must be intact before anything is added to it.
    let parsed = inkan_cades::parse(&sig).map_err(|e| {
        use inkan_l10n::Localized;
        let t = e.text();
        msg(e.code(), t.ja, t.en)
    })?;
    for i in 0..parsed.signers.len() {
        match inkan_cades::verify_signer_content(&parsed, i, content, &[]) {
            Ok(_) => {}
            // A detached signature without its document: its signed
            // attributes and value are checked after the change instead.
            Err(inkan_cades::CadesError::DetachedContentMissing) => {}
            Err(e) => {
                use inkan_l10n::Localized;
                let t = e.text();
                return Err(msg(
                    e.code(),
                    format!("拡張する前の署名が正しくありません: {}", t.ja),
                    format!(
                        "the signature is not intact, so it is not augmented: {}",
                        t.en
                    ),
                ));
            }
        }
    }
    let trust = trust_store(trust)?;
    let cfg = tsa_config(tsa)?;
    let (new_sig, reports) = raise(&sig, content, level, form, cfg.as_ref(), tsa_trust, &trust)?;
    // What was signed is untouched: every signer still verifies.
    let reparsed = inkan_cades::parse(&new_sig).map_err(|e| {
        use inkan_l10n::Localized;
        let t = e.text();
        msg(e.code(), t.ja, t.en)
    })?;
    for i in 0..reparsed.signers.len() {
        // Without the document, the signed attributes' bytes must be the
        // same as before (the signature value covers them).
        if content.is_none() && reparsed.econtent.is_none() {
            let same = parsed
                .signers
                .get(i)
                .map(|s| (&s.signed_attrs_der, &s.signature))
                == reparsed
                    .signers
                    .get(i)
                    .map(|s| (&s.signed_attrs_der, &s.signature));
            if !same {
                return Err(msg(
                    "augment.broke_signature",
                    "拡張で署名対象が変わったため、書き込みませんでした".into(),
                    "augmenting changed what is signed, so nothing was written".into(),
                ));
            }
            continue;
        }
        inkan_cades::verify_signer_content(&reparsed, i, content, &[]).map_err(|e| {
            msg(
                "augment.broke_signature",
                format!("拡張後の署名を検証できないため、書き込みませんでした: {e}"),
                format!("the augmented signature does not verify, so nothing was written: {e}"),
            )
        })?;
    }
    let target = out.unwrap_or(sig_path);
    inkan_referral::write_atomic(target, &new_sig).map_err(|e| {
        msg(
            "io.write",
            format!("{} に書き込めません: {e}", target.display()),
            format!("Cannot write {}: {e}", target.display()),
        )
    })?;
    if reports.is_empty() {
        match lang {
            Lang::Ja => println!(
                "追加するものはありません（既にタイムスタンプがあります）: {}",
                target.display()
            ),
            Lang::En => println!(
                "Nothing to add (already time-stamped): {}",
                target.display()
            ),
        }
    } else {
        match lang {
            Lang::Ja => println!("拡張しました: {}", target.display()),
            Lang::En => println!("Augmented: {}", target.display()),
        }
        print_timestamps(lang, &reports);
    }
    Ok(())
}

/// Where the trust comes from (`--trust default|test:DIR`).
pub fn trust_store(spec: &str) -> Result<TrustStore, Failure> {
    if spec == "default" {
        return TrustStore::default_store().map_err(Failure::from);
    }
    if let Some(dir) = spec.strip_prefix("test:") {
        // Installed packages trust the pinned MHLW root only: TEST trust is a
        // developer feature, and a clinic's verifier must not be switchable to it.
        if cfg!(feature = "dev-tools") {
            return TrustStore::test_from_dir(Path::new(dir)).map_err(Failure::from);
        }
        return Err(msg(
            "cli.trust_test_unavailable",
            "--trust test:DIR は開発者向けビルドでのみ使えます（この inkan は HPKI ルート認証局だけを信頼します）".to_string(),
            "--trust test:DIR exists only in developer builds (this inkan trusts the HPKI root only)".to_string(),
        ));
    }
    Err(msg(
        "cli.trust",
        format!("--trust は default または test:DIR です（{spec}）"),
        format!("--trust is default or test:DIR (got {spec})"),
    ))
}

pub(crate) fn crl_cache_dir() -> Option<PathBuf> {
    std::env::var_os("INKAN_CRL_CACHE")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
                .map(|c| c.join("inkan/crl"))
        })
}

/// The signature and content files for one `verify` argument.
fn pair(file: &Path, signature: Option<&Path>) -> (PathBuf, Option<PathBuf>) {
    if let Some(sig) = signature {
        return (sig.to_path_buf(), Some(file.to_path_buf()));
    }
    let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
    if matches!(ext, "p7s" | "p7m" | "p7") {
        let content = file.with_extension("");
        let content = (ext != "p7m" && content.exists()).then_some(content);
        return (file.to_path_buf(), content);
    }
    let mut s = file.as_os_str().to_owned();
    s.push(".p7s");
    (PathBuf::from(s), Some(file.to_path_buf()))
}

/// The TSA trust anchors of the settings plus `--tsa-trust`.
pub(crate) fn tsa_trust_anchors(given: &[PathBuf]) -> Result<Vec<Vec<u8>>, Failure> {
    inkan_workflow::settings::tsa_trust_anchors(given).map_err(|e| {
        use inkan_l10n::Localized;
        let t = e.text();
        msg(e.code(), t.ja, t.en)
    })
}

/// `inkan verify FILE...`.
#[allow(clippy::too_many_arguments)]
pub fn verify(
    files: &[PathBuf],
    signature: Option<&Path>,
    trust: &str,
    at: Option<&str>,
    offline: bool,
    json: bool,
    any_qualification: bool,
    crls: &[PathBuf],
    tsa_trust: &[PathBuf],
    lang: Lang,
) -> Result<(), Failure> {
    if signature.is_some() && files.len() != 1 {
        return Err(msg(
            "cli.usage",
            "--signature は検証するファイルが 1 つのときだけ使えます".into(),
            "--signature needs exactly one FILE".into(),
        ));
    }
    let mut crl_ders = Vec::new();
    for c in crls {
        crl_ders.push(pem_or_der(&read(c)?, "X509 CRL"));
    }
    let opts = Options {
        trust: trust_store(trust)?,
        at: at.map(parse_time).transpose()?,
        revocation: RevocationConfig {
            crls: crl_ders,
            cache_dir: crl_cache_dir(),
            fetch: !offline,
            ..RevocationConfig::default()
        },
        policy: if any_qualification {
            DocumentPolicy::AnyQualification
        } else {
            DocumentPolicy::ReferralLetter
        },
        tsa_trust: tsa_trust_anchors(tsa_trust)?,
    };
    let mut worst = EXIT_PASSED;
    let mut results = Vec::new();
    for f in files {
        let (sig_path, content_path) = pair(f, signature);
        // The document is hashed from its file, chunk by chunk: verifying
        // a 1 GB attachment costs about one chunk of memory.
        let loaded = read_signature(&sig_path).and_then(|s| {
            if let Some(c) = content_path.as_deref() {
                readable(c)?;
            }
            Ok((s, content_path.as_deref()))
        });
        let (sig, content) = match loaded {
            Ok(x) => x,
            Err(e) => {
                eprintln!("inkan: {}", e.render(lang));
                worst = worst.max(EXIT_INPUT);
                results.push(serde_json::json!({
                    "file": f, "signature": sig_path, "error": e.message(),
                }));
                continue;
            }
        };
        let report = inkan_validation::validate_content(
            &sig,
            content.map(inkan_cades::Content::File),
            &opts,
        );
        let signer = report.signer.as_ref();
        inkan_workflow::audit::record(&inkan_workflow::audit::NewAudit {
            action: inkan_workflow::audit::AuditAction::Verified,
            doc_sha256: inkan_workflow::audit::sha256_file(f).unwrap_or_default(),
            doc_name: inkan_workflow::audit::file_name(f),
            signer_fingerprint: signer.map(|s| s.fingerprint_sha256.clone()),
            signer_holder: signer.map(|s| s.name_kanji.clone().unwrap_or_else(|| s.name.clone())),
            verdict: Some(report.indication.as_str().to_string()),
        });
        worst = worst.max(match report.indication {
            Indication::TotalPassed => EXIT_PASSED,
            Indication::Indeterminate => EXIT_INDETERMINATE,
            Indication::TotalFailed => EXIT_FAILED,
        });
        if json {
            results.push(serde_json::json!({
                "file": f, "signature": sig_path, "report": report,
            }));
        } else {
            println!("{}", f.display());
            print!("{}", inkan_validation::render_text(&report, lang));
        }
    }
    if json {
        print_json(&results);
    }
    if worst == EXIT_PASSED {
        Ok(())
    } else {
        Err(Failure::silent(worst))
    }
}

/// `inkan cert FILE`.
pub fn cert(file: &Path, json: bool, lang: Lang) -> Result<(), Failure> {
    let bytes = read(file)?;
    let certs = inkan_trust::store::certificates_from_pem_or_der(&bytes).map_err(|e| {
        msg(
            "cert.malformed",
            format!("証明書を読み取れません: {e}"),
            format!("Cannot read the certificate: {e}"),
        )
    })?;
    let mut out = Vec::new();
    for der in &certs {
        let h = inkan_trust::holder::summarize(der).map_err(|e| {
            msg(
                "cert.malformed",
                format!("証明書を読み取れません: {}", e.detail),
                format!("Cannot read the certificate: {}", e.detail),
            )
        })?;
        if json {
            out.push(serde_json::to_value(&h).unwrap_or_default());
            continue;
        }
        let (l_holder, l_role, l_issuer, l_valid, l_serial) = match lang {
            Lang::Ja => ("名義", "資格", "発行者", "有効期間", "シリアル"),
            Lang::En => ("Holder", "Qualification", "Issuer", "Valid", "Serial"),
        };
        if h.is_test {
            println!("*** TEST ***");
        }
        match &h.name_kanji {
            Some(k) => println!("{l_holder}: {k} ({})", h.name),
            None => println!("{l_holder}: {}", h.name),
        }
        let role = match (&h.role, &h.role_error) {
            (Some(r), _) => match lang {
                Lang::Ja => r.display_ja().to_string(),
                Lang::En => r.text.clone(),
            },
            (None, Some(e)) => format!("! {e}"),
            (None, None) => "-".into(),
        };
        println!("{l_role}: {role}");
        println!("{l_issuer}: {}", h.issuer);
        println!("{l_valid}: {} – {}", h.not_before, h.not_after);
        println!("{l_serial}: {}", h.serial);
    }
    if json {
        print_json(&out);
    }
    Ok(())
}

/// The arguments of `inkan path-validate`.
pub struct PathValidateArgs<'a> {
    /// The end entity.
    pub ee: &'a Path,
    /// `--anchor`.
    pub anchors: &'a [PathBuf],
    /// `--intermediate`.
    pub intermediates: &'a [PathBuf],
    /// `--crl`.
    pub crls: &'a [PathBuf],
    /// `--at`.
    pub at: Option<&'a str>,
    /// `--profile rfc5280`.
    pub rfc5280: bool,
    /// `--offline`.
    pub offline: bool,
    /// `--json`.
    pub json: bool,
    /// The RFC 5280 §6.1.1 policy inputs.
    pub policy: inkan_trust::rfc5280_policy::PolicySettings,
}

/// `inkan path-validate EE --anchor CERT …`.
pub fn path_validate(args: &PathValidateArgs<'_>, lang: Lang) -> Result<(), Failure> {
    let PathValidateArgs {
        ee,
        anchors,
        intermediates,
        crls,
        at,
        rfc5280,
        offline,
        json,
        ..
    } = *args;
    let load_certs = |paths: &[PathBuf]| -> Result<Vec<Vec<u8>>, Failure> {
        let mut all = Vec::new();
        for p in paths {
            let certs =
                inkan_trust::store::certificates_from_pem_or_der(&read(p)?).map_err(|e| {
                    msg(
                        "cert.malformed",
                        format!("{}: 証明書を読み取れません: {e}", p.display()),
                        format!("{}: cannot read the certificate: {e}", p.display()),
                    )
                })?;
            all.extend(certs);
        }
        Ok(all)
    };
    let ee_der = load_certs(std::slice::from_ref(&ee.to_path_buf()))?
        .into_iter()
        .next()
        .ok_or_else(|| {
            msg(
                "cert.empty",
                "証明書がありません".into(),
                "no certificate".into(),
            )
        })?;
    // Intermediates given on the command line are the user's own material,
    // not a signature file's: they go in the store's pool, which has no cap.
    let trust = TrustStore::Test {
        anchors: load_certs(anchors)?,
        pool: load_certs(intermediates)?,
        label: format!(
            "--anchor {}",
            anchors
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut crl_ders = Vec::new();
    for c in crls {
        crl_ders.push(pem_or_der(&read(c)?, "X509 CRL"));
    }
    let revocation = RevocationConfig {
        crls: crl_ders,
        cache_dir: crl_cache_dir(),
        fetch: !offline,
        ..RevocationConfig::default()
    };
    let at = at
        .map(parse_time)
        .transpose()?
        .unwrap_or_else(SystemTime::now);
    let report = inkan_trust::validate_path(&inkan_trust::PathInput {
        end_entity: &ee_der,
        pool: &[],
        trust: &trust,
        at,
        profile: if rfc5280 {
            ValidationProfile::Rfc5280
        } else {
            ValidationProfile::Hpki
        },
        revocation: &revocation,
        policy: Some(&args.policy),
    });
    if json {
        print_json(&serde_json::json!({
            "indication": report.status.indication(),
            "sub_indication": report.status.sub_indication(),
            "test_trust": true,
            "report": report,
        }));
    } else {
        let status = report.status.indication();
        match report.status.failure() {
            None => println!("{status}"),
            Some(f) => {
                use inkan_l10n::Localized;
                println!("{status} / {}: {}", f.sub_indication(), f.text().get(lang));
            }
        }
        for c in &report.chain {
            println!("  {} ({} – {})", c.subject, c.not_before, c.not_after);
        }
        // The verdict holds for the anchor given here, which is not the pinned
        // MHLW HPKI root: say so, so that a PASSED is never read as an HPKI verdict.
        match lang {
            Lang::Ja => println!(
                "  トラストアンカー: {}（HPKI ルート認証局ではなく、指定された証明書）",
                trust.label()
            ),
            Lang::En => println!(
                "  trust anchor: {} (the given certificate, not the MHLW HPKI root)",
                trust.label()
            ),
        }
    }
    match report.status.indication() {
        "PASSED" | "TOTAL_PASSED" => Ok(()),
        "TOTAL_FAILED" => Err(Failure::silent(EXIT_FAILED)),
        _ => Err(Failure::silent(EXIT_INDETERMINATE)),
    }
}

/// DER from a PEM block with `label`, or the bytes as they are.
fn pem_or_der(bytes: &[u8], label: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    if let (Some(b), Some(e)) = (text.find(&begin), text.find(&end)) {
        use base64::Engine;
        let body: String = text[b + begin.len()..e].split_whitespace().collect();
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(body) {
            return der;
        }
    }
    bytes.to_vec()
}

fn open_archive() -> Result<inkan_workflow::archive::Archive, Failure> {
    use inkan_l10n::Localized;
    let path = inkan_workflow::archive::default_path().ok_or_else(|| {
        msg(
            "archive.no_folder",
            "データフォルダが見つかりません（INKAN_DATA_DIR または HOME）".into(),
            "no data folder (INKAN_DATA_DIR or HOME)".into(),
        )
    })?;
    inkan_workflow::archive::Archive::open(&path).map_err(|e| {
        let t = e.text();
        msg(e.code(), t.ja, t.en)
    })
}

/// `inkan archive add SIG…`.
pub fn archive_add(
    signatures: &[PathBuf],
    content: Option<&Path>,
    tsa_trust: &[PathBuf],
    lang: Lang,
) -> Result<(), Failure> {
    use inkan_l10n::Localized;
    if content.is_some() && signatures.len() != 1 {
        return Err(msg(
            "cli.usage",
            "--content は署名ファイルが 1 つのときだけ使えます".into(),
            "--content needs exactly one signature".into(),
        ));
    }
    let archive = open_archive()?;
    let check = stamp_check(tsa_trust)?;
    if check.tsa_trust.is_empty() {
        match lang {
            Lang::Ja => eprintln!("注意: タイムスタンプ局の信頼の起点がないため、タイムスタンプは数えません（すべて更新対象になります）。--tsa-trust か設定で指定してください。"),
            Lang::En => eprintln!("Note: no TSA trust anchor, so no time-stamp counts (everything is due). Give --tsa-trust or set one in the settings."),
        }
    }
    for sig in signatures {
        let e = archive.add(sig, content, &check).map_err(|e| {
            let t = e.text();
            msg(e.code(), t.ja, t.en)
        })?;
        match lang {
            Lang::Ja => println!(
                "長期保存に追加しました: {}（{}）",
                e.path.display(),
                e.level
            ),
            Lang::En => println!("Under long-term care: {} ({})", e.path.display(), e.level),
        }
    }
    Ok(())
}

/// How the register checks time-stamps: the given and configured TSA
/// trust anchors, CRLs from the cache and distribution points.
fn stamp_check(tsa_trust: &[PathBuf]) -> Result<inkan_workflow::archive::StampCheck, Failure> {
    Ok(inkan_workflow::archive::StampCheck {
        tsa_trust: tsa_trust_anchors(tsa_trust)?,
        revocation: RevocationConfig {
            cache_dir: crl_cache_dir(),
            ..RevocationConfig::default()
        },
    })
}

/// `inkan archive status`.
pub fn archive_status(before_days: u64, json: bool, lang: Lang) -> Result<(), Failure> {
    use inkan_l10n::Localized;
    let archive = open_archive()?;
    let entries = archive.entries().map_err(|e| {
        let t = e.text();
        msg(e.code(), t.ja, t.en)
    })?;
    let now = SystemTime::now();
    let window = std::time::Duration::from_secs(before_days.saturating_mul(86_400));
    if json {
        let v: Vec<serde_json::Value> = entries
            .iter()
            .map(|e| {
                let mut j = serde_json::to_value(e).unwrap_or_default();
                j["due"] = serde_json::Value::Bool(inkan_workflow::archive::due(e, now, window));
                j["present"] = serde_json::Value::Bool(e.path.exists());
                j
            })
            .collect();
        print_json(&v);
        return Ok(());
    }
    for e in &entries {
        let due = inkan_workflow::archive::due(e, now, window);
        let until = e.tsa_not_after.as_deref().unwrap_or("-");
        let algorithms = match (e.algorithms_until.as_deref(), lang) {
            (Some(a), Lang::Ja) => format!("、暗号アルゴリズムの期限 {a}"),
            (Some(a), Lang::En) => format!(", algorithms until {a}"),
            (None, _) => String::new(),
        };
        match lang {
            Lang::Ja => println!(
                "{} {} {}（タイムスタンプ局証明書の期限 {until}{algorithms}）{}",
                if due { "要更新" } else { "良好" },
                e.path.display(),
                e.level,
                if e.path.exists() {
                    ""
                } else {
                    " ※ファイルがありません"
                }
            ),
            Lang::En => println!(
                "{} {} {} (TSA certificate until {until}{algorithms}){}",
                if due { "due" } else { "ok" },
                e.path.display(),
                e.level,
                if e.path.exists() {
                    ""
                } else {
                    " (file missing)"
                }
            ),
        }
    }
    Ok(())
}

/// `inkan archive renew`: a new archive time-stamp for every entry due,
/// after the validation data of its time-stamps' TSAs; the new file must
/// verify before it replaces the old one, which is kept as `<file>.prev`.
pub fn archive_renew(
    before_days: u64,
    tsa: Option<&str>,
    tsa_trust: &[PathBuf],
    lang: Lang,
) -> Result<(), Failure> {
    use inkan_l10n::Localized;
    use sha2::Digest;
    let archive = open_archive()?;
    let entries = archive.entries().map_err(|e| {
        let t = e.text();
        msg(e.code(), t.ja, t.en)
    })?;
    let cfg = tsa_config(tsa)?.ok_or_else(|| {
        msg(
            "cli.no_tsa",
            "タイムスタンプ局が設定されていません（--tsa URL、または設定の tsa.json）".into(),
            "no time-stamp authority is configured (--tsa URL, or tsa.json in the settings)".into(),
        )
    })?;
    let anchors = tsa_trust_anchors(tsa_trust)?;
    let revocation = RevocationConfig {
        cache_dir: crl_cache_dir(),
        ..RevocationConfig::default()
    };
    let now = SystemTime::now();
    let window = std::time::Duration::from_secs(before_days.saturating_mul(86_400));
    let mut failed = 0usize;
    let mut renewed = 0usize;
    for e in entries
        .iter()
        .filter(|e| inkan_workflow::archive::due(e, now, window))
    {
        let result = (|| -> Result<Vec<u8>, String> {
            let old = std::fs::read(&e.path).map_err(|err| err.to_string())?;
            // A file replaced since it was put under care is not renewed
            // silently: someone must look at it and add it again.
            if hex::encode(sha2::Sha256::digest(&old)) != e.sha256 {
                return Err(match lang {
                    Lang::Ja => "登録後に署名ファイルが変更されています。内容を確かめてから inkan archive add で登録し直してください".into(),
                    Lang::En => "the signature file changed since it was registered; check it, then register it again with inkan archive add".into(),
                });
            }
            // The document is read once: every check and the new
            // time-stamp see the same bytes.
            let once = e
                .content
                .as_deref()
                .map(|c| inkan_validation::read_content_once(&old, c))
                .transpose()
                .map_err(|err| err.to_string())?;
            let content = once.as_ref().map(|o| o.content());
            let (with_data, note) = inkan_validation::timestamps::add_timestamp_validation_data(
                &old,
                content,
                &anchors,
                &revocation,
            )
            .map_err(|err| err.text().get(lang).to_string())?;
            if let Some(note) = note {
                eprintln!("{}: {}", e.path.display(), note.get(lang));
            }
            let (new, _) = inkan_validation::timestamps::add_archive_timestamps(
                &with_data,
                content,
                &cfg,
                &anchors,
                &revocation,
            )
            .map_err(|err| err.text().get(lang).to_string())?;
            inkan_validation::timestamps::check_renewal(
                &old,
                &new,
                content,
                &anchors,
                &revocation,
            )?;
            let mut prev = e.path.as_os_str().to_owned();
            prev.push(".prev");
            inkan_referral::write_atomic(Path::new(&prev), &old).map_err(|err| err.to_string())?;
            inkan_referral::write_atomic(&e.path, &new).map_err(|err| err.to_string())?;
            Ok(new)
        })();
        match result {
            Ok(new) => {
                renewed += 1;
                let once = e
                    .content
                    .as_deref()
                    .and_then(|c| inkan_validation::read_content_once(&new, c).ok());
                let content = once.as_ref().map(|o| o.content());
                let check = inkan_workflow::archive::StampCheck {
                    tsa_trust: anchors.clone(),
                    revocation: revocation.clone(),
                };
                if let Err(err) = archive.renewed(&e.path, &new, content, &check) {
                    let t = err.text();
                    eprintln!("{}", t.get(lang));
                }
                // A renewal with a TSA whose certificate or algorithms end
                // within the window does not buy the time asked for.
                if let Ok(Some(after)) = archive.get(&e.path) {
                    if inkan_workflow::archive::due(&after, now, window) {
                        match lang {
                            Lang::Ja => eprintln!(
                                "注意: 更新後も期間内に期限が来ます（タイムスタンプ局証明書 {}、暗号アルゴリズム {}）。より長く有効な証明書や RSA-3072 以上の鍵を使うタイムスタンプ局を検討してください: {}",
                                after.tsa_not_after.as_deref().unwrap_or("-"),
                                after.algorithms_until.as_deref().unwrap_or("-"),
                                e.path.display()
                            ),
                            Lang::En => eprintln!(
                                "Note: still due after renewal (TSA certificate until {}, algorithms until {}); consider a TSA with a longer-lived certificate or an RSA-3072 or stronger key: {}",
                                after.tsa_not_after.as_deref().unwrap_or("-"),
                                after.algorithms_until.as_deref().unwrap_or("-"),
                                e.path.display()
                            ),
                        }
                    }
                }
                match lang {
                    Lang::Ja => println!("更新しました: {}", e.path.display()),
                    Lang::En => println!("Renewed: {}", e.path.display()),
                }
            }
            Err(why) => {
                failed += 1;
                match lang {
                    Lang::Ja => eprintln!(
                        "更新できませんでした（ファイルは変更していません）: {}: {why}",
                        e.path.display()
                    ),
                    Lang::En => eprintln!(
                        "Not renewed (the file is unchanged): {}: {why}",
                        e.path.display()
                    ),
                }
            }
        }
    }
    match lang {
        Lang::Ja => println!("更新 {renewed} 件、失敗 {failed} 件"),
        Lang::En => println!("{renewed} renewed, {failed} failed"),
    }
    if failed > 0 {
        Err(Failure::silent(EXIT_INDETERMINATE))
    } else {
        Ok(())
    }
}
