//! The `.deb` that `scripts/package.sh` builds, checked as a clinic would get
//! it: what it contains and depends on, and that the installed programs run —
//! `inkan version`, and the window under Xvfb with a screenshot.
//!
//! The package is extracted into a scratch root (`dpkg -x`): the programs run
//! from there exactly as installed, without touching the machine's /usr.
//! Built only with `--features release-check` (package.sh passes it and
//! `INKAN_DEB`), because it needs a release package, which the everyday test
//! run does not build.

use inkan_e2e::webdriver::{Session, TauriDriver};
use inkan_e2e::xvfb::Xvfb;
use inkan_e2e::{exclusive, fresh_dir, output_dir};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn deb() -> PathBuf {
    let p = PathBuf::from(
        std::env::var_os("INKAN_DEB")
            .expect("INKAN_DEB names the .deb to check (scripts/package.sh sets it)"),
    );
    assert!(p.is_file(), "{} does not exist", p.display());
    p
}

fn dpkg_deb(args: &[&str]) -> String {
    let out = Command::new("dpkg-deb")
        .args(args)
        .arg(deb())
        .output()
        .expect("run dpkg-deb");
    assert!(out.status.success(), "dpkg-deb {args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("dpkg-deb prints UTF-8")
}

/// The package extracted once per test process.
fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = fresh_dir("installed-root");
        let st = Command::new("dpkg")
            .arg("-x")
            .arg(deb())
            .arg(&dir)
            .status()
            .expect("run dpkg -x");
        assert!(st.success(), "dpkg -x failed");
        dir
    })
}

fn field(name: &str) -> String {
    dpkg_deb(&["-f"]).lines().fold(String::new(), |acc, l| {
        match l.strip_prefix(&format!("{name}: ")) {
            Some(v) => v.to_string(),
            None => acc,
        }
    })
}

#[test]
fn package_lists_both_programs_the_desktop_entry_and_icons() {
    // `dpkg-deb -c` prints `ls -l`-like lines; the path is the last field,
    // with or without a leading "./".
    let listing = dpkg_deb(&["-c"]);
    let paths: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .map(|p| p.trim_start_matches("./").trim_start_matches('/'))
        .collect();
    let has = |p: &str| paths.contains(&p);
    for want in [
        "usr/bin/inkan-app",
        "usr/bin/inkan",
        "usr/share/doc/inkan/copyright",
        "usr/share/doc/inkan/changelog.gz",
        "usr/share/icons/hicolor/128x128/apps/inkan-app.png",
        "usr/share/icons/hicolor/256x256/apps/inkan-app.png",
    ] {
        assert!(has(want), "{want} missing from the package:\n{listing}");
    }
    let desktop: Vec<&&str> = paths
        .iter()
        .filter(|p| p.starts_with("usr/share/applications/") && p.ends_with(".desktop"))
        .collect();
    assert_eq!(desktop.len(), 1, "one desktop entry:\n{listing}");
    let entry = std::fs::read_to_string(root().join(desktop[0])).expect("read the desktop entry");
    for want in [
        "Name=Inkan",
        "Name[ja]=Inkan（印鑑）",
        "Exec=inkan-app",
        "Categories=Office;MedicalSoftware;",
    ] {
        assert!(
            entry.contains(want),
            "{want:?} not in the desktop entry:\n{entry}"
        );
    }
}

#[test]
fn package_holds_no_test_pki_simulated_card_or_demo_files() {
    let list = dpkg_deb(&["-c"]).to_lowercase();
    for banned in [
        "card-sim", "testpki", "test-pki", "demo", "fixtures", ".p12", ".key",
    ] {
        assert!(!list.contains(banned), "{banned:?} in the package:\n{list}");
    }
    // The installed app ignores INKAN_TEST_PKI: the code that reads it is not built in.
    let app = std::fs::read(root().join("usr/bin/inkan-app")).expect("read inkan-app");
    assert!(
        !app.windows(b"INKAN_TEST_PKI".len())
            .any(|w| w == b"INKAN_TEST_PKI"),
        "the installed app still knows INKAN_TEST_PKI"
    );
}

#[test]
fn package_depends_on_runtime_libraries_not_dev_packages() {
    let depends = field("Depends");
    for want in ["pcscd", "libpcsclite1", "libwebkit2gtk-4.1-0", "libgtk-3-0"] {
        assert!(depends.contains(want), "Depends lacks {want}: {depends}");
    }
    assert!(
        !depends.contains("-dev"),
        "Depends names a -dev package: {depends}"
    );
    // Every shared library the programs link is provided by a package that
    // Depends names or pulls in (checked against this machine's packages).
    let needed = linked_packages(&[
        root().join("usr/bin/inkan"),
        root().join("usr/bin/inkan-app"),
    ]);
    let names: Vec<String> = depends
        .split(',')
        .map(|d| d.split_whitespace().next().unwrap_or("").to_string())
        .filter(|d| !d.is_empty())
        .collect();
    let closure = Command::new("apt-cache")
        .args([
            "depends",
            "--recurse",
            "--no-recommends",
            "--no-suggests",
            "--no-conflicts",
            "--no-breaks",
            "--no-replaces",
            "--no-enhances",
            "--installed",
        ])
        .args(&names)
        .output()
        .expect("run apt-cache depends");
    let closure = String::from_utf8_lossy(&closure.stdout).to_string();
    let provided = |pkg: &str| {
        let bare = pkg.split(':').next().unwrap_or(pkg);
        names.iter().any(|n| n == bare)
            || closure.lines().any(|l| {
                l.trim()
                    .trim_start_matches("Depends: ")
                    .trim_start_matches("PreDepends: ")
                    == bare
            })
    };
    for pkg in &needed {
        assert!(
            provided(pkg),
            "the programs link a library from {pkg}, which Depends ({depends}) does not bring"
        );
    }
}

/// The Debian packages that own the shared libraries `bins` link (`ldd`).
fn linked_packages(bins: &[PathBuf]) -> BTreeSet<String> {
    let mut libs = BTreeSet::new();
    for bin in bins {
        let out = Command::new("ldd").arg(bin).output().expect("run ldd");
        assert!(out.status.success(), "ldd {}: {out:?}", bin.display());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("not found"), "unresolved libraries:\n{text}");
        for line in text.lines() {
            if let Some((_, rest)) = line.split_once("=> ") {
                if let Some(path) = rest
                    .split_whitespace()
                    .next()
                    .filter(|p| p.starts_with('/'))
                {
                    libs.insert(PathBuf::from(path));
                }
            }
        }
    }
    let mut pkgs = BTreeSet::new();
    for lib in libs {
        // dpkg records one spelling of the path: /lib or /usr/lib (merged
        // /usr), the soname link or the file it points to.
        let real = std::fs::canonicalize(&lib).unwrap_or_else(|_| lib.clone());
        let mut candidates = vec![lib.clone(), real.clone()];
        for p in [&lib, &real] {
            let s = p.to_string_lossy();
            match s.strip_prefix("/usr") {
                Some(rest) => candidates.push(PathBuf::from(rest)),
                None => candidates.push(PathBuf::from(format!("/usr{s}"))),
            }
        }
        let owner = candidates.iter().find_map(|c| {
            let out = Command::new("dpkg").arg("-S").arg(c).output().ok()?;
            let text = String::from_utf8_lossy(&out.stdout).to_string();
            (out.status.success())
                .then(|| text.split(':').next().unwrap_or("").trim().to_string())
                .filter(|p| !p.is_empty())
        });
        let owner = owner.unwrap_or_else(|| panic!("no package owns {}", lib.display()));
        pkgs.insert(owner);
    }
    pkgs
}

#[test]
fn installed_cli_prints_its_version_and_has_no_developer_commands() {
    let inkan = root().join("usr/bin/inkan");
    let out = Command::new(&inkan)
        .arg("version")
        .output()
        .expect("run inkan");
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.trim(), format!("inkan {}", env!("CARGO_PKG_VERSION")));

    let scratch = fresh_dir("installed-testpki");
    let out = Command::new(&inkan)
        .args(["testpki", "generate", "--out"])
        .arg(&scratch)
        .output()
        .expect("run inkan");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "`inkan testpki` in the package: {out:?}"
    );
    assert!(err.contains("unrecognized subcommand"), "{err}");

    let tmp = fresh_dir("installed-cli");
    let doc = tmp.join("letter.xml");
    std::fs::write(&doc, b"<x/>").expect("write");
    let out = Command::new(&inkan)
        .args(["verify", "--trust"])
        .arg(format!("test:{}", tmp.display()))
        .arg(&doc)
        .env("INKAN_LANG", "en")
        .output()
        .expect("run inkan");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "--trust test: accepted by the package"
    );
    assert!(err.contains("developer builds"), "{err}");
}

#[test]
fn installed_app_opens_its_window_with_the_real_ui() {
    let _machine = exclusive();
    let x = Xvfb::start();
    // A real TEST PKI, named by the variable that makes a developer build
    // trust it: the installed app must ignore it.
    let pki_dir = fresh_dir("installed-test-pki");
    inkan_testpki::generate(&inkan_testpki::PkiConfig::default())
        .expect("generate a TEST PKI")
        .write_to(&pki_dir)
        .expect("write the TEST PKI");
    let driver = TauriDriver::start_with_env(
        &x.display,
        &fresh_dir("installed-profile"),
        &[("INKAN_TEST_PKI", pki_dir.to_str().expect("utf-8 path"))],
    );
    let s = Session::new(&driver, &root().join("usr/bin/inkan-app"));
    assert_eq!(s.title(), "Inkan");
    s.wait_text("header", 20, |t| t.contains("印鑑"));
    // Served by the app's custom protocol: the real UI, its version from Rust.
    let version = s.wait_text("#app-version", 20, |t| !t.is_empty());
    assert!(version.contains(env!("CARGO_PKG_VERSION")), "{version}");
    s.wait_text("#reader-status", 20, |t| !t.is_empty());

    // Ask the app itself rather than racing the badge's render.
    let ask = |cmd: &str| {
        s.execute_async(&format!(
            "const done = arguments[arguments.length - 1];\
             window.__TAURI__.core.invoke('{cmd}').then(done, e => done({{ error: e }}));"
        ))
    };
    let mode = ask("trust_mode");
    assert_eq!(
        mode["test"],
        serde_json::Value::Bool(false),
        "trust mode: {mode}"
    );
    let diag = ask("diagnostics");
    assert!(diag["test_trust"].is_null(), "diagnostics: {diag}");
    assert!(
        diag["anchors"].as_array().is_some_and(|a| !a.is_empty()),
        "{diag}"
    );
    assert!(
        s.find("#test-badge").is_none(),
        "a TEST badge in the installed app"
    );
    s.screenshot(&output_dir().join("installed-package-window.png"));
}
