// The store embeds ../migrations/<engine>/ with `sqlx::migrate!`; a new migration file must
// rebuild it (a directory is watched with everything under it).
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
