//! Writes the default test PKI (fixed date) to the directory given as argument.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: testpki_dump DIR")?;
    let cfg = inkan_testpki::PkiConfig::at(inkan_testpki::parse_rfc3339("2026-04-02")?);
    let t = std::time::Instant::now();
    let pki = inkan_testpki::generate(&cfg)?;
    eprintln!("generated in {:?}", t.elapsed());
    pki.write_to(std::path::Path::new(&dir))?;
    Ok(())
}
